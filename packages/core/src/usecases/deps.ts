/**
 * What the scheduler's use cases need (one {@link SchedulerDeps} object of ports), the job naming
 * rule, and the small shared moves of every step: save a transition (a lost race is not an error),
 * audit, alert, fail a run.
 */
import { createHash } from "node:crypto";
import type { PlanOptions } from "../manifest/planner.js";
import type { Network } from "../networks/types.js";
import type { DispatcherGateway } from "../run/gateway.js";
import type { ChainWatchOptions } from "../alerts/chain-events.js";
import type { ChainCursorStore, DispatcherEventSource, GasHistory, IncidentReader, JournaledTxLookup } from "../alerts/ports.js";
import { runFailedRule } from "../alerts/rules.js";
import { alertId, AlertStatus, type AlertDraft } from "../alerts/types.js";
import { runbookUrl } from "../alerts/runbooks.js";
import type { AlertDeliveryPorts } from "../alerts/delivery.js";
import type { TxJournal } from "../ports/tx-journal.js";
import type { GovernanceDeps } from "../governance/ports.js";
import type { AnchorStore } from "../anchor/ports.js";
import type { SentTransaction } from "../run/gateway.js";
import type { AlertSink, AuditEventInput, AuditLog, Clock, RunStore, Scheduler, ScheduledJob } from "../run/ports.js";
import { isTerminalRun, transition, type RunEvent } from "../run/state-machine.js";
import { StepName, type Proposal, type Run } from "../run/types.js";
import { isRunVersionConflict } from "./errors.js";
import { holdsOwnPendingRoot } from "./own-root.js";

/** Tunables of the use cases; every field has a default. */
export interface SchedulerOptions {
  /**
   * Longest the activation step waits in one invocation for the chain to reach the ETA (a Lambda
   * runs at most 15 minutes). A longer wait is rescheduled instead.
   * @default 840_000 (14 minutes)
   */
  maxHoldMs?: number;
  /** Lifetime of a step lease; must exceed the longest step (the hold plus confirmations). @default 960_000 */
  leaseMs?: number;
  /** Batch planning limits; must be the same for the proposal and every apply step. @default planBatches' defaults */
  planOptions?: PlanOptions;
  /** Largest manifest (entries) a proposal may carry. @default 10_000 */
  maxManifestEntries?: number;
  /** How long after an activation refused by a paused dispatcher it is tried again. @default 60_000 */
  pausedRetryMs?: number;
  /** Base of every alert's `runbook` link (`<base>#<type>`). @default DEFAULT_RUNBOOK_BASE_URL (the repository path of RUNBOOKS.md) */
  runbookBaseUrl?: string;
  /**
   * Age after which the watchdog raises `approval-stale` for a proposal still AWAITING_APPROVAL; a
   * proposal whose approval window closes earlier is reported when it closes.
   * @default 86_400_000 (24 hours)
   */
  approvalStaleAfterMs?: number;
  /**
   * How often an activation held under an all-or-none policy (a sibling network's run halted) looks again:
   * for the operator's cancel, and for its own root's expiry.
   * @default 60_000
   */
  allOrNoneRetryMs?: number;
}

/** The ports and identity every use case runs with. */
export interface SchedulerDeps {
  store: RunStore;
  audit: AuditLog;
  scheduler: Scheduler;
  gateway: DispatcherGateway;
  alerts: AlertSink;
  clock: Clock;
  /** Looks a network up by id (the registry's `findNetwork`, or a test's own table). */
  networks: (id: string) => Network | undefined;
  /** Who acts, for the audit trail: `scheduler`, `watchdog`, an IAM principal… */
  actor: string;
  /** Identifies this worker (e.g. the Lambda request id); each step invocation adds a unique suffix for its lease. */
  owner: string;
  /** Waits `ms` (the activation hold). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  options?: SchedulerOptions;
  /** Monitoring ports; each rule that needs one runs only when it is given. @default none */
  monitoring?: MonitoringPorts;
  /**
   * The deployment's approval policy and its ports. Absent, or with `approvals: "none"`: proposals commit
   * without approvals, as before governance existed.
   */
  governance?: GovernanceDeps;
  /** Where the audit chains' heads are anchored outside the table (`audit --verify` checks against it). @default none: no anchoring */
  anchors?: AnchorStore;
  /** Incidents for `GET /alerts`. @default none: the route answers an empty list */
  incidents?: IncidentReader;
}

