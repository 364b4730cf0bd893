/** The commands that talk to the PayRox API: `propose`, `status`, `audit`, `cancel`, `networks` (`approve` is approve.ts). */
import { resolve } from "node:path";
import { parseManifest } from "@payrox/core";
import { API_FLAG_HELP, apiClientFor } from "../api-flag.js";
import type { AuditView, ProposalView } from "../api-client.js";
import { parseCommandArgs } from "../args.js";
import { NO_POSITIONALS, table, type Command } from "../command.js";
import { AuditAnchorMismatchError, AuditBrokenError, UsageError } from "../errors.js";
import { readTextFile } from "../files.js";

const API = { api: { type: "string" }, json: { type: "boolean" } } as const;
const ONE_ID = { min: 1, max: 1, names: "<proposal-id>" } as const;

/** `payrox propose <manifest> --networks a,b`. */
export const propose: Command = {
  name: "propose",
  usage: "payrox propose <manifest.json> --networks <id,id…> [--earliest-commit <ISO time>] [--cutover <ISO time>] [--api <url>] [--json]",
  help: `usage: payrox propose <manifest.json> --networks <id,id…> [--earliest-commit <ISO time>] [--cutover <ISO time>] [--api <url>] [--json]

Checks the manifest locally (format v1, root), then proposes it: PayRox commits its root on every listed
network, applies it in batches and activates it once the timelock has passed. Prints the proposal id.

  --networks <ids>           comma-separated registry ids (see "payrox networks")
  --earliest-commit <time>   do not commit before this ISO 8601 time
  --cutover <time>           activate every network at this ISO 8601 time (not before the latest ETA)
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs("propose", argv, { ...API, networks: { type: "string" }, "earliest-commit": { type: "string" }, cutover: { type: "string" } }, { min: 1, max: 1, names: "<manifest.json>" });
    if (!values.networks) throw new UsageError("missing required flag --networks", "propose");
    const networks = values.networks.split(",").map((n) => n.trim()).filter(Boolean);
    const manifest = parseManifest(await readTextFile(resolve(context.cwd, positionals[0]!)));
    const client = apiClientFor(values.api, context.env, "propose");
    const result = await client.propose({
      manifest, networks,
      ...(values["earliest-commit"] && { earliestCommitAt: values["earliest-commit"] }),
      ...(values.cutover && { cutoverAt: values.cutover }),
    });
    const approval = result.proposal?.approval;
    const awaiting = approval?.status === "AWAITING_APPROVAL" ? [`${approval.status} 0/${approval.threshold}: nothing is committed before ${approval.threshold} approver(s) sign ("payrox approve ${result.id} --key-file <path>", or --print for a wallet or a Safe)`] : [];
    const human = [`proposal ${result.id} (${manifest.name}, root ${manifest.root})`, ...result.runs.map((r) => `  ${r.network}: ${r.state}, ${r.batchCount} batch(es)`), ...awaiting, `follow it with "payrox status ${result.id}"`].join("\n");
    return { human, json: result };
  },
};

/** `payrox status <id>`. */
export const status: Command = {
  name: "status",
  usage: "payrox status [<proposal-id>] [--api <url>] [--json]",
  help: `usage: payrox status [<proposal-id>] [--api <url>] [--json]

With an id: the proposal's approval (status, threshold, deadline) under an approval policy, and per
network the run's state, batch k/n, its ETA / activation time and failure, if any.
Without: the 20 most recent proposals.
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs("status", argv, API, { min: 0, max: 1, names: "[<proposal-id>]" });
    const client = apiClientFor(values.api, context.env, "status");
    if (!positionals[0]) {
      const { proposals } = await client.proposals(20);
      const human = proposals.length === 0 ? "no proposals yet" : proposals.map((p) => `${p.id}  ${new Date(p.createdAtMs).toISOString()}  ${p.name}  ${p.networks.join(",")}${p.approval ? `  ${p.approval.status}` : ""}`).join("\n");
      return { human, json: { proposals } };
    }
    const view = await client.proposal(positionals[0]);
    return { human: formatStatus(view), json: view };
  },
};

/** `payrox audit <id> [--verify]`. */
export const audit: Command = {
  name: "audit",
  usage: "payrox audit <proposal-id> [--verify] [--api <url>] [--json]",
  help: `usage: payrox audit <proposal-id> [--verify] [--api <url>] [--json]

Prints every audit entry (time, actor, event, network, transaction, gas). The API recomputes the hash
chain and checks it against every head anchored outside the table (S3 under Object Lock; a file on the
devnet): each anchored entry must still be in the table with the anchored hash. With --verify the command
exits 1 when the chain is broken (naming the first broken entry), contradicts an anchor (naming the
entry and the anchor: the trail was rewritten or truncated), or can't be checked because the anchor
store can't be read. Entries after the last anchor are "not yet
anchored": fine, the next anchoring tick covers them.
  --verify      fail (exit 1) unless the chain verifies and holds every anchored head
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs("audit", argv, { ...API, verify: { type: "boolean" } }, ONE_ID);
    const view = await apiClientFor(values.api, context.env, "audit").audit(positionals[0]!);
    if (values.verify && !view.verification.ok) {
      throw new AuditBrokenError(positionals[0]!, view.verification);
    }
    if (values.verify && view.anchoring?.configured && !view.anchoring.ok) {
      throw new AuditAnchorMismatchError(positionals[0]!, view.anchoring);
    }
    return { human: formatAudit(view), json: view };
  },
};

/** `payrox cancel <id>`. */
export const cancel: Command = {
  name: "cancel",
  usage: "payrox cancel <proposal-id> [--api <url>] [--json]",
  help: `usage: payrox cancel <proposal-id> [--api <url>] [--json]

Cancels every run not yet final: a committed root is cancelled on chain (its staged routes are dropped).
The cancel goes in chunks, each within the network's per-transaction gas limit and naming the run's own
root and epoch; a network whose dispatcher has another root pending is reported "refused" (never
cancelled).
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs("cancel", argv, API, ONE_ID);
    const result = await apiClientFor(values.api, context.env, "cancel").cancel(positionals[0]!);
    return { human: [`proposal ${result.proposalId}:`, ...result.runs.map(describeCancel)].join("\n"), json: result };
  },
};

