/** Lambda of the watchdog (EventBridge rule, rate 1 minute): reports late activations via `watchdogSweep`. */
import type { Context } from "aws-lambda";
import { watchdogSweep, type SchedulerDeps, type WatchdogSweepReturnType } from "@payrox/core";
import { containerDeps } from "./composition.js";
import { withBoundSecrets } from "./secrets.js";
import { MetricName } from "./metric-names.js";
import { count, flushMetrics, logger } from "./observability.js";

/** Builds the watchdog handler over `getDeps`. */
export function createWatchdogHandler(getDeps: () => SchedulerDeps) {
  return async (_event: unknown, context?: Pick<Context, "awsRequestId">): Promise<WatchdogSweepReturnType> => {
    try {
      const result = await watchdogSweep({ ...getDeps(), actor: "watchdog", owner: context?.awsRequestId ?? "watchdog" });
      logger.info("watchdog sweep", { checked: result.checked, alerted: result.alerted });
      count("watchdog.checked", result.checked);
      count(MetricName.WATCHDOG_LATE_ACTIVATIONS, result.alerted.length);
      return result;
    } finally {
      flushMetrics();
    }
  };
}

/** The watchdog Lambda's entry point. */
export const handler = withBoundSecrets(createWatchdogHandler(containerDeps));
