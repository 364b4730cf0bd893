/**
 * @payrox/core/runs — the domain without the manifest toolkit: errors, ports, runs and their audit
 * chain, networks, alerts, and the use cases that only read or repair runs (the watchdog's). Nothing
 * here loads ethers or a Merkle tree, so a Lambda's start-up imports this and leaves the manifest code
 * (`@payrox/core`: propose, the steps, cancel) to the code paths that need it.
 */
export * from "./errors.js";
export * from "./manifest/protected.js";
export * from "./manifest/prune.js";
export * from "./manifest/gas-model.js";
export * from "./ports/nonce-store.js";
export * from "./ports/relay.js";
export * from "./ports/tx-journal.js";
export * from "./run/types.js";
export * from "./run/ports.js";
export * from "./run/state-machine.js";
export * from "./networks/index.js";
export * from "./run/audit-chain.js";
export * from "./anchor/index.js";
export * from "./signers/index.js";
export * from "./run/gateway.js";
export * from "./alerts/index.js";
export * from "./governance/errors.js";
export * from "./governance/ports.js";
export * from "./usecases/errors.js";
export * from "./usecases/deps.js";
export * from "./usecases/watchdog-sweep.js";
export * from "./usecases/retry-leftover-roots.js";
export * from "./usecases/redrive-stalled-runs.js";
export * from "./usecases/redeliver-alerts.js";
export * from "./usecases/watch-chain.js";
export { checkGas } from "./usecases/gas-check.js";
export * from "./usecases/anchor-audit-heads.js";
