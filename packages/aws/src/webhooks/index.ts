/** Signed webhook delivery of alerts, with retries and dead letters. */
export { WebhookAlertSink, WEBHOOK_RETRY_DEFAULTS, type WebhookAlertSinkOptions, type WebhookEndpoint, type WebhookRetryOptions } from "./webhook-alert-sink.js";
