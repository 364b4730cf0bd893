/**
 * Errors of the governance domain: a policy that can't be used, and every reason an approval is refused.
 * Each refusal carries a stable {@link ApprovalRejection} code and the HTTP status the API maps it to.
 */
import { CoreError } from "../errors.js";

/** A deployment's approval policy is missing or malformed, or not allowed on this stage; `field` names where. */
export class ApprovalPolicyError extends CoreError {
  constructor(
    readonly field: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`approval policy invalid at ${field || "(root)"}: ${problem}`, options);
  }
}

/** Why an approval, withdrawal or rejection was refused: stable codes for the API and alerts. */
export const ApprovalRejection = {
  /** Not a 64- or 65-byte ECDSA signature (or a non-canonical one), or unparseable input. */
  MALFORMED_SIGNATURE: "malformed-signature",
  /** The signer (or the named account) is not one of the policy's approvers. */
  NOT_APPROVER: "not-approver",
  /** The signature is not over this proposal's typed data (another proposal, chain, dispatcher, manifest or policy). */
  DIGEST_MISMATCH: "digest-mismatch",
  /** The nonce was already used by this approver on this proposal. */
  REPLAYED_NONCE: "replayed-nonce",
  /** The nonce skips ahead of the approver's next one. */
  NONCE_AHEAD: "nonce-ahead",
  /** The approver's approval is already counted. */
  DUPLICATE_APPROVAL: "duplicate-approval",
  /** A withdrawal by an approver who has no counted approval. */
  NOTHING_TO_WITHDRAW: "nothing-to-withdraw",
  /** The approval window closed before the signature arrived. */
  AFTER_DEADLINE: "after-deadline",
  /** The proposal was approved, rejected or cancelled, or its runs are over: nothing more can be signed. */
  PROPOSAL_CLOSED: "proposal-closed",
  /** The proposal is not under an approval policy. */
  NOT_UNDER_POLICY: "not-under-policy",
  /** The policy changed since the proposal was made: its approvals were signed over another policy. */
  POLICY_CHANGED: "policy-changed",
  /** An ERC-1271 account answered something other than the magic value. */
  ERC1271_REJECTED: "erc1271-rejected",
  /** An ERC-1271 account's `isValidSignature` reverted (or has no code). */
  ERC1271_REVERTED: "erc1271-reverted",
  /** The proposer signed its own proposal while the policy forbids self-approval. */
  SELF_APPROVAL: "self-approval",
} as const;
/** One of {@link ApprovalRejection}. */
export type ApprovalRejection = (typeof ApprovalRejection)[keyof typeof ApprovalRejection];

const STATUS: Record<ApprovalRejection, number> = {
  "malformed-signature": 400,
  "not-approver": 403,
  "digest-mismatch": 400,
  "replayed-nonce": 409,
  "nonce-ahead": 400,
  "duplicate-approval": 409,
  "nothing-to-withdraw": 409,
  "after-deadline": 409,
  "proposal-closed": 409,
  "not-under-policy": 409,
  "policy-changed": 409,
  "erc1271-rejected": 403,
  "erc1271-reverted": 403,
  "self-approval": 403,
};

/** An approval, withdrawal or rejection was refused; nothing was written. */
export class ApprovalRejectedError extends CoreError {
  /** The HTTP status the API answers with. */
  readonly status: number;

  constructor(
    readonly code: ApprovalRejection,
    message: string,
    /** Context for the audit trail and alerts (signer, digest…). */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`approval refused (${code}): ${message}`, options);
    this.status = STATUS[code];
  }
}

/** The stored approvals of a proposal do not make a quorum under the policy (checked right before a commit is signed). */
export class QuorumNotVerifiedError extends CoreError {
  constructor(
    readonly proposalId: string,
    readonly valid: number,
    readonly threshold: number,
    /** Why each stored approval that did not count was refused, by approver. */
    readonly refused: Record<string, string>,
  ) {
    super(`proposal ${proposalId} has ${valid} verified approval(s) of ${threshold} required` + (Object.keys(refused).length ? `; refused: ${Object.entries(refused).map(([a, why]) => `${a} (${why})`).join(", ")}` : ""));
  }
}

/** The deployment's governance is configured in a way that can't run (e.g. approvals required but no way to read the target dispatchers). */
export class GovernanceConfigError extends CoreError {}

/**
 * A target dispatcher's timing changed since the approvals signed it: its live activation delay or expiry
 * window is not the one in the approved typed data, so the commit would not do what the approvers signed.
 */
export class ApprovedTargetChangedError extends CoreError {
  constructor(
    readonly proposalId: string,
    readonly network: string,
    /** Which signed field differs. */
    readonly field: "activationDelay" | "expiryWindow",
    /** Seconds, as signed. */
    readonly signed: number,
    /** Seconds, as the dispatcher reports it now. */
    readonly live: number,
  ) {
    const what = field === "activationDelay" ? "an activation delay" : "an expiry window";
    super(`the dispatcher on ${network} now has ${what} of ${live} s, the approvals of proposal ${proposalId} signed ${signed} s; cancel the proposal and propose it again so the approvers sign the live timing`);
  }
}
