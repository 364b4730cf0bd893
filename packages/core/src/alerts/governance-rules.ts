/**
 * The governance alert rules (pure, like rules.ts): a proposal left awaiting approval, a signature that
 * failed verification, a network's activation held because a sibling halted under an all-or-none policy,
 * and a commit on chain with no verified quorum behind it.
 */
import { ApprovalRejection } from "../governance/errors.js";
import type { ProposalApproval } from "../governance/approval.js";
import { ApprovalStatus } from "../governance/ports.js";
import type { Proposal, Run } from "../run/types.js";
import type { DispatcherEvent } from "./ports.js";
import { AlertType, type AlertDraft } from "./types.js";

/** Dedupe key of a proposal-wide governance incident: `<type>:<proposal>`. */
export function proposalIncidentKey(type: AlertType, proposalId: string): string {
  return `${type}:${proposalId}`;
}

/**
 * A proposal still AWAITING_APPROVAL at `min(createdAt + staleAfterMs, deadline)`: past the age, or its
 * approval window closed first (then it can never be approved and only a cancel ends it).
 * @param approvals how many approvers' approvals are counted now, when known
 */
export function approvalStaleRule(proposal: Pick<Proposal, "id" | "createdAtMs"> & { approval?: ProposalApproval }, staleAfterMs: number, nowMs: number, approvals?: number): AlertDraft | undefined {
  const approval = proposal.approval;
  if (approval?.status !== ApprovalStatus.AWAITING_APPROVAL) return undefined;
  const dueAtMs = Math.min(proposal.createdAtMs + staleAfterMs, approval.deadlineMs);
  if (nowMs < dueAtMs) return undefined;
  const closed = nowMs > approval.deadlineMs;
  const count = approvals === undefined ? "" : ` (${approvals}/${approval.threshold} approvals)`;
  const hours = Math.floor((nowMs - proposal.createdAtMs) / 3_600_000);
  return {
    type: AlertType.APPROVAL_STALE,
    severity: "warning",
    dedupeKey: proposalIncidentKey(AlertType.APPROVAL_STALE, proposal.id),
    proposalId: proposal.id,
    message: closed
      ? `proposal ${proposal.id} is still awaiting approval${count} and its approval window closed at ${new Date(approval.deadlineMs).toISOString()}: it can no longer be approved; cancel it (and propose again if it is still wanted)`
      : `proposal ${proposal.id} has awaited approval for ${hours} h${count}; its approval window closes at ${new Date(approval.deadlineMs).toISOString()}`,
    evidence: { values: { ageMs: nowMs - proposal.createdAtMs, staleAfterMs, deadline: new Date(approval.deadlineMs).toISOString(), windowClosed: closed, threshold: approval.threshold, ...(approvals !== undefined && { approvals }) } },
  };
}

/** The resolution of a proposal's `approval-stale` incident once it left AWAITING_APPROVAL (`how`: approved, rejected, cancelled). */
export function approvalStaleResolution(proposalId: string, how: string): AlertDraft {
  return { type: AlertType.APPROVAL_STALE, severity: "info", dedupeKey: proposalIncidentKey(AlertType.APPROVAL_STALE, proposalId), proposalId, message: `proposal ${proposalId} no longer awaits approval: ${how}` };
}

/**
 * Refusals that mean a signature failed verification — a key that is not an approver's, a signature over
 * other data, a replayed nonce, an approver signing its own proposal, a smart account saying no. The others
 * (duplicate, after the deadline, closed, nonce ahead…) are state conflicts a legitimate approver causes.
 */
export const SUSPICIOUS_REFUSALS: ReadonlySet<ApprovalRejection> = new Set([
  ApprovalRejection.MALFORMED_SIGNATURE,
  ApprovalRejection.NOT_APPROVER,
  ApprovalRejection.DIGEST_MISMATCH,
  ApprovalRejection.REPLAYED_NONCE,
  ApprovalRejection.SELF_APPROVAL,
  ApprovalRejection.ERC1271_REJECTED,
  ApprovalRejection.ERC1271_REVERTED,
]);

/** Refusals more likely an encoding mistake than an attack: a warning, not a page. */
const MISTAKE_REFUSALS: ReadonlySet<ApprovalRejection> = new Set([ApprovalRejection.MALFORMED_SIGNATURE, ApprovalRejection.ERC1271_REVERTED]);

/**
 * One alert per proposal and signer whose signature failed verification (see {@link SUSPICIOUS_REFUSALS}):
 * the code, the signer (or the named approver; `unknown` for a signature that recovers nobody) and the
 * digest it was checked against are the evidence.
 */
