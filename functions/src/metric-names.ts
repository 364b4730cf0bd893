/**
 * Names of the CloudWatch metrics the functions emit and the stack's alarms watch: one module, so an
 * alarm can't silently watch a metric nobody emits. Powertools adds the `service` dimension to every
 * metric, so an alarm matches `{ service, ...dimensions }` exactly.
 */

/** CloudWatch namespace of every PayRox metric. */
export const METRIC_NAMESPACE = "PayRox";

/** Powertools `serviceName`: also the value of the `service` dimension on every metric. */
export const METRIC_SERVICE = "payrox";

/** Metric names. */
export const MetricName = {
  /** Count of alerts raised, by {@link MetricDimension.ALERT_TYPE}. */
  ALERTS_RAISED: "AlertsRaised",
  /** Gas used by a step's transaction, by step and network. */
  GAS_USED: "GasUsed",
  /** Seconds an activation landed after its ETA plus grace. */
  ACTIVATION_LATENESS_SECONDS: "ActivationLatenessSeconds",
  /** Late activations the watchdog found in one sweep. */
  WATCHDOG_LATE_ACTIVATIONS: "watchdog.lateActivations",
  /** Stalled runs whose lost step the watchdog scheduled again in one sweep. */
  WATCHDOG_REDRIVEN: "watchdog.redriven",
} as const;

/** Dimension names (besides Powertools' `service`). */
export const MetricDimension = {
  SERVICE: "service",
  ALERT_TYPE: "type",
  STEP: "step",
  NETWORK: "network",
} as const;

/** Alert types that page a human: each has an alarm on {@link MetricName.ALERTS_RAISED}. */
export const PagingAlertType = {
  LATE_ACTIVATION: "late-activation",
  CODEHASH_MISMATCH: "codehash-mismatch",
  UNAUTHORIZED: "unauthorized",
  GAS_SPIKE: "gas-spike",
} as const;
