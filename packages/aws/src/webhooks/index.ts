/** Alert delivery over HTTP: the signed webhook sink (retries, dead letters), and the delivery ledger's destinations (signed webhook, PagerDuty, Slack). */
export { WebhookAlertSink, WEBHOOK_RETRY_DEFAULTS, type WebhookAlertSinkOptions, type WebhookEndpoint, type WebhookRetryOptions } from "./webhook-alert-sink.js";
export { DestinationId, PagerDutyDestination, SignedWebhookDestination, SlackDestination, type HttpDestinationOptions } from "./native-destinations.js";
export { deliveryUrl, PAGERDUTY_EVENTS_URL, PagerDutyConfigSchema, pagerDutyRoutingKey, SlackConfigSchema, type PagerDutyConfig, type SlackConfig } from "./destination-config.js";
export { HTTP_RETRY_DEFAULTS, type HttpRetryOptions } from "./http-delivery.js";
