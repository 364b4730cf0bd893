/**
 * The CloudWatch metrics PayRox publishes (Embedded Metric Format, Powertools) and their dimensions:
 * the stacks' alarms use exactly these names. Each metric is published with exactly the dimensions
 * listed here (no `service` dimension), so an alarm on these dimension sets matches.
 */
import { AlertType } from "@payrox/core";

/** Namespace of every PayRox metric. */
export const METRIC_NAMESPACE = "PayRox";

/** Metric names. */
export const MetricName = {
  /** Gas of a confirmed step transaction; dimensions `step`, `network`. */
  GAS_USED: "GasUsed",
  /** An activation's block time minus its activation time, in seconds; no dimensions. */
  ACTIVATION_LATENESS_SECONDS: "ActivationLatenessSeconds",
  /** Alerts delivered (after dedupe), count; dimension `type`. */
  ALERTS_RAISED: "AlertsRaised",
} as const;

/** Dimension names. */
export const MetricDimension = {
  STEP: "step",
  NETWORK: "network",
  TYPE: "type",
} as const;

/** The `AlertsRaised` `type` values the stacks alarm on. */
export const ALARMED_ALERT_TYPES = [AlertType.LATE_ACTIVATION, AlertType.CODEHASH_MISMATCH, AlertType.UNAUTHORIZED, AlertType.GAS_SPIKE] as const;
