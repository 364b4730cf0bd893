/**
 * `approveProposal`: one approver's signed Approve, Withdraw or Reject of a proposal under the
 * deployment's approval policy. Verified (typed data, policy, nonce), stored as that approver's one record
 * with a conditional write, audited with the signer and digest. The M-th approval moves the proposal to
 * APPROVED with one conditional write — so however many approvals cross the threshold at once, the
 * commits are scheduled and `proposal.approved` audited exactly once. One Reject cancels the proposal.
 */
import { approvalSubject, type ProposalApproval } from "../governance/approval.js";
import { ApprovalRejectedError, ApprovalRejection } from "../governance/errors.js";
import { findApprover, policyHash, type ApprovalRules } from "../governance/policy.js";
import { approvalRulesOf, ApprovalStatus, ApproverStatus, type GovernanceDeps, type StoredApproval } from "../governance/ports.js";
import { ApprovalAction } from "../governance/typed-data.js";
import { parseSubmittedSignature, verifySignature, type VerifiedSignature } from "../governance/verify.js";
import { isTerminalRun } from "../run/state-machine.js";
import type { Proposal, Run } from "../run/types.js";
import { approvalRefusedRule, approvalStaleResolution } from "../alerts/governance-rules.js";
import { raise, realSleep, record, resolve, saveTransition, type SchedulerDeps } from "./deps.js";
import { ProposalNotFoundError } from "./errors.js";
import { scheduleCommits } from "./propose-upgrade.js";

/** Times one call re-counts after the approvals it counted changed under it (each round is one more write race lost). */
const MAX_CROSSING_ROUNDS = 10;

/** Input of {@link approveProposal}. */
export interface ApproveProposalParameters {
  proposalId: string;
  /** The request body: `{ action, nonce, signature, approver? }` (validated here). */
  submission: unknown;
}

/** Result of {@link approveProposal}. */
export interface ApproveProposalReturnType {
  approval: StoredApproval;
  /** The proposal's approval status after this signature. */
  status: ApprovalStatus;
  /** Approvers whose approval is counted now. */
  approvals: number;
  threshold: number;
  /** This call crossed the threshold and scheduled the commits. */
  scheduled: boolean;
  /** This call's Reject cancelled the proposal. */
  rejected: boolean;
}

/**
 * Accepts one signed Approve, Withdraw or Reject.
 * @throws {ApprovalRejectedError} with a stable code (malformed-signature, not-approver, digest-mismatch, replayed-nonce,
 * nonce-ahead, duplicate-approval, nothing-to-withdraw, after-deadline, proposal-closed, not-under-policy, policy-changed,
 * erc1271-rejected, erc1271-reverted, self-approval); nothing is stored then
 * @throws {ProposalNotFoundError}
 * @example await approveProposal({ proposalId, submission: { action: "Approve", nonce: 0, signature } }, deps)
 */
