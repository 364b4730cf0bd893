/**
 * The scheduler's domain types: a proposal (one manifest, many networks) and its runs (one per
 * network), with the run's states as in DESIGN.md: PROPOSED → COMMITTED → APPLYING(k/n) → APPLIED →
 * ACTIVATED, or FAILED(reason) | CANCELLED | EXPIRED.
 */
import type { ProposalApproval } from "../governance/approval.js";

/** States of a run (one proposal on one network). */
export const RunState = {
  PROPOSED: "PROPOSED",
  COMMITTED: "COMMITTED",
  APPLYING: "APPLYING",
  APPLIED: "APPLIED",
  ACTIVATED: "ACTIVATED",
  FAILED: "FAILED",
  CANCELLED: "CANCELLED",
  EXPIRED: "EXPIRED",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** States a run never leaves. */
export const TERMINAL_STATES: ReadonlySet<RunState> = new Set([RunState.ACTIVATED, RunState.FAILED, RunState.CANCELLED, RunState.EXPIRED]);

/** The steps a scheduler triggers; each is one Lambda (or local handler). */
export const StepName = {
  COMMIT: "commit",
  APPLY: "apply",
  ACTIVATE: "activate",
} as const;
export type StepName = (typeof StepName)[keyof typeof StepName];

/** Why a run failed: a stable code for alerts and the API, and a human message. */
export interface RunFailure {
  code: string;
  message: string;
}

/** One proposal on one network. Times are unix milliseconds. */
export interface Run {
  proposalId: string;
  network: string;
  state: RunState;
  /** Apply batches confirmed so far (k of APPLYING(k/n)). */
  batchesApplied: number;
  /** Apply batches planned for this network (n). */
  batchCount: number;
  /** On-chain ETA once committed. */
  etaMs?: number;
  /**
   * The epoch the commit took on chain (the dispatcher's `nextEpoch()` then): a cancel names it with the
   * root, so it can never cancel another commitment. Absent on runs committed before it was recorded.
   */
  committedEpoch?: number;
  /** When activation should happen: the ETA, or the proposal's coordinated cut-over if later. */
  activateAtMs?: number;
  failure?: RunFailure;
  /** Optimistic-concurrency version: every stored transition is conditional on it. */
  version: number;
  updatedAtMs: number;
}

/** A proposed upgrade: one manifest to roll out on several networks. */
export interface Proposal {
  id: string;
  /** The manifest file's canonical JSON (packages/core manifest format). */
  manifestJson: string;
  /** Manifest root, duplicated for listing. */
  root: string;
  name: string;
  networks: string[];
  /** Do not commit before this time (unix ms). */
  earliestCommitAtMs?: number;
  /** Coordinated cut-over: activate every network at this time (≥ the latest ETA). */
  cutoverAtMs?: number;
  createdAtMs: number;
  /** Who proposed it (IAM principal, CLI user...). */
  proposer: string;
  /**
   * The batch limits the proposal was planned with: every apply step re-plans with these, so a process
   * with other settings (a restart, a redeploy) still applies the same batches. Absent on proposals
   * stored before it existed (the step's own options then apply).
   */
  plan?: ProposalPlanLimits;
  /**
   * Present when the proposal was made under an approval policy: its runs stay PROPOSED, with no commit
   * scheduled, until the approval status is APPROVED (see governance/approval.ts).
   */
  approval?: ProposalApproval;
  /**
   * Each target network's active epoch and root as read when the proposal was made (a review reports the
   * drift since). Absent on older proposals, and for a network whose read failed then.
   */
  liveAtProposal?: Record<string, { activeEpoch: number; activeRoot: string }>;
}

/** The serialisable limits of a batch plan (`PlanOptions` without the cost model and live selectors). */
export interface ProposalPlanLimits {
  gasCap: number;
  maxBatchSize: number;
  margin: number;
}

/** A time-limited claim on one step of one run, so concurrent triggers don't both act. */
export interface StepLease {
  proposalId: string;
  network: string;
  step: StepName;
  /** Distinguishes attempts of the same step, e.g. the batch index for apply. */
  attempt: string;
  owner: string;
  expiresAtMs: number;
}
