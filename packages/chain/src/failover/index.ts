export * from "./errors.js";
export { FailoverJsonRpcProvider, type FailoverProviderOptions, type RpcFailoverEvent } from "./failover-provider.js";
export { QUORUM_METHODS } from "./agreement.js";
export type { EndpointHealth } from "./endpoint.js";
export { networkProvider, type NetworkProviderOptions } from "./network-provider.js";
