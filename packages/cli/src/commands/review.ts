/** `payrox review <id>`: what a proposal will do on each network, before any transaction (GET /proposals/{id}/review). */
import type { CodehashMismatch, NetworkReview, NetworkReviewError, ReviewProposalReturnType, RouteChangeView } from "@payrox/core";
import { API_FLAG_HELP, apiClientFor } from "../api-flag.js";
import { parseCommandArgs } from "../args.js";
import { fmt, table, type Command } from "../command.js";

const NAME = "review";
const USAGE = "payrox review <proposal-id> [--api <url>] [--json]";

/** `payrox review <id>`. */
export const review: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Shows what the proposal will change on each target network, read from the network now (nothing is sent):
  - the diff against the dispatcher's live routing at a stated block: selectors added (+), replaced (~)
    and removed (-), with old and new facet and code hash; manifest facets whose code on the network is
    not the manifest's are flagged (!)
  - the active epoch and root it was computed against, and drift (since the manifest's base, and since
    the proposal was made)
  - the plan (commit, each apply batch, activate) with estimated gas, and its cost in the native token
    from eth_feeHistory: next base fee + the 25th / 50th / 75th percentile priority fee (low / mid / high)
  - the timeline: commit, ETA, cut-over, expiry
  - under an approval policy: the EIP-712 domain separator, message hash and digest of the Approve typed
    data (nonce 0), in full, to compare with what a hardware wallet shows, and the typed data itself
A network that can't be read is reported as such; the others are still reviewed.
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(NAME, argv, { api: { type: "string" }, json: { type: "boolean" } }, { min: 1, max: 1, names: "<proposal-id>" });
    const view = await apiClientFor(values.api, context.env, NAME).review(positionals[0]!);
    return { human: formatReview(view), json: view };
  },
};

/** The human form of a review. */
export function formatReview(view: ReviewProposalReturnType): string {
  const lines = [`proposal ${view.proposalId}: ${view.name}, root ${view.root}, ${view.leafCount} entries (reviewed ${iso(view.reviewedAtMs)})`, "", summaryTable(view.networks)];
  for (const network of view.networks) lines.push("", ...(network.ok ? formatNetwork(network) : formatError(network)));
  if (view.totals.length > 0) lines.push("", "total cost:", ...view.totals.map((t) => `  ${t.symbol}: low ${native(t.low)}  mid ${native(t.mid)}  high ${native(t.high)}  (${t.networks.join(", ")})`));
  if (view.approval) lines.push("", ...formatApproval(view.approval, view.timeline.approvalDeadlineMs));
  return lines.join("\n");
}

/** One row per network: where it was read, what changes, what is flagged, what it costs and when it goes live. */
function summaryTable(networks: ReviewProposalReturnType["networks"]): string {
  const rows = networks.map((n) =>
    n.ok
      ? [n.network, String(n.block.number), String(n.diff.added.length), String(n.diff.replaced.length), String(n.diff.removed.length), n.codehashMismatches.length ? `${n.codehashMismatches.length} MISMATCH` : "ok", n.drift.drifted ? "DRIFTED" : n.drift.sinceProposal ? "changed" : "none", fmt(n.plan.totalGas), n.cost ? `${native(n.cost.mid)} ${n.cost.symbol}` : "n/a", iso(n.timeline.activateAtMs)]
      : [n.network, "-", "-", "-", "-", "-", "-", "-", "-", `NOT REVIEWED (${n.error.code})`],
  );
  return table(["network", "block", "added", "replaced", "removed", "code hashes", "drift", "gas", "cost (mid)", "cut-over"], rows);
}

