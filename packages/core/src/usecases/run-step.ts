/**
 * The common shape of every step: claim the step's lease (a duplicate of a finished step skips; a
 * concurrent or post-crash trigger that finds the lease held throws StepBusyError to be retried), load the proposal and run, check the run still expects this step, act, complete the lease.
 * An exception gives the lease back at once (a crashed process leaves it to expire), so the
 * scheduler's retry can run the step; the gateway's send is idempotent by step id, so the retry
 * observes the first transaction instead of sending a second one.
 */
import { randomUUID } from "node:crypto";
import type { ScheduledJob } from "../run/ports.js";
import { describeRunState } from "../run/state-machine.js";
import { StepName, type Proposal, type Run, type StepLease } from "../run/types.js";
import { activateBody } from "./activate-step.js";
import { applyBatchBody } from "./apply-batch-step.js";
import { commitBody } from "./commit-step.js";
import { nextStepOf, SCHEDULER_DEFAULTS, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { StepBusyError } from "./errors.js";

/** What a step body gets once it holds the lease. */
export interface StepContext {
  job: ScheduledJob;
  proposal: Proposal;
  run: Run;
}

/** A step body: acts on a run that expects it. */
export type StepBody = (ctx: StepContext, deps: SchedulerDeps) => Promise<StepOutcome>;

/** Whether the run (as loaded) is waiting for this job; otherwise the job is stale or a duplicate. */
export function runExpects(run: Run, job: Pick<ScheduledJob, "step" | "attempt">): boolean {
  return nextStepOf(run) === job.step && (job.step !== StepName.APPLY || String(run.batchesApplied) === job.attempt);
}

/**
 * Runs the step a scheduled job names. A duplicate of a finished step is skipped; a trigger that finds
 * the step in progress elsewhere throws {@link StepBusyError}, so the scheduler retries it.
 * @example await runStep(job, deps) // { outcome: "done", run } | { outcome: "skipped", reason } | { outcome: "rescheduled", … }
 */
export async function runStep(job: ScheduledJob, deps: SchedulerDeps): Promise<StepOutcome> {
  switch (job.step) {
    case StepName.COMMIT:
      return commitStep(job, deps);
    case StepName.APPLY:
      return applyBatchStep(job, deps);
    case StepName.ACTIVATE:
      return activateStep(job, deps);
  }
}

/** Commits the manifest root on the job's network (PROPOSED → COMMITTED), then schedules apply batch 0. */
export function commitStep(job: ScheduledJob, deps: SchedulerDeps): Promise<StepOutcome> {
  return withStepLease(job, deps, commitBody);
}

/** Applies batch `job.attempt` (APPLYING(k/n)), then schedules the next batch or the activation. */
export function applyBatchStep(job: ScheduledJob, deps: SchedulerDeps): Promise<StepOutcome> {
  return withStepLease(job, deps, applyBatchBody);
}

/** Holds until the chain reaches the activation time, then activates (APPLIED → ACTIVATED). */
export function activateStep(job: ScheduledJob, deps: SchedulerDeps): Promise<StepOutcome> {
  return withStepLease(job, deps, activateBody);
}

async function withStepLease(job: ScheduledJob, deps: SchedulerDeps, body: StepBody): Promise<StepOutcome> {
  const now = deps.clock.now();
  const lease: StepLease = {
    proposalId: job.proposalId,
    network: job.network,
    step: job.step,
    attempt: job.attempt,
    // Unique per invocation: a second delivery to the same worker must not share the claim.
    owner: `${deps.owner}:${randomUUID()}`,
    expiresAtMs: now + (deps.options?.leaseMs ?? SCHEDULER_DEFAULTS.leaseMs),
  };
  const claimed = await deps.store.claimStep(lease, now);
  if (!claimed) {
    if (await deps.store.isStepComplete(job.proposalId, job.network, job.step, job.attempt)) return { outcome: "skipped", reason: "step already complete" };
    throw new StepBusyError(job.proposalId, job.network, job.step, job.attempt);
  }
  let outcome: StepOutcome;
  try {
    outcome = await loadAndAct(job, deps, body);
  } catch (error) {
    await releaseLease(claimed, deps);
    throw error;
  }
  await deps.store.completeStep(claimed);
  return outcome;
}

/**
 * Gives the lease back after a failed attempt (an RPC error, a throttled KMS…) so the retry the
 * scheduler makes can claim the step at once instead of waiting for the lease to expire. Re-claiming
 * as the same owner with an expiry of now is the release; if even that fails, the lease expires.
 */
async function releaseLease(lease: StepLease, deps: SchedulerDeps): Promise<void> {
  const now = deps.clock.now();
  await deps.store.claimStep({ ...lease, expiresAtMs: now }, now).catch(() => undefined);
}

async function loadAndAct(job: ScheduledJob, deps: SchedulerDeps, body: StepBody): Promise<StepOutcome> {
  const [proposal, run] = await Promise.all([deps.store.getProposal(job.proposalId), deps.store.getRun(job.proposalId, job.network)]);
  if (!proposal || !run) return { outcome: "skipped", reason: `no run of ${job.proposalId} on ${job.network}` };
  if (!runExpects(run, job)) return { outcome: "skipped", reason: `run is ${describeRunState(run)}; ${job.step} ${job.attempt} is not due` };
  return body({ job, proposal, run }, deps);
}