export function approvalRefusedRule(proposalId: string, refusal: { code: ApprovalRejection; message: string; details: Record<string, unknown> }): AlertDraft | undefined {
  if (!SUSPICIOUS_REFUSALS.has(refusal.code)) return undefined;
  const signer = String(refusal.details.signer ?? refusal.details.approver ?? "unknown");
  const digest = typeof refusal.details.digest === "string" ? refusal.details.digest : null;
  return {
    type: AlertType.APPROVAL_REFUSED,
    severity: MISTAKE_REFUSALS.has(refusal.code) ? "warning" : "critical",
    dedupeKey: `${AlertType.APPROVAL_REFUSED}:${proposalId}:${signer.toLowerCase()}`,
    proposalId,
    message: `a signature on proposal ${proposalId} by ${signer} failed verification (${refusal.code}): ${refusal.message}`,
    evidence: { values: { code: refusal.code, signer, digest } },
  };
}

/** A sibling run that halted before activating: why, in a word. */
export function haltReason(run: Pick<Run, "state" | "failure">): string {
  return run.failure?.code ?? run.state.toLowerCase();
}

/**
 * The proposal's one `all-or-none-held` incident: `held`'s activation is held because `halted` (another
 * network's run of the proposal) halted before activating.
 */
export function allOrNoneHeldRule(held: Pick<Run, "proposalId" | "network">, halted: Pick<Run, "network" | "state" | "failure">): AlertDraft {
  const reason = haltReason(halted);
  return {
    type: AlertType.ALL_OR_NONE_HELD,
    severity: "critical",
    dedupeKey: proposalIncidentKey(AlertType.ALL_OR_NONE_HELD, held.proposalId),
    proposalId: held.proposalId,
    network: halted.network,
    message: `the run on ${halted.network} halted before the cut-over (${halted.state}: ${reason}) and the policy is all-or-none: the proposal's other networks (first ${held.network}) hold their activation until the proposal is cancelled; runs already activated stay activated`,
    evidence: { values: { haltedNetwork: halted.network, haltedState: halted.state, reason, heldNetwork: held.network } },
  };
}

/**
 * The proposal's pause incident under all-or-none (its own key: a later halt is another incident):
 * `held` waits because `paused`'s dispatcher is paused. Resolved when a run of the proposal activates.
 */
export function allOrNonePausedRule(held: Pick<Run, "proposalId" | "network">, paused: Pick<Run, "network">): AlertDraft {
  return {
    type: AlertType.ALL_OR_NONE_HELD,
    severity: "warning",
    dedupeKey: allOrNonePausedKey(held.proposalId),
    proposalId: held.proposalId,
    network: paused.network,
    message: `the dispatcher on ${paused.network} is paused and the policy is all-or-none: the proposal's other networks (first ${held.network}) wait; they activate once it is unpaused, and hold for a cancel if its root expires meanwhile`,
    evidence: { values: { pausedNetwork: paused.network, reason: "paused", heldNetwork: held.network } },
  };
}

/** Dedupe key of a proposal's all-or-none pause incident. */
export function allOrNonePausedKey(proposalId: string): string {
  return `${proposalIncidentKey(AlertType.ALL_OR_NONE_HELD, proposalId)}:paused`;
}

/** The resolution of a proposal's `all-or-none-held` incident (`how`: cancelled, expired). */
export function allOrNoneHeldResolution(proposalId: string, how: string): AlertDraft {
  return { type: AlertType.ALL_OR_NONE_HELD, severity: "info", dedupeKey: proposalIncidentKey(AlertType.ALL_OR_NONE_HELD, proposalId), proposalId, message: `the held activations of proposal ${proposalId} ended: ${how}` };
}

/**
 * A `RootCommitted` with no verified quorum behind it: `why` says what was missing (no proposal under the
 * policy approved the root, the proposal was not APPROVED, its stored approvals no longer verify…).
 */
export function commitWithoutQuorumRule(event: DispatcherEvent, why: string, proposalId?: string): AlertDraft {
  const root = (event.args.root ?? "").toLowerCase();
  return {
    type: AlertType.COMMIT_WITHOUT_QUORUM,
    severity: "critical",
    dedupeKey: `${AlertType.COMMIT_WITHOUT_QUORUM}:${event.network}:${event.txHash.toLowerCase()}:${root}`,
    ...(proposalId && { proposalId }),
    network: event.network,
    message: `root ${root} was committed on ${event.network} (tx ${event.txHash}) without a verified approval quorum: ${why}`,
    evidence: { txHash: event.txHash, blockNumber: event.blockNumber, values: { root, epoch: event.args.epoch ?? null, leafCount: event.args.leafCount ?? null, from: event.from, reason: why } },
  };
}
