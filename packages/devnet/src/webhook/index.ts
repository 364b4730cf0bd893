/** The devnet's alert endpoints: a signature-verifying webhook receiver, PagerDuty and Slack stand-ins that check the payload format, and the terminal sink. */
export { startWebhookReceiver, type WebhookDelivery, type WebhookReceiver, type WebhookReceiverOptions } from "./receiver.js";
export { startPagerDutyReceiver, PagerDutyEventSchema, type LocalPagerDutyIncident, type PagerDutyReceiver, type PagerDutyReceiverOptions, type ReceivedPagerDutyEvent } from "./pagerduty-receiver.js";
export { startSlackReceiver, SlackMessageSchema, type ReceivedSlackMessage, type SlackReceiver } from "./slack-receiver.js";
export type { ReceivedRequest } from "./http-receiver.js";
export { ConsoleAlertSink } from "./console-sink.js";
