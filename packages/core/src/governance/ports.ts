/**
 * Ports of the governance domain: where approvals are kept (DynamoDB in packages/aws, maps in tests), how
 * an ERC-1271 account is asked about a signature (ethers in packages/chain), and what the dispatchers of a
 * proposal's networks look like when it is made (bound into the typed data).
 */
import type { ApprovalPolicy, ApprovalRules } from "./policy.js";
import type { ApprovalAction, ApprovalTarget } from "./typed-data.js";

/**
 * Where a proposal under a policy stands. Its runs stay PROPOSED (no commit scheduled) while it awaits approval.
 * (Here, beside the ports, because it needs no ethers: stores take it from `@payrox/core/runs`.)
 */
export const ApprovalStatus = {
  AWAITING_APPROVAL: "AWAITING_APPROVAL",
  APPROVED: "APPROVED",
  REJECTED: "REJECTED",
} as const;
/** One of {@link ApprovalStatus}. */
export type ApprovalStatus = (typeof ApprovalStatus)[keyof typeof ApprovalStatus];

/**
 * The rules of a policy, or undefined when it says `approvals: "none"`.
 * (Here, not in policy.ts, for the same reason: the gates that ask it load no ethers until a policy applies.)
 */
export function approvalRulesOf(policy: ApprovalPolicy): ApprovalRules | undefined {
  return policy.approvals === "none" ? undefined : policy.approvals;
}

/** The state of one approver on one proposal after its last accepted signature. */
export const ApproverStatus = {
  APPROVED: "approved",
  WITHDRAWN: "withdrawn",
  REJECTED: "rejected",
} as const;
/** One of {@link ApproverStatus}. */
export type ApproverStatus = (typeof ApproverStatus)[keyof typeof ApproverStatus];

/** One approver's record on one proposal: its last accepted signature (one item per approver). */
export interface StoredApproval {
  proposalId: string;
  /** The approver's address (EIP-55); the record's key, so approvals count per approver. */
  approver: string;
  /** The policy's id of the approver (for display). */
  approverId: string;
  status: ApproverStatus;
  /** The action of the last accepted signature. */
  action: ApprovalAction;
  /** The nonce it was signed with; the approver's next signature must use `nonce + 1`. */
  nonce: number;
  signature: string;
  /** The EIP-712 digest it signed. */
  digest: string;
  atMs: number;
}

/** Outcome of a conditional approval write: stored, or refused with what is stored. */
export type ApprovalWriteResult = { ok: true } | { ok: false; stored: StoredApproval | undefined };

/** A stored approver record a status move relies on. */
export type ApprovalBasis = Pick<StoredApproval, "approver" | "nonce" | "status">;

/** Outcome of {@link ApprovalStore.closeApproval}. */
export type CloseApprovalResult = { closed: true } | { closed: false; reason: "not-awaiting" | "basis-changed" };

/** Persistence of approvals and the proposal's approval status; every mutation is conditional. */
export interface ApprovalStore {
  /**
   * Stores `next` as the approver's record if the stored one is still as expected: absent when
   * `next.nonce` is 0, otherwise at nonce `next.nonce - 1`; an approval also needs a stored status other
   * than approved, a withdrawal an approved one. So two signatures of one approver can't both count, and
   * a used nonce can't be used again.
   */
  putApproval(next: StoredApproval): Promise<ApprovalWriteResult>;
  /** Every approver record of a proposal (strongly consistent). */
  listApprovals(proposalId: string): Promise<StoredApproval[]>;
  /**
   * Moves the proposal's approval status from `AWAITING_APPROVAL` to `to` with one atomic conditional write
   * that also requires every record of `basis` to be unchanged (the approver's record still at that nonce
   * and status): a withdrawal racing the threshold crossing makes the move fail instead of leaving an
   * APPROVED proposal without its quorum.
   * @returns `closed` when this call made the move; otherwise why not — the status had already left
   * AWAITING_APPROVAL (`not-awaiting`), or a record of `basis` changed (`basis-changed`: count again)
   */
  closeApproval(proposalId: string, to: "APPROVED" | "REJECTED", atMs: number, basis?: readonly ApprovalBasis[]): Promise<CloseApprovalResult>;
}

/** What an ERC-1271 account answered, read at one block. */
export type Erc1271Answer =
  /** `isValidSignature` returned the magic value `0x1626ba7e` (valid) or anything else (invalid). */
  | { result: "valid" | "invalid"; blockNumber: number }
  /** The call reverted, or the account has no code. */
  | { result: "reverted"; reason: string; blockNumber?: number };

/** Asks smart accounts whether they consider a signature theirs (ERC-1271). */
export interface Erc1271Reader {
  /** Calls `account.isValidSignature(digest, signature)` on `network` at one block. Throws only when the network can't be read. */
  isValidSignature(network: string, account: string, digest: string, signature: string): Promise<Erc1271Answer>;
}

/** Reads what a proposal's approval binds about a target network's dispatcher. */
export interface ApprovalTargetReader {
  /** Chain id, dispatcher address, activation delay and expiry window of `network`, as they are now. */
  target(network: string): Promise<ApprovalTarget>;
}

/** What the use cases need to run proposals under a deployment's approval policy. */
export interface GovernanceDeps {
  /** Names the deployment in the typed data's domain (salt), e.g. `<app>-<stage>`. */
  deploymentId: string;
  /** The validated policy ({@link loadApprovalPolicy}); `approvals: "none"` keeps the behaviour without approvals. */
  policy: ApprovalPolicy;
  approvals: ApprovalStore;
  /** Reads ERC-1271 answers; required when the policy lists smart-account approvers. */
  erc1271?: Erc1271Reader;
  /** Reads each target network's dispatcher facts at proposal time; required when the policy requires approvals. */
  targets?: ApprovalTargetReader;
}

/** The policy a deployment last ran with, as recorded in its store: what a policy change is audited against. */
export interface PolicyRecord {
  /** {@link policyHash} of the policy. */
  policyHash: string;
  /** Counts the recorded changes (1: the first policy recorded). */
  version: number;
}

/** Where a deployment keeps its {@link PolicyRecord}; every move is conditional. */
export interface PolicyRecordStore {
  /** The recorded policy (strongly consistent); undefined before the first. */
  current(): Promise<PolicyRecord | undefined>;
  /** Moves the record from `expected` (undefined: none yet) to `next`; false when it no longer was `expected`. */
  advance(expected: PolicyRecord | undefined, next: PolicyRecord): Promise<boolean>;
}
