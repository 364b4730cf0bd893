/**
 * Ports of the scheduler's use cases. Adapters: DynamoDB / EventBridge Scheduler (packages/aws) and
 * local ones (packages/devnet). Use cases import only these interfaces.
 */
import type { AlertDraft, AlertStatus } from "../alerts/types.js";
import type { Proposal, Run, StepLease, StepName } from "./types.js";

/** Source of time (unix ms); the local scheduler and tests substitute their own. */
export interface Clock {
  now(): number;
}

/** Persistence of proposals, runs and step leases. Every mutation is conditional. */
export interface RunStore {
  /**
   * Writes the proposal and its initial runs atomically, each run taking its network's lock; fails with a
   * conflict if the id exists, and with `NetworkBusyError` (naming the holder) when another proposal's
   * unfinished run holds one of the networks — then nothing is written. A lock whose holder's run is
   * final (its release was lost in a crash) is taken over, unless it is held for the run's cleanup
   * ({@link RunStore.holdNetwork}) and that hold has not expired.
   */
  createProposal(proposal: Proposal, runs: Run[]): Promise<void>;
  /** Gives up `proposalId`'s lock on `network` (a no-op when another proposal holds it, or nobody). */
  releaseNetwork(network: string, proposalId: string): Promise<void>;
  /**
   * Marks `proposalId`'s lock on `network` as still in use until `untilMs`, even once its run is final: the
   * run is about to end and then still sends transactions (the cancel of its own pending root). Until then
   * (or its release) `createProposal` does not take the lock over. A no-op when another proposal holds it.
   * Absent: the lock is taken over as soon as the run is final.
   */
  holdNetwork?(network: string, proposalId: string, untilMs: number): Promise<void>;
  /** The proposal holding `network`'s lock, if any (diagnostics, status). */
  networkHolder(network: string): Promise<string | undefined>;
  /**
   * `network`'s lock as stored (strongly consistent), with the cleanup hold {@link RunStore.holdNetwork} set:
   * the watchdog reads it to find networks a leftover root still holds. Absent: no such retry.
   */
  networkLock?(network: string): Promise<NetworkLock | undefined>;
  getProposal(id: string): Promise<Proposal | undefined>;
  listProposals(options?: { limit?: number; cursor?: string }): Promise<{ proposals: Proposal[]; cursor?: string }>;
  getRun(proposalId: string, network: string): Promise<Run | undefined>;
  listRuns(proposalId: string): Promise<Run[]>;
  /**
   * Stores `next` if the stored run still has `expectedVersion`; `next.version` must be
   * `expectedVersion + 1`. Throws a conflict error carrying the stored run otherwise.
   */
  saveRun(next: Run, expectedVersion: number): Promise<void>;
  /**
   * Claims a step: succeeds if no unexpired lease on (run, step, attempt) is held by another owner.
   * @returns the lease, or undefined when someone else holds it.
   */
  claimStep(lease: StepLease, nowMs: number): Promise<StepLease | undefined>;
  /** Marks a claimed step done so later duplicate triggers see it finished. */
  completeStep(lease: StepLease): Promise<void>;
  /** Whether (run, step, attempt) was completed. */
  isStepComplete(proposalId: string, network: string, step: StepName, attempt: string): Promise<boolean>;
}

/** A network's lock: the proposal holding it and, once its run is final, until when its cleanup holds it. */
export interface NetworkLock {
  network: string;
  /** The proposal holding the lock. */
  holder: string;
  /** Set by {@link RunStore.holdNetwork}; `LEFTOVER_ROOT_HOLD_UNTIL_MS` while a leftover root holds the network. */
  cleanupUntilMs?: number;
}

/** One audit event as the caller describes it. */
export interface AuditEventInput {
  proposalId: string;
  /** IAM principal, `scheduler`, `watchdog`… */
  actor: string;
  /** What happened, e.g. `proposal.created`, `commit.sent`, `apply.confirmed`, `run.failed`. */
  event: string;
  network?: string;
  txHash?: string;
  gasUsed?: string;
  /** Extra JSON-serialisable details. */
  details?: Record<string, unknown>;
  /**
   * Idempotency key, unique within the proposal's trail: appending an entry whose key the trail already
   * holds writes nothing and returns the stored entry. A step records its transaction under the
   * transaction's journal step id *before* moving the run, so a crash between the two writes neither
   * loses the entry (the retry records it) nor doubles it (the retry finds it).
   */
  key?: string;
  atMs: number;
}

/** A stored audit entry: the input plus its position and hash chain. */
export interface AuditEntry extends AuditEventInput {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Append-only, tamper-evident audit trail per proposal. */
export interface AuditLog {
  /**
   * Appends after the proposal's last entry (seq + 1, prevHash = last hash); retries on a concurrent append.
   * An input whose `key` the proposal's trail already holds is not appended: the stored entry is returned.
   */
  append(input: AuditEventInput): Promise<AuditEntry>;
  list(proposalId: string): Promise<AuditEntry[]>;
  /** The proposal's newest entry (cheaper than `list` where the adapter can); absent: the anchorer uses `list`. */
  last?(proposalId: string): Promise<AuditEntry | undefined>;
}

/** A one-time trigger of a step at a time. */
export interface ScheduledJob {
  /** Derived from (proposal, network, step, attempt): a duplicate request collides instead of doubling. */
  name: string;
  step: StepName;
  proposalId: string;
  network: string;
  attempt: string;
  runAtMs: number;
}

/** Schedules steps (EventBridge Scheduler `at(...)`, SQS delay, or the local loop). */
export interface Scheduler {
  /** Idempotent by `job.name`. */
  schedule(job: ScheduledJob): Promise<void>;
  cancel(name: string): Promise<void>;
  /**
   * The most a job due `delayMs` from now may fire after its time, in ms (EventBridge Scheduler: a
   * minute; the SQS delay queue: a second). Absent: unknown, so callers never rely on precision.
   */
  precisionMs?(delayMs: number): number;
}

/**
 * Something a human must know now: a raised incident or its resolution. Receivers dedupe by `id`
 * (one id per incident and status); `dedupeKey` names the incident.
 */
export interface Alert extends AlertDraft {
  /** {@link alertId}(dedupeKey, status). */
  id: string;
  status: AlertStatus;
  atMs: number;
  /** The runbook section of the alert's type: `<runbook base>#<type>` ({@link runbookUrl}). */
  runbook: string;
}

/** Delivers alerts (webhook, EventBridge, console…). */
export interface AlertSink {
  /** Delivers one alert (raised or resolved); throws when it could not be delivered or dead-lettered. */
  raise(alert: Alert): Promise<void>;
}
