/**
 * Lambda of the watchdog (EventBridge rule, rate 1 minute): `watchdogSweep` — late activations, stuck
 * transactions, the retried cancel of leftover roots that keep a network busy, and dispatcher events PayRox
 * did not send (the chain watcher's cursor is in the table) —
 * then `redriveStalledRuns`: the lost next step of a stalled run is scheduled again; then
 * `redeliverAlerts`: alert deliveries left pending (a crash after the ledger write, a failed attempt)
 * are sent again.
 */
import type { Context } from "aws-lambda";
import { redeliverAlerts, redriveStalledRuns, watchdogSweep, type RedeliverAlertsReturnType, type RedriveStalledRunsReturnType, type SchedulerDeps, type WatchdogSweepReturnType } from "@payrox/core/runs";
import { containerDeps } from "./composition.js";
import { withGovernance, type GovernedDeps } from "./governed-deps.js";
import { withBoundSecrets } from "./secrets.js";
import { MetricName } from "./metric-names.js";
import { count, flushMetrics, logger, recordAlertDeliveriesFailed, recordChainWatchFailures } from "./observability.js";

/** What one watchdog invocation did. */
export type WatchdogResult = WatchdogSweepReturnType & RedriveStalledRunsReturnType & { alertDeliveries: RedeliverAlertsReturnType };

/** Builds the watchdog handler over `getDeps`. */
export function createWatchdogHandler(getDeps: () => SchedulerDeps) {
  return async (_event: unknown, context?: Pick<Context, "awsRequestId">): Promise<WatchdogResult> => {
    try {
      const deps = await governedIfPossible({ ...getDeps(), actor: "watchdog", owner: context?.awsRequestId ?? "watchdog" });
      const result = await watchdogSweep(deps);
      const { redriven } = await redriveStalledRuns(deps);
      const alertDeliveries = await redeliverAlerts(deps);
      logger.info("watchdog sweep", { checked: result.checked, late: result.late, stuck: result.stuck, leftoverRoots: result.leftoverRoots, chain: result.chain, redriven, alertDeliveries });
      count("watchdog.checked", result.checked);
      count(MetricName.WATCHDOG_LATE_ACTIVATIONS, result.late.length);
      count(MetricName.WATCHDOG_REDRIVEN, redriven.length);
      count(MetricName.WATCHDOG_REDELIVERED, alertDeliveries.delivered.length);
      recordAlertDeliveriesFailed(alertDeliveries.failed.length);
      reportChainWatchFailures(result);
      reportLeftoverRootsStillHeld(result);
      return { ...result, redriven, alertDeliveries };
    } finally {
      flushMetrics();
    }
  };
}

/**
 * A network the chain watcher could not read is a warning and a count: its cursor stays (nothing is
 * skipped), but while it fails no out-of-band event on that network is alerted.
 */
function reportChainWatchFailures(result: WatchdogSweepReturnType): void {
  const failed = (result.chain ?? []).filter((report) => !report.ok);
  for (const report of failed) {
    logger.warn("chain watcher could not read the network: its cursor stays and the next sweep resumes there; out-of-band events on it are not alerted meanwhile", { network: report.network, error: "error" in report ? report.error : undefined });
  }
  recordChainWatchFailures(failed.length);
}

/** A leftover root whose retried cancel failed again keeps its network busy: a warning each sweep until it clears. */
function reportLeftoverRootsStillHeld(result: WatchdogSweepReturnType): void {
  for (const retry of result.leftoverRoots ?? []) {
    if (retry.outcome !== "held" && retry.outcome !== "error") continue;
    logger.warn("watchdog: a leftover root still keeps its network busy; the next sweep retries its cancel (or cancel the proposal)", { ...retry });
  }
}

/**
 * The deps with the deployment's governance, which the chain watcher needs to tell a commit with a verified
 * quorum from one without. A policy that can't be built does not stop the watchdog (it is the alarm): the
 * sweep runs without it, so every commit of a proposal made under a policy is reported as unverifiable.
 */
async function governedIfPossible(deps: GovernedDeps): Promise<SchedulerDeps> {
  try {
    return await withGovernance(deps);
  } catch (error) {
    logger.error("watchdog: the approval policy can't be built; commits under it are reported as unverified", { error: error as Error });
    return deps;
  }
}

/** The watchdog Lambda's entry point. */
export const handler = withBoundSecrets(createWatchdogHandler(containerDeps));