/** What the monitoring rules read and keep beyond the scheduler's own ports. */
export interface MonitoringPorts {
  /** Dispatcher events, for the watchdog's out-of-band check (needs `cursors` too). */
  events?: DispatcherEventSource;
  /** Where the chain watcher keeps its cursor per network. */
  cursors?: ChainCursorStore;
  /** Recent gas per (network, step), for the gas-spike rule. */
  gasHistory?: GasHistory;
  /** The write-ahead journal, for the stuck-transaction rule. */
  journal?: TxJournal;
  /**
   * The journal by transaction hash, for the chain watcher: a dispatcher event is PayRox's only when its
   * transaction is journaled (or audited). Without it the sender decides, which can't see a stolen signer key.
   */
  journaledTxs?: JournaledTxLookup;
  /** Chain watcher tunables. */
  watch?: ChainWatchOptions;
  /** The alert delivery ledger and destinations, for the watchdog's redelivery of undelivered alerts. */
  alertDelivery?: AlertDeliveryPorts;
}

/** Defaults of {@link SchedulerOptions}. */
export const SCHEDULER_DEFAULTS = {
  maxHoldMs: 14 * 60_000,
  leaseMs: 16 * 60_000,
  maxManifestEntries: 10_000,
  approvalStaleAfterMs: 24 * 3_600_000,
  allOrNoneRetryMs: 60_000,
} as const;

/** What one step invocation did. */
export type StepOutcome =
  | { outcome: "skipped"; reason: string }
  /**
   * `tx`: the step's confirmed transaction, when it sent one; `estimatedGas`: the planner's estimate of an
   * apply batch's gas; `latenessSeconds`: an activation's block time minus its time.
   */
  | { outcome: "done"; run: Run; tx?: SentTransaction; estimatedGas?: number; latenessSeconds?: number }
  | { outcome: "rescheduled"; atMs: number; run: Run };

/**
 * The schedule name of a step: derived only from (proposal, network, step, attempt), so a duplicate
 * request collides instead of doubling. Fits EventBridge Scheduler's 64-character `[0-9a-zA-Z-_.]` names:
 * a longer one keeps its first 47 characters and ends in a hash of the whole, so two attempts never
 * share a name (a cut name would make the second a duplicate of the first, and it would be dropped).
 */
export function jobName(proposalId: string, network: string, step: StepName, attempt: string): string {
  const safe = (s: string) => s.replace(/[^0-9a-zA-Z_.-]/g, "_");
  const name = `${safe(proposalId)}.${safe(network)}.${step}.${safe(attempt)}`;
  if (name.length <= 64) return name;
  return `${name.slice(0, 47)}.${createHash("sha256").update(JSON.stringify([proposalId, network, step, attempt])).digest("hex").slice(0, 16)}`;
}

/** The step an unfinished run waits for next (the one `runExpects` accepts); undefined once the run is final. */
export function nextStepOf(run: Pick<Run, "state">): StepName | undefined {
  switch (run.state) {
    case "PROPOSED":
      return StepName.COMMIT;
    case "COMMITTED":
    case "APPLYING":
      return StepName.APPLY;
    case "APPLIED":
      return StepName.ACTIVATE;
    default:
      return undefined;
  }
}

/**
 * The gateway step id (the write-ahead journal's key) of the transaction `step` sends for `run` as the
 * step loads it: one id per transaction, so a retried step follows its first transaction.
 */
