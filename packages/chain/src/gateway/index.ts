/** The chain side of the scheduler's {@link DispatcherGateway} port: dispatcher reads and journaled lifecycle sends. */
export * from "./errors.js";
export * from "./dispatcher-gateway.js";
export * from "./dispatcher-events.js";
