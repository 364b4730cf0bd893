/**
 * The activation step's body. EventBridge Scheduler fires up to a minute late, so the step is scheduled
 * a minute early and holds here until the chain's latest block is at most one second before the
 * activation time — the next block's timestamp (strictly greater) then reaches it — and sends then,
 * so the activation lands in the first eligible block. A wait longer than one invocation can hold is
 * rescheduled; an early attempt the dispatcher refuses (`ActivationNotReady`) is rescheduled, never failed.
 */
import { StepName, type Run } from "../run/types.js";
import { ACTIVATION_LEAD_MS } from "./apply-batch-step.js";
import { failRun, LATE_ACTIVATION_SLACK_MS, raise, realSleep, record, saveTransition, SCHEDULER_DEFAULTS, scheduleStep, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { failOnRevert } from "./reverts.js";
import type { StepContext } from "./run-step.js";

/** Activate body; see {@link activateStep}. */
export async function activateBody({ run }: StepContext, deps: SchedulerDeps): Promise<StepOutcome> {
  const network = deps.networks(run.network);
  if (!network) throw new RangeError(`network ${run.network} of run ${run.proposalId} is not in the registry`);
  const held = await holdUntilDue(run, deps);
  if (held) return held;

  const sent = await deps.gateway.send(run.network, `${run.proposalId}:${run.network}:activate:${run.version}`, { kind: "activate" });
  if (!sent.ok) {
    const { name, args } = sent.revert;
    if (name === "ActivationNotReady") return retryLater(run, Number(args[0] ?? 0) * 1000, deps);
    if (name === "CodehashMismatch") {
      const message = `activation on ${run.network} refused: a facet's code changed since the manifest was built (CodehashMismatch ${args.map(String).join(", ")}); the run is halted`;
      return failRun(deps, run, "codehash-mismatch", message, { kind: "codehash-mismatch", severity: "critical", details: { args: args.map(String) } });
    }
    if (name === "RootExpired") return expire(run, deps);
    return failOnRevert(deps, run, "activate", sent.revert);
  }
  const activated = await saveTransition(deps, run, { type: "activated" });
  if (!activated) return { outcome: "skipped", reason: "run moved concurrently" };
  const etaSeconds = Math.ceil(run.activateAtMs! / 1000);
  const latenessSeconds = sent.tx.blockTimestamp - etaSeconds;
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "run.activated",
    txHash: sent.tx.hash,
    gasUsed: sent.tx.gasUsed.toString(),
    details: { etaSeconds, blockTimestamp: sent.tx.blockTimestamp, blockNumber: sent.tx.blockNumber, latenessSeconds },
  });
  if (latenessSeconds * 1000 > network.graceSeconds * 1000 + LATE_ACTIVATION_SLACK_MS) {
    await raise(deps, { kind: "late-activation", severity: "warning", proposalId: run.proposalId, network: run.network, message: `activated ${latenessSeconds} s after its time on ${run.network} (grace ${network.graceSeconds} s)`, details: { latenessSeconds } });
  }
  return { outcome: "done", run: activated };
}

/**
 * Waits (with `deps.sleep`) until the chain's latest block timestamp + 1 ≥ the activation time.
 * @returns undefined when it is time to send, or the outcome of rescheduling a wait too long to hold.
 */
async function holdUntilDue(run: Run, deps: SchedulerDeps): Promise<StepOutcome | undefined> {
  const maxHoldMs = deps.options?.maxHoldMs ?? SCHEDULER_DEFAULTS.maxHoldMs;
  const sleep = deps.sleep ?? realSleep;
  const etaSeconds = Math.ceil(run.activateAtMs! / 1000);
  const started = deps.clock.now();
  let latest = await deps.gateway.latestBlock(run.network);
  // Measured on the chain's clock, which may differ from ours.
  const waitMs = (etaSeconds - 1 - latest.timestamp) * 1000;
  if (waitMs > maxHoldMs) {
    // Not earlier than a minute before the time, nor so early that the next invocation can't hold to it.
    return reschedule(run, Math.max(run.activateAtMs! - ACTIVATION_LEAD_MS, started + waitMs - maxHoldMs), deps);
  }
  while (latest.timestamp + 1 < etaSeconds) {
    if (deps.clock.now() - started > maxHoldMs) return reschedule(run, deps.clock.now(), deps);
    await sleep(Math.max(1_000, (etaSeconds - 1 - latest.timestamp) * 1000));
    latest = await deps.gateway.latestBlock(run.network);
  }
  return undefined;
}

/** Schedules another activation attempt of the unchanged run (a new attempt: this one is completed). */
async function reschedule(run: Run, atMs: number, deps: SchedulerDeps): Promise<StepOutcome> {
  await scheduleStep(deps, run, StepName.ACTIVATE, `${run.version}@${atMs}`, atMs);
  return { outcome: "rescheduled", atMs, run };
}

/** The dispatcher refused an early activation: record the retry time and try again then. */
async function retryLater(run: Run, etaMs: number, deps: SchedulerDeps): Promise<StepOutcome> {
  const now = deps.clock.now();
  const retryAtMs = Math.max(etaMs, now + 1_000);
  const next = await saveTransition(deps, run, { type: "activationNotReady", retryAtMs });
  if (!next) return { outcome: "skipped", reason: "run moved concurrently" };
  await record(deps, { proposalId: run.proposalId, network: run.network, event: "activation.not-ready", details: { retryAtMs: next.activateAtMs } });
  const atMs = Math.max(now, next.activateAtMs! - ACTIVATION_LEAD_MS);
  await scheduleStep(deps, next, StepName.ACTIVATE, String(next.version), atMs);
  return { outcome: "rescheduled", atMs, run: next };
}

async function expire(run: Run, deps: SchedulerDeps): Promise<StepOutcome> {
  const expired = await saveTransition(deps, run, { type: "expired" });
  if (!expired) return { outcome: "skipped", reason: "run moved concurrently" };
  await record(deps, { proposalId: run.proposalId, network: run.network, event: "run.expired" });
  await raise(deps, { kind: "root-expired", severity: "warning", proposalId: run.proposalId, network: run.network, message: `the committed root on ${run.network} expired before activation; propose again` });
  return { outcome: "done", run: expired };
}
