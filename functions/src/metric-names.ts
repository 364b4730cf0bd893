/**
 * The CloudWatch metrics PayRox publishes (Embedded Metric Format, Powertools) and their dimensions:
 * one module, so the stacks' alarms and dashboard use exactly these names and can't silently watch a
 * metric nobody emits. Each metric is published with exactly the dimensions listed here (no Powertools `service`
 * dimension), so an alarm on these dimension sets matches.
 */
import { AlertType } from "@payrox/core/runs";

/** Namespace of every PayRox metric. */
export const METRIC_NAMESPACE = "PayRox";

/** Powertools `serviceName` of the logger and metrics (not a metric dimension: see above). */
export const METRIC_SERVICE = "payrox";

/** Metric names. */
export const MetricName = {
  /**
   * One step invocation's outcome, count; dimensions `network`, `outcome` ({@link StepOutcomeName}). Not by
   * step: each step is its own function, whose Lambda metrics split by step, and every dimension value
   * multiplies the custom-metric-hours billed.
   */
  STEP_OUTCOMES: "StepOutcomes",
  /** Gas of a confirmed step transaction; dimensions `step`, `network`. */
  GAS_USED: "GasUsed",
  /** The planner's gas estimate of a confirmed apply batch (compare with its `GasUsed`); dimensions `step`, `network`. */
  PLANNED_GAS: "PlannedGas",
  /** An activation's block time minus its activation time, in seconds; no dimensions. */
  ACTIVATION_LATENESS_SECONDS: "ActivationLatenessSeconds",
  /** Alerts delivered (after dedupe), count; dimension `type`. */
  ALERTS_RAISED: "AlertsRaised",
  /** Late activations the watchdog found in one sweep. */
  WATCHDOG_LATE_ACTIVATIONS: "watchdog.lateActivations",
  /** Stalled runs whose lost step the watchdog scheduled again in one sweep. */
  WATCHDOG_REDRIVEN: "watchdog.redriven",
  /** Alert deliveries that failed for good (refused, or out of attempts; each has a dead letter), count; no dimensions. */
  ALERT_DELIVERIES_FAILED: "AlertDeliveriesFailed",
  /** Pending alert deliveries the watchdog delivered in one sweep (left by a crash or a failed attempt). */
  WATCHDOG_REDELIVERED: "watchdog.redelivered",
  /**
   * Quorum reads in which an RPC endpoint answered differently from the agreed answer (outvoted: nothing
   * was decided on it, but the endpoint is wrong or tampering), count; no dimensions — the log names the
   * network, method and endpoint. One alarm watches it.
   */
  RPC_DISAGREEMENTS: "RpcDisagreements",
  /**
   * Networks the chain watcher could not read in one sweep (an RPC error: its cursor stays and the next
   * sweep resumes there), count; no dimensions — the log names the network. Failing sweep after sweep means
   * out-of-band events go unalerted: the `ChainWatchStalled` alarm watches it.
   */
  CHAIN_WATCH_FAILURES: "ChainWatchFailures",
} as const;

/** Dimension names. */
export const MetricDimension = {
  STEP: "step",
  NETWORK: "network",
  TYPE: "type",
  OUTCOME: "outcome",
} as const;

/** The `outcome` values of `StepOutcomes`: the step's own outcomes, and `error` when it threw (and is retried). */
export const StepOutcomeName = {
  DONE: "done",
  SKIPPED: "skipped",
  RESCHEDULED: "rescheduled",
  ERROR: "error",
} as const;

/** {@link ALARMED_ALERT_TYPES} by name, for the stacks. */
export const PagingAlertType = {
  LATE_ACTIVATION: AlertType.LATE_ACTIVATION,
  CODEHASH_MISMATCH: AlertType.CODEHASH_MISMATCH,
  UNAUTHORIZED: AlertType.UNAUTHORIZED,
  GAS_SPIKE: AlertType.GAS_SPIKE,
  // Every privileged dispatcher event PayRox did not cause pages, whatever its family.
  OUT_OF_BAND_ROLE_CHANGE: AlertType.OUT_OF_BAND_ROLE_CHANGE,
  OUT_OF_BAND_ADMIN_TRANSFER: AlertType.OUT_OF_BAND_ADMIN_TRANSFER,
  OUT_OF_BAND_DELAY_CHANGE: AlertType.OUT_OF_BAND_DELAY_CHANGE,
  OUT_OF_BAND_PAUSE: AlertType.OUT_OF_BAND_PAUSE,
  OUT_OF_BAND_SELECTOR_DISABLED: AlertType.OUT_OF_BAND_SELECTOR_DISABLED,
  OUT_OF_BAND_COMMIT: AlertType.OUT_OF_BAND_COMMIT,
  OUT_OF_BAND_CANCEL: AlertType.OUT_OF_BAND_CANCEL,
  // Tampering with the audit trail, and a retired signer still in use, are security incidents.
  AUDIT_TAMPERED: AlertType.AUDIT_TAMPERED,
  UNAUTHORIZED_SIGNER: AlertType.UNAUTHORIZED_SIGNER,
  // Governance: a commit with no verified quorum behind it is a bypass; a held all-or-none rollout waits for a human's cancel.
  COMMIT_WITHOUT_QUORUM: AlertType.COMMIT_WITHOUT_QUORUM,
  ALL_OR_NONE_HELD: AlertType.ALL_OR_NONE_HELD,
} as const;

/** The `AlertsRaised` `type` values the stacks alarm on (each pages a human). */
export const ALARMED_ALERT_TYPES = Object.values(PagingAlertType);
