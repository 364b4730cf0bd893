/**
 * `retryLeftoverRoots` (each watchdog sweep): a run that failed or expired after its commit cancels its own
 * root once, best effort (`releaseOwnRoot`); when that attempt fails its proposal keeps the network with no
 * expiry (`releaseAfterCleanup`), and every new proposal there gets 409 `network-busy`. The sweep retries that
 * cancel through the same path — audited `run.root-cancelled` / `cancel.refused` / `cancel.failed`, only ever
 * the run's own root — and frees the network once the root is gone. It reads the network locks of the
 * configured networks (not the newest proposals: a leftover can be older than any list the sweep reads).
 */
import { configuredNetworks } from "../networks/registry.js";
import type { NetworkLock } from "../run/ports.js";
import { RunState, type Run } from "../run/types.js";
import { releaseAfterCleanup, SCHEDULER_DEFAULTS, type SchedulerDeps } from "./deps.js";
import { cancelOwnRoot } from "./release-root.js";

/** What the sweep did about one network held for a leftover root. */
export const LeftoverRootOutcome = {
  /** Its root was cancelled and the network released. */
  ROOT_CANCELLED: "root-cancelled",
  /** Its root was no longer pending (cancelled out of band): the network was released, nothing sent. */
  RELEASED: "released",
  /** The cancel was refused or failed again (audited): the network stays held, the next sweep retries. */
  HELD: "held",
  /** Past this sweep's retry budget: the next sweep retries it. */
  DEFERRED: "deferred",
  /** The lock, the run or the store could not be read or written: the next sweep retries. */
  ERROR: "error",
} as const;
export type LeftoverRootOutcome = (typeof LeftoverRootOutcome)[keyof typeof LeftoverRootOutcome];

/** One network's line in {@link retryLeftoverRoots}' report. */
export interface LeftoverRootRetry {
  network: string;
  /** The proposal whose leftover root holds the network (absent when its lock could not be read). */
  proposalId?: string;
  outcome: LeftoverRootOutcome;
  /** Why it is still held, for `held` and `error`. */
  reason?: string;
}

/** Options of {@link retryLeftoverRoots}. */
export interface RetryLeftoverRootsOptions {
  /** Networks whose leftover root is retried per sweep (one attempt each); the others are `deferred`. @default 3 */
  max?: number;
}

/**
 * Retries the cancel of each leftover root that holds a configured network; reports only networks held for
 * one (or whose lock could not be read). Never throws.
 * @example const report = await retryLeftoverRoots({ ...deps, actor: "watchdog" })
 */
export async function retryLeftoverRoots(deps: SchedulerDeps, options: RetryLeftoverRootsOptions = {}): Promise<LeftoverRootRetry[]> {
  const readLock = deps.store.networkLock?.bind(deps.store);
  if (!readLock) return [];
  const report: LeftoverRootRetry[] = [];
  const leftovers: Run[] = [];
  for (const { id: network } of configuredNetworks(deps.networks)) {
    try {
      const run = await leftoverRun(deps, await readLock(network));
      if (run) leftovers.push(run);
    } catch (error) {
      report.push({ network, outcome: LeftoverRootOutcome.ERROR, reason: messageOf(error) });
    }
  }
  for (const [i, run] of rotated(leftovers, deps.clock.now()).entries()) {
    const where = { network: run.network, proposalId: run.proposalId };
    if (i >= (options.max ?? 3)) report.push({ ...where, outcome: LeftoverRootOutcome.DEFERRED });
    else report.push({ ...where, ...(await retryOne(deps, run)) });
  }
  return report;
}

/** The final run whose leftover root holds `lock`, if that is what holds it (not a run in flight, nor a cleanup under way). */
async function leftoverRun(deps: SchedulerDeps, lock: NetworkLock | undefined): Promise<Run | undefined> {
  // A cleanup under way holds the lock for one step lease at most; a leftover root holds it with no expiry.
  const leaseMs = deps.options?.leaseMs ?? SCHEDULER_DEFAULTS.leaseMs;
  if (lock?.cleanupUntilMs === undefined || lock.cleanupUntilMs <= deps.clock.now() + leaseMs) return undefined;
  const run = await deps.store.getRun(lock.holder, lock.network);
  return run && (run.state === RunState.FAILED || run.state === RunState.EXPIRED) ? run : undefined;
}

/** One attempt: the run's own cancel, then the same release decision as after its first attempt. */
async function retryOne(deps: SchedulerDeps, run: Run): Promise<Pick<LeftoverRootRetry, "outcome" | "reason">> {
  try {
    const cancel = await cancelOwnRoot(run, deps);
    if (await releaseAfterCleanup(deps, run)) return { outcome: cancel.outcome === "cancelled" ? LeftoverRootOutcome.ROOT_CANCELLED : LeftoverRootOutcome.RELEASED };
    return { outcome: LeftoverRootOutcome.HELD, reason: "reason" in cancel ? cancel.reason : "the chain could not be read to tell whether its root is still pending" };
  } catch (error) {
    return { outcome: LeftoverRootOutcome.ERROR, reason: messageOf(error) };
  }
}

/** `items` starting at a place that moves every minute, so a few failing networks don't starve the others of retries. */
function rotated<T>(items: T[], nowMs: number): T[] {
  if (items.length < 2) return items;
  const start = Math.floor(nowMs / 60_000) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