function formatNetwork(n: NetworkReview): string[] {
  const d = n.dispatcher;
  const flags = [d.paused ? "PAUSED" : "", d.pendingRoot ? `pending root ${d.pendingRoot}` : "", n.runState ? `run ${n.runState}` : ""].filter(Boolean);
  const { added, replaced, removed, unchanged, removalsNotLive } = n.diff;
  return [
    `${n.network} (chain ${n.chainId}) at block ${n.block.number} ${n.block.hash} (${iso(n.block.timestamp * 1000)})`,
    `  dispatcher: epoch ${d.activeEpoch}, root ${d.activeRoot}, activation delay ${d.activationDelaySeconds} s, expiry window ${d.expiryWindowSeconds} s${flags.length ? `; ${flags.join("; ")}` : ""}`,
    `  drift: ${describeDrift(n.drift)}`,
    `  changes: ${added.length} added, ${replaced.length} replaced, ${removed.length} removed, ${unchanged} unchanged${removalsNotLive.length ? `, ${removalsNotLive.length} removal(s) of selectors not live (no-op): ${removalsNotLive.join(" ")}` : ""}`,
    ...added.map((c) => `    + ${route(c)}  -> ${facet(c.new!)}`),
    ...replaced.map((c) => `    ~ ${route(c)}  ${facet(c.old!)} -> ${facet(c.new!)}`),
    ...removed.map((c) => `    - ${route(c)}  ${facet(c.old!)}`),
    ...(n.codehashMismatches.length === 0 ? ["  code hashes: every manifest facet matches"] : [`  CODE HASH MISMATCH (${n.codehashMismatches.length}): the manifest's apply/activation will revert CodehashMismatch`, ...n.codehashMismatches.map(mismatch)]),
    `  plan: ${n.plan.steps.map((s) => `${s.step}${s.batch !== undefined ? ` #${s.batch} (${s.leaves} leaves)` : ""} ${fmt(s.estimatedGas)}`).join(" | ")}`,
    `        ${n.plan.batches} apply batch(es), ${fmt(n.plan.totalGas)} gas in total`,
    n.cost
      ? `  cost (${n.cost.symbol}): low ${native(n.cost.low)}  mid ${native(n.cost.mid)}  high ${native(n.cost.high)}  (base fee ${gwei(n.cost.baseFeePerGas)} + priority p25/p50/p75 ${gwei(n.cost.priorityFeePerGas.low)}/${gwei(n.cost.priorityFeePerGas.mid)}/${gwei(n.cost.priorityFeePerGas.high)} gwei)`
      : `  cost: unavailable (${n.costUnavailable ?? "no fee history"})`,
    `  timeline: ${n.timeline.committed ? "committed" : "commit"} ${iso(n.timeline.commitAtMs)}, ETA ${iso(n.timeline.etaMs)}, cut-over ${iso(n.timeline.activateAtMs)}, expiry ${iso(n.timeline.expiresAtMs)}${n.timeline.cutoverAfterExpiry ? "  CUT-OVER AFTER EXPIRY: activation would be refused" : ""}`,
  ];
}

function formatError(n: NetworkReviewError): string[] {
  return [`${n.network}: NOT REVIEWED (${n.error.code}): ${n.error.message}`];
}

function formatApproval(approval: NonNullable<ReviewProposalReturnType["approval"]>, deadlineMs: number | null): string[] {
  return [
    `approval: ${approval.status}, threshold ${approval.threshold}${deadlineMs ? `, deadline ${iso(deadlineMs)}` : ""}`,
    `approval digest (EIP-712 ${approval.typedData.primaryType}, nonce ${approval.nonce}); compare with what your wallet shows:`,
    `  domain separator  ${approval.domainSeparator}`,
    `  message hash      ${approval.structHash}`,
    `  digest            ${approval.digest}`,
    "typed data:",
    JSON.stringify(approval.typedData, null, 2),
  ];
}

function describeDrift(drift: NetworkReview["drift"]): string {
  const base = drift.drifted
    ? `DRIFTED: live epoch ${drift.live.epoch} root ${drift.live.root}, the manifest was built on epoch ${drift.base.epoch} root ${drift.base.root} (its commit will be refused; rebuild it)`
    : `none (live epoch ${drift.live.epoch} is the manifest's base)`;
  const since = drift.sinceProposal === null ? "not recorded when proposed" : drift.sinceProposal ? `CHANGED since the proposal (then epoch ${drift.atProposal!.epoch} root ${drift.atProposal!.root})` : "unchanged since the proposal";
  return `${base}; ${since}`;
}

function route(c: RouteChangeView): string {
  return `${c.selector} ${c.signature || "(no signature)"}`;
}

function facet(f: { facet: string; codehash: string | null }): string {
  return `${f.facet} (code ${f.codehash ?? "none"})`;
}

function mismatch(m: CodehashMismatch): string {
  return `    ! ${m.facetName} ${m.facet}: manifest ${m.expected}, on chain ${m.actual ?? "no code"}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Wei (decimal string) as a native amount with 18 decimals, trailing zeros trimmed. */
export function native(wei: string): string {
  return decimal(BigInt(wei), 18);
}

function gwei(wei: string): string {
  return decimal(BigInt(wei), 9);
}

function decimal(value: bigint, decimals: number): string {
  const unit = 10n ** BigInt(decimals);
  const fraction = (value % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${fmt(value / unit)}${fraction ? `.${fraction}` : ""}`;
}