/** One network's line of `payrox cancel`: the outcome, the chunks sent or the refusal. */
function describeCancel(run: { network: string; outcome: string; chunks?: number; revert?: string; state?: string }): string {
  const detail = run.outcome === "cancelled" && run.chunks ? ` (${run.chunks} chunk${run.chunks === 1 ? "" : "s"})` : run.revert ? ` (${run.revert})` : run.state ? ` (${run.state})` : "";
  return `  ${run.network}: ${run.outcome}${detail}`;
}

/** `payrox networks`. */
export const networks: Command = {
  name: "networks",
  usage: "payrox networks [--api <url>] [--json]",
  help: `usage: payrox networks [--api <url>] [--json]

Every registry network: id, chain id, kind, grace seconds, relay policy, and whether the deployment has
it configured (an RPC URL and a KMS key; those are never shown).
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values } = parseCommandArgs("networks", argv, API, NO_POSITIONALS);
    const { networks: list } = await apiClientFor(values.api, context.env, "networks").networks();
    const rows = list.map((n) => [n.id, String(n.chainId), n.kind, `${n.graceSeconds} s`, relayOf(n), n.configured ? "configured" : ""]);
    return { human: table(["id", "chain id", "kind", "grace", "relay", ""], rows), json: { networks: list } };
  },
};

function formatStatus(view: ProposalView): string {
  const p = view.proposal;
  const rows = view.runs.map((r) => [
    r.network,
    r.status,
    r.batchCount ? `${r.batchesApplied}/${r.batchCount}` : "",
    r.etaMs ? new Date(r.etaMs).toISOString() : "",
    r.activateAtMs ? new Date(r.activateAtMs).toISOString() : "",
    r.failure ? `${r.failure.code}: ${r.failure.message}` : "",
  ]);
  const approval = p.approval && `approval: ${p.approval.status}, threshold ${p.approval.threshold}${p.approval.deadline ? `, signatures accepted until ${p.approval.deadline}` : ""}${p.approval.status === "AWAITING_APPROVAL" ? ` (sign with "payrox approve ${p.id}")` : ""}`;
  return [`proposal ${p.id}: ${p.name}, root ${p.root}, by ${p.proposer} at ${new Date(p.createdAtMs).toISOString()}`, ...(approval ? [approval] : []), table(["network", "state", "batches", "eta", "activates at", "failure"], rows)].join("\n");
}

function formatAudit(view: AuditView): string {
  const rows = view.entries.map((e) => [String(e.seq), new Date(e.atMs).toISOString(), e.actor, e.event, e.network ?? "", e.txHash ?? "", e.gasUsed ?? ""]);
  const verdict = view.verification.ok ? `chain verified: ${view.entries.length} entries` : `chain BROKEN at entry ${view.verification.brokenAt}: ${view.verification.reason}`;
  return [table(["seq", "time", "actor", "event", "network", "tx", "gas"], rows), verdict, describeAnchoring(view.anchoring)].join("\n");
}

/** The anchoring line of `payrox audit`. */
function describeAnchoring(anchoring: AuditView["anchoring"]): string {
  if (!anchoring || !anchoring.configured) return "anchoring: not configured (the chain is only checked against itself)";
  if (!anchoring.ok) return anchoring.reason === "anchor-store-unreadable" ? `anchor check NOT DONE: ${anchoring.detail}` : `anchor MISMATCH: ${anchoring.detail}`;
  const pending = anchoring.unanchored > 0 ? `; ${anchoring.unanchored} later entr${anchoring.unanchored === 1 ? "y" : "ies"} not yet anchored` : "";
  if (anchoring.anchoredSeq === 0) return `anchoring: not yet anchored (${anchoring.unanchored} entries)`;
  return `anchored through entry ${anchoring.anchoredSeq} (anchor ${anchoring.anchorSeq}, ${new Date(anchoring.anchoredAtMs ?? 0).toISOString()})${pending}`;
}

function relayOf(n: Record<string, unknown>): string {
  const relay = n.relay as { preferred?: string[]; allowPublicFallback?: boolean } | undefined;
  return relay?.preferred ? relay.preferred.join(">") + (relay.allowPublicFallback ? ">public" : "") : "";
}
