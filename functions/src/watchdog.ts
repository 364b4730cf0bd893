/**
 * Lambda of the watchdog (EventBridge rule, rate 1 minute): `watchdogSweep` — late activations, stuck
 * transactions, and dispatcher events PayRox did not send (the chain watcher's cursor is in the table) —
 * then `redriveStalledRuns`: the lost next step of a stalled run is scheduled again; then
 * `redeliverAlerts`: alert deliveries left pending (a crash after the ledger write, a failed attempt)
 * are sent again.
 */
import type { Context } from "aws-lambda";
import { redeliverAlerts, redriveStalledRuns, watchdogSweep, type RedeliverAlertsReturnType, type RedriveStalledRunsReturnType, type SchedulerDeps, type WatchdogSweepReturnType } from "@payrox/core/runs";
import { containerDeps } from "./composition.js";
import { withBoundSecrets } from "./secrets.js";
import { MetricName } from "./metric-names.js";
import { count, flushMetrics, logger, recordAlertDeliveriesFailed } from "./observability.js";

/** What one watchdog invocation did. */
export type WatchdogResult = WatchdogSweepReturnType & RedriveStalledRunsReturnType & { alertDeliveries: RedeliverAlertsReturnType };

/** Builds the watchdog handler over `getDeps`. */
export function createWatchdogHandler(getDeps: () => SchedulerDeps) {
  return async (_event: unknown, context?: Pick<Context, "awsRequestId">): Promise<WatchdogResult> => {
    try {
      const deps = { ...getDeps(), actor: "watchdog", owner: context?.awsRequestId ?? "watchdog" };
      const result = await watchdogSweep(deps);
      const { redriven } = await redriveStalledRuns(deps);
      const alertDeliveries = await redeliverAlerts(deps);
      logger.info("watchdog sweep", { checked: result.checked, late: result.late, stuck: result.stuck, chain: result.chain, redriven, alertDeliveries });
      count("watchdog.checked", result.checked);
      count(MetricName.WATCHDOG_LATE_ACTIVATIONS, result.late.length);
      count(MetricName.WATCHDOG_REDRIVEN, redriven.length);
      count(MetricName.WATCHDOG_REDELIVERED, alertDeliveries.delivered.length);
      recordAlertDeliveriesFailed(alertDeliveries.failed.length);
      return { ...result, redriven, alertDeliveries };
    } finally {
      flushMetrics();
    }
  };
}

/** The watchdog Lambda's entry point. */
export const handler = withBoundSecrets(createWatchdogHandler(containerDeps));
