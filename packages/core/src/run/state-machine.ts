/**
 * The run state machine: pure transitions of one proposal on one network, and the step a scheduler
 * triggers next. No I/O — the store persists what {@link transition} returns with a conditional write on
 * `version`, so a duplicated or concurrent trigger loses the race instead of acting twice.
 *
 * Transition table (any pair not listed throws {@link IllegalTransitionError}):
 *
 * | from \ event | committed | batchApplied       | activated | activationNotReady / activationPaused | failed | cancelled | expired |
 * | ------------ | --------- | ------------------ | --------- | ------------------------------------- | ------ | --------- | ------- |
 * | PROPOSED     | COMMITTED | —                  | —         | —                                     | FAILED | CANCELLED | —       |
 * | COMMITTED    | —         | APPLYING / APPLIED | —         | —                                     | FAILED | CANCELLED | EXPIRED |
 * | APPLYING     | —         | APPLYING / APPLIED | —         | —                                     | FAILED | CANCELLED | EXPIRED |
 * | APPLIED      | —         | —                  | ACTIVATED | APPLIED                               | FAILED | CANCELLED | EXPIRED |
 * | terminal     | —         | —                  | —         | —                                     | —      | —         | —       |
 *
 * Why: nothing can expire before a root is committed (the expiry window starts at the ETA); a cancel is
 * possible until activation (`cancelCommittedRoot` discards the pending root and its staged routes, and
 * a PROPOSED run has nothing on chain yet); anything not yet final can fail.
 */
import { CoreError } from "../errors.js";
import { RunState, StepName, TERMINAL_STATES, type Run } from "./types.js";

/** Names of the events a run accepts. */
export const RunEventType = {
  COMMITTED: "committed",
  BATCH_APPLIED: "batchApplied",
  ACTIVATED: "activated",
  ACTIVATION_NOT_READY: "activationNotReady",
  ACTIVATION_PAUSED: "activationPaused",
  FAILED: "failed",
  CANCELLED: "cancelled",
  EXPIRED: "expired",
} as const;
/** One of {@link RunEventType}. */
export type RunEventType = (typeof RunEventType)[keyof typeof RunEventType];

/** Something that happened to a run (a confirmed transaction, a revert, a decision). */
export type RunEvent =
  /** `commitRoot` confirmed; `activateAtMs` is the ETA or a later coordinated cut-over; `epoch` the one it took. */
  | { type: "committed"; etaMs: number; activateAtMs: number; epoch?: number }
  /** Apply batch `index` (0-based) confirmed; must be the next batch (`index === run.batchesApplied`). */
  | { type: "batchApplied"; index: number }
  /** `activateCommittedRoot` confirmed. */
  | { type: "activated" }
  /** An activation attempt was early (`ActivationNotReady`): try again at `retryAtMs`. */
  | { type: "activationNotReady"; retryAtMs: number }
  /**
   * The dispatcher refused the activation because it is paused: the run holds (its times unchanged) and
   * tries again as a new attempt — the version moves, so the retry is its own journaled transaction.
   */
  | { type: "activationPaused" }
  /** The run can't go on (drift, codehash mismatch, unauthorized, reverted…). */
  | { type: "failed"; code: string; message: string }
  /** A human (or the API) cancelled the run. */
  | { type: "cancelled" }
  /** The activation window closed (ETA + expiry window passed) before activation. */
  | { type: "expired" };

/** The events each state accepts; terminal states accept none. */
export const ACCEPTED_EVENTS: Readonly<Record<RunState, readonly RunEventType[]>> = {
  PROPOSED: ["committed", "failed", "cancelled"],
  COMMITTED: ["batchApplied", "failed", "cancelled", "expired"],
  APPLYING: ["batchApplied", "failed", "cancelled", "expired"],
  APPLIED: ["activated", "activationNotReady", "activationPaused", "failed", "cancelled", "expired"],
  ACTIVATED: [],
  FAILED: [],
  CANCELLED: [],
  EXPIRED: [],
};

/** Gap between a confirmed apply batch and the next one (DESIGN.md: batch k+1 five seconds after batch k). */
export const APPLY_BATCH_GAP_MS = 5_000;

