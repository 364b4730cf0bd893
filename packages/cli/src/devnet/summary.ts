/**
 * The end-of-run summary of a devnet proposal: per network the transactions PayRox sent, the gas of each
 * step, how late the activation landed after its time (from the activation block's timestamp), what a
 * call routed through the dispatcher now answers, and whether the audit chain verifies.
 */
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { Contract, JsonRpcProvider } from "ethers";
import type { AuditView, ProposalView } from "../api-client.js";
import { fmt } from "../command.js";
import type { DevnetState } from "./state.js";

/** Audit events that each stand for one confirmed PayRox transaction. */
const STEP_EVENTS = new Set(["commit.confirmed", "apply.confirmed", "run.activated", "cancel.confirmed"]);

/** The summary of one network. */
export interface NetworkSummary {
  network: string;
  state: string;
  failure?: string;
  /** Transactions PayRox sent and saw confirmed (commit, apply batches, activation). */
  transactions: number;
  gas: { commit?: number; apply: number; applyBatches: number; activate?: number };
  /** Activation block timestamp minus the activation time, in seconds (negative would be early). */
  latenessSeconds?: number;
  /** `version()` of CounterFacetV1 called through the dispatcher, once activated. */
  routedVersion?: string;
}

/** One EIP-712 digest the approvers signed, with the hashes it is made of (as the audit trail records them). */
export interface SignedDigest {
  domainSeparator: string;
  structHash: string;
  digest: string;
  /** The approvers (policy ids) who signed it. */
  approvers: string[];
}

/** How the proposal was approved, from its audit trail (absent when it was made without an approval policy). */
export interface ApprovalSummary {
  /** Approvals counted when the proposal was approved (undefined while it is not). */
  approved?: number;
  threshold?: number;
  /** The digests signed by counted approvals (one, when every approver used the same nonce). */
  digests: SignedDigest[];
}

/** The summary of one proposal. */
export interface DevnetSummary {
  proposalId: string;
  networks: NetworkSummary[];
  approval?: ApprovalSummary;
  audit: { ok: boolean; entries: number; problem?: string };
  allActivated: boolean;
}

/** Reads the chains and builds the summary. */
export async function summarize(state: DevnetState, view: ProposalView, audit: AuditView): Promise<DevnetSummary> {
  const networks = await Promise.all(view.runs.map((run) => summarizeNetwork(state, run, audit)));
  const verification = audit.verification;
  const approval = approvalOf(audit);
  return {
    proposalId: view.proposal.id,
    networks,
    ...(approval && { approval }),
    audit: { ok: verification.ok, entries: audit.entries.length, ...(!verification.ok && { problem: `broken at entry ${verification.brokenAt}: ${verification.reason}` }) },
    allActivated: view.runs.every((r) => r.state === "ACTIVATED"),
  };
}

/** The approval of a proposal as its audit trail records it: `approval.approved` per signature, `proposal.approved` at the crossing. */
export function approvalOf(audit: AuditView): ApprovalSummary | undefined {
  const crossing = audit.entries.find((e) => e.event === "proposal.approved")?.details as { approvers?: string[]; digests?: string[]; threshold?: number } | undefined;
  const approvals = audit.entries.filter((e) => e.event === "approval.approved" && e.details?.digest);
  if (!crossing && approvals.length === 0) return undefined;
  // Counted are the approvals the crossing names, signer and digest side by side (the digest alone does not
  // name the approver: a withdrawn nonce-0 approval has another approver's nonce-0 digest); without a
  // crossing, every one so far.
  const named = crossing?.approvers && crossing.digests && new Set(crossing.approvers.map((a, i) => `${a.toLowerCase()}:${crossing.digests![i]}`));
  const counted = approvals.filter((e) => !named || named.has(`${String(e.details!.signer).toLowerCase()}:${e.details!.digest}`));
  const digests = new Map<string, SignedDigest>();
  for (const entry of counted) {
    const d = entry.details as { digest: string; domainSeparator?: string; structHash?: string; approverId?: string; signer?: string };
    const signed = digests.get(d.digest) ?? { digest: d.digest, domainSeparator: d.domainSeparator ?? "?", structHash: d.structHash ?? "?", approvers: [] };
    const who = d.approverId ?? d.signer ?? "?";
    if (!signed.approvers.includes(who)) signed.approvers.push(who);
    digests.set(d.digest, signed);
  }
  return { ...(crossing && { approved: crossing.approvers?.length ?? counted.length }), ...(crossing?.threshold !== undefined && { threshold: crossing.threshold }), digests: [...digests.values()] };
}

