/** The network registry and its configuration. */
export * from "./types.js";
export * from "./errors.js";
export { DEVNET_CHAIN_ID_BASE, DEVNET_COUNT, DEVNET_TX_GAS, EIP7825_TX_GAS_CAP, RETIRED_NETWORKS } from "./registry-data.js";
export * from "./registry.js";
export * from "./config.js";
