/** Monitoring: alert types and rules, dedupe, durable delivery, chain-event classification, webhook signatures, PagerDuty and Slack formats, runbooks, ports. */
export * from "./types.js";
export * from "./rules.js";
export * from "./ports.js";
export * from "./sinks.js";
export * from "./chain-events.js";
export * from "./out-of-band.js";
export * from "./webhook-signature.js";
export * from "./runbooks.js";
export * from "./delivery.js";
export * from "./durable-sink.js";
export * from "./pagerduty-event.js";
export * from "./slack-message.js";
export * from "./governance-rules.js";
