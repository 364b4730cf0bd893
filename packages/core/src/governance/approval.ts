/**
 * A proposal's approval state (stored with the proposal) and the quorum check: the stored approvals of a
 * proposal re-verified against the policy — what the commit step does right before it signs, so a row
 * written straight into the table is not an approval.
 */
import { ApprovalRejectedError, QuorumNotVerifiedError } from "./errors.js";
import type { ApprovalRules } from "./policy.js";
import { ApprovalStatus, ApproverStatus, type Erc1271Reader, type StoredApproval } from "./ports.js";
import { ApprovalAction, type ApprovalSubject, type ApprovalTarget } from "./typed-data.js";
import { verifySignature, type VerifiedSignature } from "./verify.js";

/** What a proposal under a policy stores about its approval: everything its typed data is built from. */
export interface ProposalApproval {
  status: ApprovalStatus;
  deploymentId: string;
  policyHash: string;
  threshold: number;
  /** keccak256 of the manifest JSON text as stored. */
  manifestHash: string;
  root: string;
  leafCount: number;
  targets: ApprovalTarget[];
  /** Approvals are accepted until then (unix ms). */
  deadlineMs: number;
  /** When the status left AWAITING_APPROVAL. */
  decidedAtMs?: number;
  /**
   * The policy's `allOrNone` when the proposal was made (bound by `policyHash`): a network's run that halts
   * before activating holds the activation of the others. Absent on proposals stored before it was kept: off.
   */
  allOrNone?: boolean;
}

/** The fields of a proposal the typed data binds. */
export interface ApprovableProposal {
  id: string;
  earliestCommitAtMs?: number;
  cutoverAtMs?: number;
  approval?: ProposalApproval;
}

/** The typed data's subject of a proposal under a policy (times in whole seconds, rounded down). */
export function approvalSubject(proposal: ApprovableProposal & { approval: ProposalApproval }): ApprovalSubject {
  const a = proposal.approval;
  const seconds = (ms: number | undefined) => Math.floor((ms ?? 0) / 1000);
  return {
    deploymentId: a.deploymentId,
    proposalId: proposal.id,
    root: a.root,
    leafCount: a.leafCount,
    manifestHash: a.manifestHash,
    policyHash: a.policyHash,
    targets: a.targets,
    earliestCommitAt: seconds(proposal.earliestCommitAtMs),
    cutoverAt: seconds(proposal.cutoverAtMs),
    deadline: seconds(a.deadlineMs),
  };
}

/** What {@link verifyQuorum} found. */
export interface VerifiedQuorum {
  approvals: VerifiedSignature[];
}

/**
 * Re-verifies every stored approval (status approved) of a proposal against its typed data and the policy,
 * one per approver, and checks they reach the policy's threshold.
 * @throws {QuorumNotVerifiedError} naming the refused records when fewer than the threshold verify
 */
export async function verifyQuorum(proposal: ApprovableProposal & { approval: ProposalApproval }, proposer: string, stored: readonly StoredApproval[], rules: ApprovalRules, erc1271?: Erc1271Reader): Promise<VerifiedQuorum> {
  const subject = approvalSubject(proposal);
  const verified = new Map<string, VerifiedSignature>();
  const refused: Record<string, string> = {};
  for (const record of stored) {
    if (record.status !== ApproverStatus.APPROVED || record.proposalId !== proposal.id) continue;
    try {
      const result = await verifySignature({ action: ApprovalAction.APPROVE, nonce: record.nonce, signature: record.signature, approver: record.approver }, { subject, rules, proposer, ...(erc1271 && { erc1271 }) });
      verified.set(result.approver.address, result);
    } catch (error) {
      if (!(error instanceof ApprovalRejectedError)) throw error;
      refused[record.approver] = error.code;
    }
  }
  if (verified.size < rules.threshold) throw new QuorumNotVerifiedError(proposal.id, verified.size, rules.threshold, refused);
  return { approvals: [...verified.values()] };
}
