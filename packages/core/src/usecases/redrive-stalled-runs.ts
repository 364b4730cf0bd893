/**
 * `redriveStalledRuns` (part of the watchdog's minute): finds runs whose next step should have run long
 * ago and did not — its trigger was lost (an async Lambda invocation that failed all its retries, a
 * scheduler that gave up on a busy step, a process killed between two writes) — and schedules that
 * step again. Safe against a step that is merely slow: a run is stalled only once its step's lease has
 * surely expired, the re-driven step claims the same lease, and every send is idempotent by step id,
 * so a re-drive never sends a second transaction. Each re-drive is audited (`run.redriven`), at most
 * once per stall window per run.
 */

import { StepName, type Proposal, type Run } from "../run/types.js";
import { APPLY_BATCH_GAP_MS, isTerminalRun } from "../run/state-machine.js";
import { AlertType } from "../alerts/types.js";
import { jobName, nextStepOf, PROPOSAL_CREATED_EVENT, raise, record, recordProposalCreated, SCHEDULER_DEFAULTS, type SchedulerDeps } from "./deps.js";

/** Audit event of a re-drive. */
export const REDRIVE_AUDIT_EVENT = "run.redriven";

/** Options of {@link redriveStalledRuns}. */
export interface RedriveStalledRunsOptions {
  /** Proposals examined (newest first). @default 100 */
  limit?: number;
  /**
   * How long past its due time a step must be before it counts as lost; at least the step lease, so a
   * worker still holding one is never raced. @default leaseMs + 2 minutes
   */
  stallMs?: number;
}

/** Result of {@link redriveStalledRuns}. */
export interface RedriveStalledRunsReturnType {
  /** `proposalId/network step attempt` of each step scheduled again. */
  redriven: string[];
}

/**
 * Schedules the lost next step of every stalled run.
 * @example const { redriven } = await redriveStalledRuns({ ...deps, actor: "watchdog" })
 */
export async function redriveStalledRuns(deps: SchedulerDeps, options: RedriveStalledRunsOptions = {}): Promise<RedriveStalledRunsReturnType> {
  const now = deps.clock.now();
  const stallMs = options.stallMs ?? (deps.options?.leaseMs ?? SCHEDULER_DEFAULTS.leaseMs) + 120_000;
  const { proposals } = await deps.store.listProposals({ limit: options.limit ?? 100 });
  const redriven: string[] = [];
  for (const proposal of proposals) {
    // Under a policy, nothing is due before the approval: the M-th approval schedules the commits.
    if (proposal.approval && proposal.approval.status !== "APPROVED") continue;
    const stalled = (await deps.store.listRuns(proposal.id)).filter((run) => !isTerminalRun(run) && now > dueAtMs(proposal, run) + stallMs);
    if (stalled.length === 0) continue;
    const entries = await deps.audit.list(proposal.id);
    // The proposal was written but its creator died (or timed out) before auditing it: the trail starts here.
    if (!entries.some((e) => e.event === PROPOSAL_CREATED_EVENT)) {
      await recordProposalCreated(deps, proposal, Math.max(...stalled.map((r) => r.batchCount)), { recovered: true, createdAtMs: proposal.createdAtMs });
    }
    for (const run of stalled) {
      const last = entries.findLast((e) => e.event === REDRIVE_AUDIT_EVENT && e.network === run.network);
      if (last && now - last.atMs < stallMs) continue;
      const { step, attempt } = nextStep(run, now);
      // A new job name (the lost job's name may still be taken by its finished record), the same lease attempt.
      const suffix = `.r${now.toString(36)}`;
      const job = { name: jobName(run.proposalId, run.network, step, attempt).slice(0, 64 - suffix.length) + suffix, step, proposalId: run.proposalId, network: run.network, attempt, runAtMs: now };
      await deps.scheduler.schedule(job);
      await record(deps, { proposalId: run.proposalId, network: run.network, event: REDRIVE_AUDIT_EVENT, details: { step, attempt, state: run.state, batchesApplied: run.batchesApplied, runVersion: run.version, stalledForMs: now - dueAtMs(proposal, run) } });
      redriven.push(`${run.proposalId}/${run.network} ${step} ${attempt}`);
      const before = entries.filter((e) => e.event === REDRIVE_AUDIT_EVENT && e.network === run.network && e.details?.runVersion === run.version).length;
      if (before >= 1) await raiseLeaseExpired(deps, run, step, before + 1);
    }
  }
  return { redriven };
}

/** The second (and later) re-drive of one step: its lease expired twice; a human should look at why. */
async function raiseLeaseExpired(deps: SchedulerDeps, run: Run, step: StepName, redrives: number): Promise<void> {
  await raise(deps, {
    type: AlertType.LEASE_EXPIRED,
    severity: "warning",
    dedupeKey: `${AlertType.LEASE_EXPIRED}:${run.proposalId}:${run.network}:${step}:${run.version}`,
    proposalId: run.proposalId,
    network: run.network,
    message: `${step} of the run on ${run.network} stalled ${redrives} times (its lease expired each time without the step finishing); check the step's errors and the network's RPC, relay and KMS key`,
    evidence: { values: { step, redrives, state: run.state, batchesApplied: run.batchesApplied } },
  });
}

/** When the run's next step was due (its trigger should have fired by then). */
function dueAtMs(proposal: Proposal, run: Run): number {
  switch (run.state) {
    case "PROPOSED":
      return Math.max(proposal.createdAtMs, proposal.earliestCommitAtMs ?? 0);
    case "APPLIED":
      return Math.max(run.updatedAtMs, run.activateAtMs ?? run.updatedAtMs);
    default:
      return run.updatedAtMs + APPLY_BATCH_GAP_MS;
  }
}

/** The step and lease attempt the run expects next (as `runExpects` checks it). */
function nextStep(run: Run, now: number): { step: StepName; attempt: string } {
  const step = nextStepOf(run)!; // stalled runs are not terminal
  // Activation attempts are named per reschedule; the send is keyed by the run version, so a fresh attempt is safe.
  if (step === StepName.ACTIVATE) return { step, attempt: `${run.version}@redrive-${now}` };
  return { step, attempt: step === StepName.APPLY ? String(run.batchesApplied) : "0" };
}