/** The summary's approval lines: who approved, and the EIP-712 hashes they signed, in full. */
function renderApproval(approval: ApprovalSummary): string[] {
  const head = approval.approved !== undefined ? `approved ${approval.approved}/${approval.threshold ?? "?"}` : "NOT approved";
  return [
    `approval: ${head} by ${approval.digests.flatMap((d) => d.approvers).join(", ") || "nobody"}`,
    ...approval.digests.flatMap((d) => [`  EIP-712 domain separator  ${d.domainSeparator}`, `  struct hash               ${d.structHash}`, `  digest                    ${d.digest}${approval.digests.length > 1 ? ` (${d.approvers.join(", ")})` : ""}`]),
  ];
}

async function summarizeNetwork(state: DevnetState, run: ProposalView["runs"][number], audit: AuditView): Promise<NetworkSummary> {
  const entries = audit.entries.filter((e) => e.network === run.network);
  const gasOf = (event: string) => entries.filter((e) => e.event === event && e.gasUsed !== undefined).map((e) => Number(e.gasUsed));
  const applies = gasOf("apply.confirmed");
  const summary: NetworkSummary = {
    network: run.network,
    state: run.state,
    ...(run.failure && { failure: `${run.failure.code}: ${run.failure.message}` }),
    // One transaction per confirmed step; a step recovered after a crash is confirmed without its hash.
    transactions: entries.filter((e) => STEP_EVENTS.has(e.event)).length,
    gas: { ...(gasOf("commit.confirmed")[0] !== undefined && { commit: gasOf("commit.confirmed")[0] }), apply: applies.reduce((a, b) => a + b, 0), applyBatches: applies.length, ...(gasOf("run.activated")[0] !== undefined && { activate: gasOf("run.activated")[0] }) },
  };
  const activated = entries.find((e) => e.event === "run.activated" && e.txHash);
  const network = state.networks.find((n) => n.id === run.network);
  if (!activated || !network) return summary;
  const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true });
  try {
    const receipt = await provider.getTransactionReceipt(activated.txHash!);
    const block = receipt && (await provider.getBlock(receipt.blockNumber));
    if (block && run.activateAtMs !== undefined) summary.latenessSeconds = block.timestamp - run.activateAtMs / 1000;
    const counter = new Contract(network.dispatcher, loadArtifact("CounterFacetV1").abi as never, provider);
    summary.routedVersion = String(await counter.getFunction("version")());
  } finally {
    provider.destroy();
  }
  return summary;
}

/** The summary as a table. */
export function renderSummary(summary: DevnetSummary): string {
  const header = ["network", "state", "txs", "commit gas", "apply gas (batches)", "activate gas", "late after ETA", "routed version()"];
  const rows = summary.networks.map((n) => [
    n.network,
    n.state,
    String(n.transactions),
    n.gas.commit === undefined ? "-" : fmt(n.gas.commit),
    `${fmt(n.gas.apply)} (${n.gas.applyBatches})`,
    n.gas.activate === undefined ? "-" : fmt(n.gas.activate),
    n.latenessSeconds === undefined ? "-" : `${n.latenessSeconds} s`,
    n.routedVersion ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const failures = summary.networks.filter((n) => n.failure).map((n) => `  ${n.network}: ${n.failure}`);
  return [
    `proposal ${summary.proposalId}`,
    line(header),
    ...rows.map(line),
    ...(failures.length ? ["failures:", ...failures] : []),
    ...(summary.approval ? renderApproval(summary.approval) : []),
    `audit chain: ${summary.audit.ok ? `verified (${summary.audit.entries} entries)` : `BROKEN — ${summary.audit.problem}`}`,
    summary.allActivated ? "every network activated" : "NOT every network activated",
  ].join("\n");
}
