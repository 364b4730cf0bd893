/**
 * How the Lambdas deliver alerts: each incident's alert is written to the DynamoDB ledger with a pending
 * delivery per destination (EventBridge bus, each signed webhook, PagerDuty, Slack), counted as
 * `AlertsRaised`, then delivered; what a crashed or failing delivery leaves pending, the watchdog
 * re-sends (`redeliverAlerts`).
 */
import {
  boundedClientConfig,
  DynamoAlertDeadLetters,
  DynamoAlertDeliveries,
  DynamoIncidentLedger,
  PagerDutyDestination,
  SignedWebhookDestination,
  SlackDestination,
  type DynamoTableOptions,
  type HttpDestinationOptions,
} from "@payrox/aws";
import { AlertStatus, DurableAlertSink, sinkDestination, type Alert, type AlertDeliveryPolicy, type AlertDeliveryPorts, type AlertDestination, type AlertSink, type Clock } from "@payrox/core/runs";
import type { FunctionsEnv } from "./env.js";
import { onceSucceeded } from "./memo.js";
import { recordAlertDeliveriesFailed, recordAlertRaised } from "./observability.js";

/** Destination id of the EventBridge bus (and of a sink standing in for it). */
export const EVENT_BUS_DESTINATION = "eventbridge";

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

/** Choices of {@link alertDelivery}. */
export interface AlertDeliveryOptions {
  /**
   * What stands in for the EventBridge bus: a sink (delivered as destination `eventbridge`), or null for
   * no bus (the devnet). @default EventBridge on `env.eventBusName`
   */
  bus?: AlertSink | null;
  /** Retries, leases. @default ALERT_DELIVERY_DEFAULTS */
  policy?: AlertDeliveryPolicy;
  /** The HTTP destinations' clock and in-call retries. */
  http?: HttpDestinationOptions;
}

/**
 * The delivery ledger and every configured destination: the bus, `env.alertWebhooks`, PagerDuty and Slack.
 * @throws AlertDestinationConfigError / WebhookConfigError for a destination that can't work
 */
export function alertDelivery(env: FunctionsEnv, table: DynamoTableOptions, clock: Clock, options: AlertDeliveryOptions = {}): AlertDeliveryPorts {
  const http = { clock, ...options.http };
  const bus = options.bus === undefined ? eventBusSink(env) : options.bus;
  const destinations: AlertDestination[] = [
    ...(bus ? [sinkDestination(EVENT_BUS_DESTINATION, bus)] : []),
    ...env.alertWebhooks.map((endpoint) => new SignedWebhookDestination(endpoint, http)),
    ...(env.pagerDuty ? [new PagerDutyDestination(env.pagerDuty, http)] : []),
    ...(env.slackWebhookUrl ? [new SlackDestination({ webhookUrl: env.slackWebhookUrl }, http)] : []),
  ];
  return { deliveries: new DynamoAlertDeliveries(table), destinations, deadLetters: new DynamoAlertDeadLetters(table), ...(options.policy && { policy: options.policy }) };
}

/**
 * Alerts as events on `env.eventBusName`. The EventBridge SDK is loaded with the first alert delivered
 * (most invocations raise none), then kept for the container; a failed load is tried again next time.
 */
function eventBusSink(env: FunctionsEnv): AlertSink {
  const sink = onceSucceeded(async () => {
    const { createEventBridgeClient, EventBridgeAlertSink, EventBridgePublisher } = await import("@payrox/aws/events");
    return new EventBridgeAlertSink(new EventBridgePublisher({ client: createEventBridgeClient(boundedClientConfig(env.awsClientBounds)), eventBusName: env.eventBusName }));
  });
  return { raise: async (alert) => (await sink()).raise(alert) };
}

/**
 * The production alert sink: dedupe + ledger (with a pending delivery per destination) → `AlertsRaised`
 * → delivery; the watchdog re-sends what stays pending.
 */
export function alertSink(ports: AlertDeliveryPorts, table: DynamoTableOptions, clock: Clock, record: (type: string) => void = recordAlertRaised): DurableAlertSink {
  return new DurableAlertSink({
    ...ports,
    ledger: new DynamoIncidentLedger(table),
    clock,
    onRecorded: (alert) => {
      if (alert.status === AlertStatus.RAISED) record(alert.type);
    },
    onDelivered: (_alert, results) => recordAlertDeliveriesFailed(results.filter((r) => r === "failed").length),
  });
}