export async function approveProposal(input: ApproveProposalParameters, deps: SchedulerDeps): Promise<ApproveProposalReturnType> {
  const governance = deps.governance;
  const rules = governance && approvalRulesOf(governance.policy);
  if (!governance || !rules) throw new ApprovalRejectedError(ApprovalRejection.NOT_UNDER_POLICY, "this deployment's policy requires no approvals (approvals: none)");
  const proposal = await deps.store.getProposal(input.proposalId);
  if (!proposal) throw new ProposalNotFoundError(input.proposalId);
  const approval = proposal.approval;
  if (!approval) throw new ApprovalRejectedError(ApprovalRejection.NOT_UNDER_POLICY, `proposal ${proposal.id} was made without an approval policy; nothing to sign`);
  const runs = await deps.store.listRuns(proposal.id);
  let verified: VerifiedSignature;
  let stored: StoredApproval;
  try {
    const submitted = parseSubmittedSignature(input.submission);
    checkOpen(proposal, approval, runs, governance, deps.clock.now());
    verified = await verifySignature(submitted, { subject: approvalSubject({ ...proposal, approval }), rules, proposer: proposal.proposer, ...(governance.erc1271 && { erc1271: governance.erc1271 }) });
    stored = await storeSignature(proposal.id, verified, governance, deps.clock.now());
  } catch (error) {
    // A refused signature may be an attack (a stolen key of a non-approver, a replay): it is on the record
    // too, and one that failed verification raises one alert per proposal and signer.
    if (error instanceof ApprovalRejectedError) {
      await record(deps, { proposalId: proposal.id, event: "approval.refused", details: { code: error.code, ...error.details } });
      await raiseRefusal(deps, proposal.id, error);
    }
    throw error;
  }
  await record(deps, {
    proposalId: proposal.id,
    event: `approval.${stored.status}`,
    key: `approval:${stored.approver}:${stored.nonce}`,
    details: { signer: stored.approver, approverId: stored.approverId, action: stored.action, nonce: stored.nonce, digest: stored.digest, domainSeparator: verified.hashes.domainSeparator, structHash: verified.hashes.structHash, ...(verified.blockNumber !== undefined && { erc1271Block: verified.blockNumber }) },
  });
  if (verified.action === ApprovalAction.REJECT) return reject(proposal, stored, runs, deps, rules);
  let counted = countApproved(await governance.approvals.listApprovals(proposal.id), rules);
  let scheduled = false;
  // The crossing is conditional on the counted records being unchanged: a withdrawal that lands meanwhile
  // makes it fail, and the approvals are counted again.
  for (let round = 0; verified.action === ApprovalAction.APPROVE && counted.length >= rules.threshold && round < MAX_CROSSING_ROUNDS; round++) {
    const close = await governance.approvals.closeApproval(proposal.id, ApprovalStatus.APPROVED, deps.clock.now(), counted);
    if (!close.closed && close.reason === "basis-changed") {
      // Lost to a concurrent write (another crossing attempt, a withdrawal): back off a little, count again.
      await (deps.sleep ?? realSleep)(Math.floor(Math.random() * 40 * (round + 1)));
      counted = countApproved(await governance.approvals.listApprovals(proposal.id), rules);
      continue;
    }
    scheduled = close.closed;
    if (scheduled) {
      // Schedules first (idempotent by job name), then the audit entry: a crash between the two leaves
      // PROPOSED runs of an APPROVED proposal, which the watchdog's re-drive schedules again.
      await scheduleCommits(deps, proposal, runs, deps.clock.now());
      await record(deps, { proposalId: proposal.id, event: "proposal.approved", key: "proposal.approved", details: { approvers: counted.map((a) => a.approver), digests: counted.map((a) => a.digest), threshold: rules.threshold, policyHash: approval.policyHash } });
      await resolve(deps, approvalStaleResolution(proposal.id, "approved"));
    }
    break;
  }
  const status = scheduled ? ApprovalStatus.APPROVED : ((await deps.store.getProposal(proposal.id))?.approval?.status ?? approval.status);
  return { approval: stored, status, approvals: counted.length, threshold: rules.threshold, scheduled, rejected: false };
}

/**
 * Raises the `approval-refused` alert of a refusal that failed verification. The caller must still get its
 * 4xx: an alert that can't be delivered is noted in the trail (the `approval.refused` entry is already
 * there) instead of turning the refusal into a server error.
 */
async function raiseRefusal(deps: SchedulerDeps, proposalId: string, error: ApprovalRejectedError): Promise<void> {
  const alert = approvalRefusedRule(proposalId, error);
  if (!alert) return;
  try {
    await raise(deps, alert);
  } catch (failure) {
    await record(deps, { proposalId, event: "alert.failed", details: { type: alert.type, dedupeKey: alert.dedupeKey, reason: failure instanceof Error ? failure.message : String(failure) } });
  }
}

function checkOpen(proposal: Proposal, approval: ProposalApproval, runs: readonly Run[], governance: GovernanceDeps, nowMs: number): void {
  if (approval.status !== ApprovalStatus.AWAITING_APPROVAL) {
    throw new ApprovalRejectedError(ApprovalRejection.PROPOSAL_CLOSED, `proposal ${proposal.id} is ${approval.status}; it takes no more signatures`);
  }
  if (runs.some(isTerminalRun)) throw new ApprovalRejectedError(ApprovalRejection.PROPOSAL_CLOSED, `proposal ${proposal.id} was cancelled or has finished runs; it takes no more signatures`);
  if (nowMs > approval.deadlineMs) {
    throw new ApprovalRejectedError(ApprovalRejection.AFTER_DEADLINE, `the approval window of proposal ${proposal.id} closed at ${new Date(approval.deadlineMs).toISOString()}; propose it again`);
  }
  if (policyHash(governance.policy) !== approval.policyHash) {
    throw new ApprovalRejectedError(ApprovalRejection.POLICY_CHANGED, `the approval policy changed since proposal ${proposal.id} was made (it binds policy ${approval.policyHash}); propose it again under the current policy`);
  }
}

