/** The local Flashbots-style relay (devnet and tests). */
export { startLocalRelay, type LocalRelay, type LocalRelayOptions } from "./local-relay.js";
export { verifyFlashbotsSignature, type FlashbotsAuth } from "./flashbots-auth.js";
export { bundleHashOf, type CallBundleResult, type CallBundleTxResult } from "./bundle-simulator.js";
export type { BundleState, StoredBundle } from "./bundle-pool.js";
