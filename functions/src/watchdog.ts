/**
 * Lambda of the watchdog (EventBridge rule, rate 1 minute): `watchdogSweep` — late activations, stuck
 * transactions, and dispatcher events PayRox did not send (the chain watcher's cursor is in the table).
 */
import type { Context } from "aws-lambda";
import { watchdogSweep, type SchedulerDeps, type WatchdogSweepReturnType } from "@payrox/core";
import { containerDeps } from "./composition.js";
import { count, flushMetrics, logger } from "./observability.js";

/** Builds the watchdog handler over `getDeps`. */
export function createWatchdogHandler(getDeps: () => SchedulerDeps) {
  return async (_event: unknown, context?: Pick<Context, "awsRequestId">): Promise<WatchdogSweepReturnType> => {
    try {
      const result = await watchdogSweep({ ...getDeps(), actor: "watchdog", owner: context?.awsRequestId ?? "watchdog" });
      logger.info("watchdog sweep", { checked: result.checked, late: result.late, stuck: result.stuck, chain: result.chain });
      count("watchdog.checked", result.checked);
      count("watchdog.lateActivations", result.late.length);
      return result;
    } finally {
      flushMetrics();
    }
  };
}

/** The watchdog Lambda's entry point. */
export const handler = createWatchdogHandler(containerDeps);
