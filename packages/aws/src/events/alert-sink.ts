/** {@link AlertSink} that publishes each alert as an `alert.raised` (or `alert.resolved`) event on the EventBridge bus. */
import type { Alert, AlertSink } from "@payrox/core/runs";
import { DomainEventType } from "./domain-events.js";
import type { EventBridgePublisher } from "./eventbridge-publisher.js";

/** Alerts as EventBridge events; bus rules route them (API destination webhook, SNS, pager). */
export class EventBridgeAlertSink implements AlertSink {
  constructor(private readonly publisher: EventBridgePublisher) {}

  /**
   * Publishes the alert (`detail` = the alert, `time` = its `atMs`; a resolution as `alert.resolved`).
   * @throws EventPublishError if EventBridge refused it.
   */
  async raise(alert: Alert): Promise<void> {
    await this.publisher.publish([{ detailType: alert.status === "resolved" ? DomainEventType.ALERT_RESOLVED : DomainEventType.ALERT_RAISED, detail: { ...alert }, atMs: alert.atMs }]);
  }
}