export function txStepId(run: Pick<Run, "proposalId" | "network" | "batchesApplied" | "version">, step: StepName): string {
  const base = `${run.proposalId}:${run.network}`;
  switch (step) {
    case StepName.COMMIT:
      return `${base}:commit`;
    case StepName.APPLY:
      return `${base}:apply:${run.batchesApplied}`;
    case StepName.ACTIVATE:
      return `${base}:activate:${run.version}`;
  }
}

/** Schedules `step` of `run` at `runAtMs`. */
export async function scheduleStep(deps: SchedulerDeps, run: Pick<Run, "proposalId" | "network">, step: StepName, attempt: string, runAtMs: number): Promise<ScheduledJob> {
  const job: ScheduledJob = { name: jobName(run.proposalId, run.network, step, attempt), step, proposalId: run.proposalId, network: run.network, attempt, runAtMs };
  await deps.scheduler.schedule(job);
  return job;
}

/**
 * Applies `event` and stores it conditionally on `run.version`. A run that became final gives up its
 * network's lock, so the next proposal can take the network (a crash before the release leaves a lock
 * the next proposal takes over, its holder's run being final).
 * @returns the stored run, or undefined when another worker moved the run first (the caller skips).
 */
export async function saveTransition(deps: SchedulerDeps, run: Run, event: RunEvent, options: SaveTransitionOptions = {}): Promise<Run | undefined> {
  const next = transition(run, event, deps.clock.now());
  // Marked before the save: from the moment the run is final until the cleanup releases the lock, no
  // proposal takes the network over (a crash leaves the hold to expire with the step's lease).
  if (options.keepNetwork && isTerminalRun(next)) await deps.store.holdNetwork?.(run.network, run.proposalId, deps.clock.now() + (deps.options?.leaseMs ?? SCHEDULER_DEFAULTS.leaseMs));
  try {
    await deps.store.saveRun(next, run.version);
  } catch (error) {
    if (isRunVersionConflict(error)) return undefined;
    // An adapter whose conflict error we don't recognise: decide by re-reading.
    const stored = await deps.store.getRun(run.proposalId, run.network);
    if (stored && stored.version !== run.version) return undefined;
    throw error;
  }
  if (isTerminalRun(next) && !options.keepNetwork) await deps.store.releaseNetwork(next.network, next.proposalId);
  return next;
}

/** Options of {@link saveTransition}. */
export interface SaveTransitionOptions {
  /**
   * The run still sends transactions after this transition (the cancel of its own pending root): a final run
   * keeps its network's lock (held for the cleanup, see `RunStore.holdNetwork`) and the caller releases it
   * with {@link releaseAfterCleanup} once done. @default false
   */
  keepNetwork?: boolean;
}

/** How long a leftover root holds its network: until the watchdog's retry or its proposal's cancel clears it (no expiry). */
export const LEFTOVER_ROOT_HOLD_UNTIL_MS = Number.MAX_SAFE_INTEGER;

/**
 * Gives up the network a final run kept for its cleanup ({@link SaveTransitionOptions.keepNetwork}) — unless
 * the cleanup left the run's own root pending (its cancel was refused or failed, or the chain could not be
 * read to tell): that root refuses every later commit there, so the network stays held by this proposal
 * (409 `network-busy` names it) until the watchdog's retry (`retryLeftoverRoots`) or its cancel
 * (`cancelProposal`) clears the root and releases it.
 * @returns whether the network was released (false: still held for the leftover root)
 */
export async function releaseAfterCleanup(deps: SchedulerDeps, run: Run): Promise<boolean> {
  if (deps.store.holdNetwork && (await mayHoldOwnRoot(deps, run))) {
    await deps.store.holdNetwork(run.network, run.proposalId, LEFTOVER_ROOT_HOLD_UNTIL_MS);
    return false;
  }
  await deps.store.releaseNetwork(run.network, run.proposalId);
  return true;
}

