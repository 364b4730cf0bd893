/** Monitoring: alert types and rules, dedupe, chain-event classification, webhook signatures, ports. */
export * from "./types.js";
export * from "./rules.js";
export * from "./ports.js";
export * from "./sinks.js";
export * from "./chain-events.js";
export * from "./out-of-band.js";
export * from "./webhook-signature.js";
