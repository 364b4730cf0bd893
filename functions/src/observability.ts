/**
 * Powertools logger and metrics shared by the handlers of one container. Metrics are flushed at the end
 * of every invocation ({@link flushMetrics}); `POWERTOOLS_METRICS_DISABLED=true` turns them off (tests).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_NAMESPACE, METRIC_SERVICE } from "./metric-names.js";

/** Structured JSON logger; handlers append `proposalId` / `network` keys while they work on a run. */
export const logger = new Logger({ serviceName: METRIC_SERVICE });

/** CloudWatch EMF metrics in the `PayRox` namespace. */
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE });

/** Counts one occurrence of `name`. */
export function count(name: string, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** Publishes the invocation's metrics (a no-op when none were added). */
export function flushMetrics(): void {
  metrics.publishStoredMetrics();
}