/** Whether `run` (final, after its commit) may still have its own root pending: yes when the chain can't be read. */
async function mayHoldOwnRoot(deps: SchedulerDeps, run: Run): Promise<boolean> {
  if (run.committedEpoch === undefined) return false;
  try {
    const proposal = await deps.store.getProposal(run.proposalId);
    return proposal !== undefined && (await holdsOwnPendingRoot(proposal, run, deps.gateway));
  } catch {
    return true;
  }
}

/** The audit event of a proposal's creation. */
export const PROPOSAL_CREATED_EVENT = "proposal.created";

/**
 * Audits a proposal's creation (`proposal.created`): by its creator right after the store's write, or by the
 * watchdog (`extra: { recovered: true, … }`) when the creator stopped in between.
 */
export async function recordProposalCreated(deps: SchedulerDeps, proposal: Proposal, batchCount: number, extra: Record<string, unknown> = {}): Promise<void> {
  await record(deps, {
    proposalId: proposal.id,
    event: PROPOSAL_CREATED_EVENT,
    details: { root: proposal.root, name: proposal.name, networks: proposal.networks, batchCount, proposer: proposal.proposer, cutoverAtMs: proposal.cutoverAtMs, ...extra },
  });
}

/** Appends an audit entry as `deps.actor` now. */
export async function record(deps: SchedulerDeps, entry: Omit<AuditEventInput, "actor" | "atMs">): Promise<void> {
  await deps.audit.append({ ...entry, actor: deps.actor, atMs: deps.clock.now() });
}

/** Raises the alert of an incident now (a deduping sink drops repeats of the same `dedupeKey`). */
export async function raise(deps: SchedulerDeps, draft: AlertDraft): Promise<void> {
  await deps.alerts.raise({ ...draft, id: alertId(draft.dedupeKey, AlertStatus.RAISED), status: AlertStatus.RAISED, atMs: deps.clock.now(), runbook: runbookUrl(draft.type, deps.options?.runbookBaseUrl) });
}

/** Reports that the incident `draft` names cleared (a deduping sink drops it unless the incident is open). */
export async function resolve(deps: SchedulerDeps, draft: AlertDraft): Promise<void> {
  await deps.alerts.raise({ ...draft, severity: "info", id: alertId(draft.dedupeKey, AlertStatus.RESOLVED), status: AlertStatus.RESOLVED, atMs: deps.clock.now(), runbook: runbookUrl(draft.type, deps.options?.runbookBaseUrl) });
}

/**
 * Runs after a failure is saved and audited, before its alert; the sentence it returns (if any) ends the
 * alert's message. Lets a step clean up after a failed run (e.g. `releaseOwnRoot`) without deps.ts
 * importing the use cases.
 */
export type AfterFailure = (failed: Run) => Promise<string | undefined>;

/** Moves `run` to FAILED(code), then audits `run.failed`, runs `after` and raises `alert` (default: a `run-failed` alert) when the save won. */
export async function failRun(deps: SchedulerDeps, run: Run, code: string, message: string, alert?: AlertDraft, after?: AfterFailure): Promise<StepOutcome> {
  // With a cleanup to run (the cancel of its own root), the network stays held until it is over.
  const failed = await saveTransition(deps, run, { type: "failed", code, message }, { keepNetwork: after !== undefined });
  if (!failed) return { outcome: "skipped", reason: "run moved concurrently" };
  let note: string | undefined;
  try {
    await record(deps, { proposalId: run.proposalId, network: run.network, event: "run.failed", details: { code, message, ...alert?.evidence?.values } });
    note = await after?.(failed);
  } finally {
    if (after) await releaseAfterCleanup(deps, failed);
  }
  const draft = alert ?? runFailedRule(run, code, message);
  await raise(deps, { ...draft, ...(note && { message: `${draft.message}; ${note}` }), evidence: { ...draft.evidence, values: { code, ...draft.evidence?.values } } });
  return { outcome: "done", run: failed };
}

/** The default {@link SchedulerDeps.sleep}. */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
