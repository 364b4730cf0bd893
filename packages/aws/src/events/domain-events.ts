/**
 * What PayRox publishes on its EventBridge bus and bus rules match on (the stacks import it): no SDK here,
 * the publisher is eventbridge-publisher.ts.
 */

/** `detail-type`s PayRox publishes. */
export const DomainEventType = {
  STEP_COMPLETED: "step.completed",
  STEP_FAILED: "step.failed",
  RUN_STATE_CHANGED: "run.state-changed",
  ALERT_RAISED: "alert.raised",
  ALERT_RESOLVED: "alert.resolved",
} as const;

/** The `source` of PayRox's events unless the publisher is given another (bus rules match on it). */
export const DEFAULT_EVENT_SOURCE = "payrox";

/** One event to publish. */
export interface DomainEvent {
  /** EventBridge `detail-type`, e.g. {@link DomainEventType.STEP_COMPLETED}. */
  detailType: string;
  /** JSON-serialisable body (EventBridge `detail`). */
  detail: Record<string, unknown>;
  /** When it happened (unix ms). @default the time of the PutEvents call */
  atMs?: number;
  /** ARNs the event concerns (EventBridge `resources`). */
  resources?: string[];
}
