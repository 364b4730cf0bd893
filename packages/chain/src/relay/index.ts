/** Relay adapters (Flashbots bundles, private RPC, public mempool) and the policy router. */
export { FlashbotsRelay, type FlashbotsRelayOptions } from "./flashbots.js";
export { PrivateRpcRelay, type PrivateRpcRelayOptions } from "./private-rpc.js";
export { PublicMempoolRelay, type PublicMempoolRelayOptions } from "./public-mempool.js";
export { RelayRouter, type RelayRouterOptions } from "./relay-router.js";
