/** The devnet's alert endpoints: a signature-verifying webhook receiver and the terminal sink. */
export { startWebhookReceiver, type WebhookDelivery, type WebhookReceiver, type WebhookReceiverOptions } from "./receiver.js";
export { ConsoleAlertSink } from "./console-sink.js";