/** The run does not accept the event in its state, or the event's data does not fit the run. */
export class IllegalTransitionError extends CoreError {
  constructor(
    readonly from: RunState,
    readonly event: RunEventType,
    readonly reason: string,
    readonly run: Pick<Run, "proposalId" | "network" | "state" | "batchesApplied" | "batchCount">,
  ) {
    super(`run ${run.proposalId} on ${run.network} is ${describeRunState(run)}: cannot accept ${event}: ${reason}`);
  }
}

/** A run object breaks an invariant (e.g. 0 batches, APPLYING with k = n); it was built or stored wrongly. */
export class InvalidRunError extends CoreError {
  constructor(
    readonly problems: string[],
    readonly run: Run,
  ) {
    super(`invalid run ${run.proposalId} on ${run.network}: ${problems.join("; ")}`);
  }
}

/** Input of {@link createRun}. */
export interface CreateRunParameters {
  proposalId: string;
  network: string;
  /** Apply batches planned for this network; at least 1 (a manifest always has a leaf). */
  batchCount: number;
  nowMs: number;
}

/** A new run in PROPOSED at version 0. */
export function createRun({ proposalId, network, batchCount, nowMs }: CreateRunParameters): Run {
  const run: Run = { proposalId, network, state: RunState.PROPOSED, batchesApplied: 0, batchCount, version: 0, updatedAtMs: nowMs };
  assertValidRun(run);
  return run;
}

/** Every invariant `run` breaks (empty when it is valid). */
export function runProblems(run: Run): string[] {
  const problems: string[] = [];
  const { state, batchesApplied: k, batchCount: n } = run;
  if (!Object.hasOwn(ACCEPTED_EVENTS, state)) return [`unknown state ${String(state)}`];
  if (!Number.isSafeInteger(n) || n < 1) problems.push(`batchCount must be an integer ≥ 1, got ${n}`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n) problems.push(`batchesApplied must be an integer in [0, batchCount], got ${k}`);
  if (!Number.isSafeInteger(run.version) || run.version < 0) problems.push(`version must be an integer ≥ 0, got ${run.version}`);
  if (!Number.isFinite(run.updatedAtMs)) problems.push(`updatedAtMs must be a finite number`);
  if ((state === "PROPOSED" || state === "COMMITTED") && k !== 0) problems.push(`${state} must have 0 batches applied, has ${k}`);
  if (state === "APPLYING" && !(k > 0 && k < n)) problems.push(`APPLYING needs 0 < batchesApplied < batchCount, has ${k}/${n}`);
  if ((state === "APPLIED" || state === "ACTIVATED") && k !== n) problems.push(`${state} needs every batch applied, has ${k}/${n}`);
  const committed = state === "COMMITTED" || state === "APPLYING" || state === "APPLIED" || state === "ACTIVATED";
  if (committed && (run.etaMs === undefined || run.activateAtMs === undefined)) problems.push(`${state} needs etaMs and activateAtMs`);
  if (state === "PROPOSED" && (run.etaMs !== undefined || run.activateAtMs !== undefined)) problems.push(`PROPOSED has no etaMs or activateAtMs yet`);
  if ((state === "FAILED") !== (run.failure !== undefined)) problems.push(`failure is set exactly when the state is FAILED`);
  return problems;
}

/** Throws {@link InvalidRunError} when `run` breaks an invariant. */
export function assertValidRun(run: Run): void {
  const problems = runProblems(run);
  if (problems.length > 0) throw new InvalidRunError(problems, run);
}

/**
 * Applies `event` to `run` at `nowMs`: a new run with `version + 1` and `updatedAtMs = nowMs`; `run` itself
 * is not changed.
 * @throws {IllegalTransitionError} when the state does not accept the event or its data does not fit
 * @throws {InvalidRunError} when `run` itself is malformed
 * @example transition(run, { type: "batchApplied", index: run.batchesApplied }, clock.now())
 */