/** Writes the approver's record conditionally; a lost condition becomes the precise refusal. */
async function storeSignature(proposalId: string, verified: VerifiedSignature, governance: GovernanceDeps, nowMs: number): Promise<StoredApproval> {
  const next: StoredApproval = {
    proposalId,
    approver: verified.approver.address,
    approverId: verified.approver.id,
    status: statusOf(verified.action),
    action: verified.action,
    nonce: verified.nonce,
    signature: verified.signature,
    digest: verified.hashes.digest,
    atMs: nowMs,
  };
  const result = await governance.approvals.putApproval(next);
  if (result.ok) return next;
  throw refusalOf(verified, result.stored);
}

function statusOf(action: ApprovalAction): StoredApproval["status"] {
  if (action === ApprovalAction.APPROVE) return ApproverStatus.APPROVED;
  if (action === ApprovalAction.WITHDRAW) return ApproverStatus.WITHDRAWN;
  return ApproverStatus.REJECTED;
}

function refusalOf(verified: VerifiedSignature, stored: StoredApproval | undefined): ApprovalRejectedError {
  const who = `${verified.approver.id} (${verified.approver.address})`;
  const details = { signer: verified.approver.address, digest: verified.hashes.digest, nonce: verified.nonce, storedNonce: stored?.nonce };
  if (verified.action === ApprovalAction.APPROVE && stored?.status === ApproverStatus.APPROVED) {
    return new ApprovalRejectedError(ApprovalRejection.DUPLICATE_APPROVAL, `${who} has already approved this proposal (nonce ${stored.nonce}); an approver counts once`, details);
  }
  const expected = stored ? stored.nonce + 1 : 0;
  if (verified.nonce < expected) return new ApprovalRejectedError(ApprovalRejection.REPLAYED_NONCE, `nonce ${verified.nonce} of ${who} was already used on this proposal; sign again with nonce ${expected}`, details);
  if (verified.nonce > expected) return new ApprovalRejectedError(ApprovalRejection.NONCE_AHEAD, `${who}'s next nonce on this proposal is ${expected}, not ${verified.nonce}`, details);
  if (verified.action === ApprovalAction.WITHDRAW) return new ApprovalRejectedError(ApprovalRejection.NOTHING_TO_WITHDRAW, `${who} has no counted approval on this proposal to withdraw`, details);
  return new ApprovalRejectedError(ApprovalRejection.PROPOSAL_CLOSED, `${who} rejected this proposal; it takes no more signatures`, details);
}

/** The records that count: approved, by an approver the policy (still) lists; one per approver by construction. */
function countApproved(records: readonly StoredApproval[], rules: ApprovalRules): StoredApproval[] {
  return records.filter((r) => r.status === ApproverStatus.APPROVED && findApprover(rules, r.approver) !== undefined);
}

/** A Reject closes the proposal as REJECTED (once) and cancels its runs, which have nothing on chain yet. */
async function reject(proposal: Proposal, stored: StoredApproval, runs: readonly Run[], deps: SchedulerDeps, rules: ApprovalRules): Promise<ApproveProposalReturnType> {
  const governance = deps.governance!;
  const rejected = (await governance.approvals.closeApproval(proposal.id, ApprovalStatus.REJECTED, deps.clock.now())).closed;
  if (rejected) {
    for (const run of runs) if (!isTerminalRun(run)) await saveTransition(deps, run, { type: "cancelled" });
    await record(deps, { proposalId: proposal.id, event: "proposal.rejected", key: "proposal.rejected", details: { signer: stored.approver, approverId: stored.approverId, digest: stored.digest } });
    await resolve(deps, approvalStaleResolution(proposal.id, "rejected"));
  }
  const counted = countApproved(await governance.approvals.listApprovals(proposal.id), rules);
  const status = rejected ? ApprovalStatus.REJECTED : ((await deps.store.getProposal(proposal.id))?.approval?.status ?? ApprovalStatus.REJECTED);
  return { approval: stored, status, approvals: counted.length, threshold: rules.threshold, scheduled: false, rejected };
}
