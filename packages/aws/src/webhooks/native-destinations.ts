/**
 * The alert destinations of the delivery ledger that speak HTTP: the signed webhook (one per endpoint),
 * PagerDuty (Events API v2) and Slack (incoming webhook). Each makes one delivery with short in-call
 * retries and reports the outcome; the ledger and the watchdog do the rest.
 */
import { pagerDutyEvent, signWebhook, slackMessage, WEBHOOK_HEADERS, type Alert, type AlertDestination, type Clock, type DeliveryOutcome } from "@payrox/core/runs";
import { WebhookConfigError } from "../errors.js";
import { parseDestinationConfig, PagerDutyConfigSchema, SlackConfigSchema, type PagerDutyConfig, type SlackConfig } from "./destination-config.js";
import { deliveryContext, postWithRetry, type HttpDeliveryContext, type HttpRetryOptions } from "./http-delivery.js";
import type { WebhookEndpoint } from "./webhook-alert-sink.js";

/** What every HTTP destination takes besides its own settings. */
export interface HttpDestinationOptions {
  retry?: HttpRetryOptions;
  /** @default the system clock */
  clock?: Clock;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** Destination ids of the native destinations. */
export const DestinationId = {
  PAGERDUTY: "pagerduty",
  SLACK: "slack",
  /** `webhook:<endpoint id>`. */
  webhook: (endpointId: string) => `webhook:${endpointId}`,
} as const;

/** The signed webhook (see core's webhook-signature.ts) as a destination: `webhook:<id>`. */
export class SignedWebhookDestination implements AlertDestination {
  readonly id: string;
  readonly #endpoint: WebhookEndpoint;
  readonly #context: HttpDeliveryContext;

  /** @throws WebhookConfigError for a bad URL, secret or id */
  constructor(endpoint: WebhookEndpoint, options: HttpDestinationOptions = {}) {
    if (!/^https?:\/\//.test(endpoint.url)) throw new WebhookConfigError("url", `must be an http(s) URL, got ${JSON.stringify(endpoint.url)}`);
    if (!endpoint.secret) throw new WebhookConfigError("secret", "must be a non-empty secret shared with the receiver");
    if (!endpoint.id || endpoint.id.includes("#")) throw new WebhookConfigError("id", "must be a non-empty name without #");
    this.id = DestinationId.webhook(endpoint.id);
    this.#endpoint = endpoint;
    this.#context = deliveryContext(options);
  }

  /** POSTs the alert as JSON, signed per attempt; receivers dedupe by `X-PayRox-Alert-Id`. */
  deliver(alert: Alert): Promise<DeliveryOutcome> {
    const body = JSON.stringify(alert);
    return postWithRetry(() => {
      const timestamp = Math.floor(this.#context.clock.now() / 1000);
      return {
        url: this.#endpoint.url,
        headers: {
          "content-type": "application/json",
          [WEBHOOK_HEADERS.TIMESTAMP]: String(timestamp),
          [WEBHOOK_HEADERS.SIGNATURE]: signWebhook(this.#endpoint.secret, timestamp, body),
          [WEBHOOK_HEADERS.ALERT_ID]: alert.id,
        },
        body,
      };
    }, this.#context);
  }
}

/** PagerDuty Events API v2: a raised alert triggers, its resolution resolves, one `dedup_key` per incident. */
export class PagerDutyDestination implements AlertDestination {
  readonly id = DestinationId.PAGERDUTY;
  readonly #config: ReturnType<typeof PagerDutyConfigSchema.parse>;
  readonly #context: HttpDeliveryContext;

  /** @throws AlertDestinationConfigError for a malformed routing key or events URL */
  constructor(config: PagerDutyConfig, options: HttpDestinationOptions = {}) {
    this.#config = parseDestinationConfig("PagerDuty", PagerDutyConfigSchema, config);
    this.#context = deliveryContext(options);
  }

  /** POSTs the event; PagerDuty answers 202. A 400 (invalid event) is permanent; 429 and 5xx are retried. */
  deliver(alert: Alert): Promise<DeliveryOutcome> {
    const { routingKey, eventsUrl, source } = this.#config;
    const body = JSON.stringify(pagerDutyEvent(alert, { routingKey, ...(source && { source }) }));
    return postWithRetry(() => ({ url: eventsUrl, headers: { "content-type": "application/json" }, body }), this.#context);
  }
}

/** A Slack channel's incoming webhook: a readable message per alert and per resolution. */
export class SlackDestination implements AlertDestination {
  readonly id = DestinationId.SLACK;
  readonly #config: ReturnType<typeof SlackConfigSchema.parse>;
  readonly #context: HttpDeliveryContext;

  /** @throws AlertDestinationConfigError for a webhook URL that is not https */
  constructor(config: SlackConfig, options: HttpDestinationOptions = {}) {
    this.#config = parseDestinationConfig("Slack", SlackConfigSchema, config);
    this.#context = deliveryContext(options);
  }

  /** POSTs the message; Slack answers 200 `ok`. Its 4xx (`invalid_payload`, `channel_not_found`…) are permanent. */
  deliver(alert: Alert): Promise<DeliveryOutcome> {
    const body = JSON.stringify(slackMessage(alert));
    return postWithRetry(() => ({ url: this.#config.webhookUrl, headers: { "content-type": "application/json" }, body }), this.#context);
  }
}