export function transition(run: Run, event: RunEvent, nowMs: number): Run {
  assertValidRun(run);
  const illegal = (reason: string) => new IllegalTransitionError(run.state, event.type, reason, run);
  if (!ACCEPTED_EVENTS[run.state].includes(event.type)) throw illegal(refusal(run));
  if (!Number.isFinite(nowMs)) throw illegal(`nowMs must be a finite number, got ${nowMs}`);
  const next: Run = { ...run, version: run.version + 1, updatedAtMs: nowMs };
  switch (event.type) {
    case "committed":
      if (!isTime(event.etaMs) || !isTime(event.activateAtMs)) throw illegal(`etaMs and activateAtMs must be non-negative integers (unix ms)`);
      if (event.activateAtMs < event.etaMs) throw illegal(`activateAtMs ${event.activateAtMs} is before the ETA ${event.etaMs}; the contract refuses early activation`);
      if (event.epoch !== undefined && !(Number.isSafeInteger(event.epoch) && event.epoch > 0)) throw illegal(`epoch must be a positive integer, got ${event.epoch}`);
      return { ...next, state: RunState.COMMITTED, etaMs: event.etaMs, activateAtMs: event.activateAtMs, ...(event.epoch !== undefined && { committedEpoch: event.epoch }) };
    case "batchApplied":
      if (event.index !== run.batchesApplied) throw illegal(`batch ${event.index} is out of order; batch ${run.batchesApplied} of ${run.batchCount} is next`);
      return { ...next, batchesApplied: run.batchesApplied + 1, state: run.batchesApplied + 1 === run.batchCount ? RunState.APPLIED : RunState.APPLYING };
    case "activated":
      return { ...next, state: RunState.ACTIVATED };
    case "activationNotReady":
      if (!isTime(event.retryAtMs)) throw illegal(`retryAtMs must be a non-negative integer (unix ms)`);
      // Never earlier than planned: that would break a coordinated cut-over.
      return { ...next, activateAtMs: Math.max(run.activateAtMs!, event.retryAtMs) };
    case "activationPaused":
      return next;
    case "failed":
      if (event.code.trim() === "") throw illegal(`a failure needs a code`);
      return { ...next, state: RunState.FAILED, failure: { code: event.code, message: event.message } };
    case "cancelled":
      return { ...next, state: RunState.CANCELLED };
    case "expired":
      return { ...next, state: RunState.EXPIRED };
  }
}

/** What a scheduler should trigger next for a run. */
export interface NextStep {
  step: StepName;
  /**
   * Distinguishes attempts of the step (part of the schedule name and the step lease): `"0"` for commit,
   * the batch index for apply, and the run's version for activate — an early activation is rescheduled
   * under a new attempt, since the early one was claimed and completed.
   */
  attempt: string;
  /** When the step should run (unix ms); may be in the past, meaning "now". */
  atMs: number;
}

/** Options of {@link nextStep}. */
export interface NextStepOptions {
  /** The proposal's `earliestCommitAtMs`: commit no earlier. */
  earliestCommitAtMs?: number;
}

/**
 * The step to trigger next, or undefined for a terminal run. Activation is due at `activateAtMs`; the
 * scheduler adapter decides how early to fire (EventBridge has 60 s precision) and the step holds until
 * the chain's next block is due.
 */
export function nextStep(run: Run, options: NextStepOptions = {}): NextStep | undefined {
  switch (run.state) {
    case "PROPOSED":
      return { step: StepName.COMMIT, attempt: "0", atMs: Math.max(run.updatedAtMs, options.earliestCommitAtMs ?? -Infinity) };
    case "COMMITTED":
      return { step: StepName.APPLY, attempt: "0", atMs: run.updatedAtMs };
    case "APPLYING":
      return { step: StepName.APPLY, attempt: String(run.batchesApplied), atMs: run.updatedAtMs + APPLY_BATCH_GAP_MS };
    case "APPLIED":
      return { step: StepName.ACTIVATE, attempt: String(run.version), atMs: run.activateAtMs ?? run.updatedAtMs };
    default:
      return undefined;
  }
}

/** Whether the run is in a state it never leaves. */
export function isTerminalRun(run: Pick<Run, "state">): boolean {
  return TERMINAL_STATES.has(run.state);
}

/** The state for humans: `APPLYING(2/5)`, `FAILED(drift)`, `COMMITTED`… */
export function describeRunState(run: Pick<Run, "state" | "batchesApplied" | "batchCount"> & { failure?: Run["failure"] }): string {
  if (run.state === RunState.APPLYING) return `APPLYING(${run.batchesApplied}/${run.batchCount})`;
  if (run.state === RunState.FAILED && run.failure) return `FAILED(${run.failure.code})`;
  return run.state;
}

function refusal(run: Run): string {
  if (isTerminalRun(run)) return `${run.state} is final; a finished run accepts no event (propose again to retry)`;
  return `${run.state} accepts only ${ACCEPTED_EVENTS[run.state].join(", ")}`;
}

function isTime(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
