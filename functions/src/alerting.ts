/**
 * How the Lambdas deliver alerts: deduped by incident in the DynamoDB ledger, counted as `AlertsRaised`,
 * then fanned out to the EventBridge bus and every configured webhook (signed, retried, dead-lettered).
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { boundedClientConfig, DynamoAlertDeadLetters, DynamoIncidentLedger, EventBridgeAlertSink, EventBridgePublisher, WebhookAlertSink, type DynamoTableOptions } from "@payrox/aws";
import { AlertStatus, DedupingAlertSink, FanOutAlertSink, type Alert, type AlertSink, type Clock } from "@payrox/core";
import type { FunctionsEnv } from "./env.js";
import { recordAlertRaised } from "./observability.js";

/** Counts each raised alert it passes on (`AlertsRaised` by type); put it after the dedupe. */
export class MeteredAlertSink implements AlertSink {
  constructor(
    private readonly inner: AlertSink,
    private readonly record: (type: string) => void = recordAlertRaised,
  ) {}

  /** Delivers, then counts a raised (not a resolved) alert. */
  async raise(alert: Alert): Promise<void> {
    await this.inner.raise(alert);
    if (alert.status === AlertStatus.RAISED) this.record(alert.type);
  }
}

/**
 * The production alert sink: dedupe (ledger) → metric → EventBridge + webhooks.
 * @param delivery the sink(s) behind the dedupe; @default EventBridge on `env.eventBusName` plus `env.alertWebhooks`
 */
export function alertSink(env: FunctionsEnv, table: DynamoTableOptions, clock: Clock, delivery?: AlertSink): AlertSink {
  const sinks: AlertSink[] = [];
  if (delivery) sinks.push(delivery);
  else {
    sinks.push(new EventBridgeAlertSink(new EventBridgePublisher({ client: new EventBridgeClient(boundedClientConfig(env.awsClientBounds)), eventBusName: env.eventBusName })));
    if (env.alertWebhooks.length) sinks.push(new WebhookAlertSink({ endpoints: env.alertWebhooks, deadLetters: new DynamoAlertDeadLetters(table), clock }));
  }
  return new DedupingAlertSink({ ledger: new DynamoIncidentLedger(table), sink: new MeteredAlertSink(sinks.length === 1 ? sinks[0]! : new FanOutAlertSink(sinks)) });
}
