/** Dispatcher-reading adapters: JSON-RPC connection, live routing (loupe) and batch limit. */
export * from "./errors.js";
export * from "./rpc.js";
export * from "./live-routing.js";
export * from "./diamond-routing.js";
