/**
 * `watchdogSweep` (every minute): raises a `late-activation` alert, once per run, for committed runs
 * still not activated `grace + 300 s` after their activation time (DESIGN.md seed threshold). The
 * audit trail remembers which runs were already reported, so repeated sweeps don't repeat the alert.
 */
import { isTerminalRun } from "../run/state-machine.js";
import { LATE_ACTIVATION_SLACK_MS, raise, record, type SchedulerDeps } from "./deps.js";

/** Audit event recording that a late-activation alert was raised for a run. */
export const LATE_ACTIVATION_AUDIT_EVENT = "alert.late-activation";

/** Options of {@link watchdogSweep}. */
export interface WatchdogSweepOptions {
  /** Proposals examined per sweep (newest first, as the store lists them). @default 100 */
  limit?: number;
}

/** Result of {@link watchdogSweep}. */
export interface WatchdogSweepReturnType {
  /** Runs examined. */
  checked: number;
  /** `proposalId/network` of each run newly reported late. */
  alerted: string[];
}

/**
 * Checks recent proposals for late activations.
 * @example await watchdogSweep({ ...deps, actor: "watchdog" })
 */
export async function watchdogSweep(deps: SchedulerDeps, options: WatchdogSweepOptions = {}): Promise<WatchdogSweepReturnType> {
  const now = deps.clock.now();
  const { proposals } = await deps.store.listProposals({ limit: options.limit ?? 100 });
  let checked = 0;
  const alerted: string[] = [];
  for (const proposal of proposals) {
    const late = (await deps.store.listRuns(proposal.id)).filter((run) => {
      if (isTerminalRun(run) || run.activateAtMs === undefined) return false;
      checked++;
      const grace = (deps.networks(run.network)?.graceSeconds ?? 60) * 1000;
      return now > run.activateAtMs + grace + LATE_ACTIVATION_SLACK_MS;
    });
    if (late.length === 0) continue;
    const reported = new Set((await deps.audit.list(proposal.id)).filter((e) => e.event === LATE_ACTIVATION_AUDIT_EVENT).map((e) => e.network));
    for (const run of late) {
      if (reported.has(run.network)) continue;
      const lateSeconds = Math.floor((now - run.activateAtMs!) / 1000);
      await record(deps, { proposalId: run.proposalId, network: run.network, event: LATE_ACTIVATION_AUDIT_EVENT, details: { lateSeconds, state: run.state } });
      await raise(deps, { kind: "late-activation", severity: "warning", proposalId: run.proposalId, network: run.network, message: `${run.network} is ${lateSeconds} s past its activation time and still ${run.state}`, details: { lateSeconds } });
      alerted.push(`${run.proposalId}/${run.network}`);
    }
  }
  return { checked, alerted };
}
