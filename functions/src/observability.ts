/**
 * Powertools logger and metrics shared by the handlers of one container. Metrics are flushed at the end
 * of every invocation ({@link flushMetrics}); `POWERTOOLS_METRICS_DISABLED=true` turns them off (tests).
 * The alarmed and dashboard metrics (metric-names.ts) are published one by one with exactly their own dimensions.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { RpcFailoverEvent } from "@payrox/chain";
import { METRIC_NAMESPACE, METRIC_SERVICE, MetricDimension, MetricName } from "./metric-names.js";

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
  // Publishing none makes Powertools warn on every invocation (a step now publishes only single metrics).
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** `StepOutcomes` of one step invocation, by network and outcome. */
export function recordStepOutcome(network: string, outcome: string): void {
  exactMetric({ [MetricDimension.NETWORK]: network, [MetricDimension.OUTCOME]: outcome }).addMetric(MetricName.STEP_OUTCOMES, MetricUnit.Count, 1);
}

/** `PlannedGas`: the planner's estimate for a confirmed step transaction, by step and network. */
export function recordPlannedGas(step: string, network: string, estimatedGas: number): void {
  exactMetric({ [MetricDimension.STEP]: step, [MetricDimension.NETWORK]: network }).addMetric(MetricName.PLANNED_GAS, MetricUnit.Count, estimatedGas);
}

/** `GasUsed` of one confirmed step transaction, by step and network. */
export function recordGasUsed(step: string, network: string, gasUsed: bigint): void {
  exactMetric({ [MetricDimension.STEP]: step, [MetricDimension.NETWORK]: network }).addMetric(MetricName.GAS_USED, MetricUnit.Count, Number(gasUsed));
}

/** `ActivationLatenessSeconds` of one activation. */
export function recordActivationLateness(seconds: number): void {
  exactMetric({}).addMetric(MetricName.ACTIVATION_LATENESS_SECONDS, MetricUnit.Seconds, seconds);
}

/** `AlertsRaised` for one delivered alert, by type. */
export function recordAlertRaised(type: string): void {
  exactMetric({ [MetricDimension.TYPE]: type }).addMetric(MetricName.ALERTS_RAISED, MetricUnit.Count, 1);
}

/** Counts alert deliveries that failed for good (`AlertDeliveriesFailed`, no dimensions: one alarm watches it). */
export function recordAlertDeliveriesFailed(count: number): void {
  if (count > 0) exactMetric({}).addMetric(MetricName.ALERT_DELIVERIES_FAILED, MetricUnit.Count, count);
}

/** Counts networks the chain watcher could not read in one sweep (`ChainWatchFailures`, no dimensions). */
export function recordChainWatchFailures(count: number): void {
  if (count > 0) exactMetric({}).addMetric(MetricName.CHAIN_WATCH_FAILURES, MetricUnit.Count, count);
}

/**
 * What a network's failover provider saw, where an operator sees it: an endpoint outvoted by the quorum
 * (a wrong or tampering provider: logged with its answer and counted as `RpcDisagreements`), an endpoint
 * down, lagging or on another chain (logged), and one back (logged). Without this the provider's reports
 * stayed in the container's memory.
 */
export function reportRpcEvent(event: RpcFailoverEvent): void {
  switch (event.type) {
    case "disagreement":
      logger.warn("RPC endpoints disagree: the quorum outvoted the dissenting endpoint(s); see RUNBOOKS.md \"provider disagreement\"", { ...event });
      exactMetric({}).addMetric(MetricName.RPC_DISAGREEMENTS, MetricUnit.Count, event.dissent.length);
      return;
    case "endpoint-up":
      logger.info("RPC endpoint answers again", { ...event });
      return;
    case "endpoint-wrong-chain":
      logger.warn("RPC endpoint serves another chain: never used; fix its URL in rpcUrls", { ...event, chainId: event.chainId.toString() });
      return;
    default:
      logger.warn(`RPC endpoint ${event.type === "endpoint-down" ? "down (backing off)" : "lagging (not read from)"}`, { ...event });
  }
}

/** A single metric (published at once) with exactly `dimensions`: the default `service` one is dropped. */
function exactMetric(dimensions: Record<string, string>): Metrics {
  const single = metrics.singleMetric();
  single.clearDefaultDimensions();
  for (const [name, value] of Object.entries(dimensions)) single.addDimension(name, value);
  return single;
}
