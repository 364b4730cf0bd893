/**
 * @payrox/core — the domain: manifest format v2, Merkle tree and batch encoding, builder, verifier,
 * diff against live routing, rollback, batch planner. No SDK or network access: I/O comes in through arguments.
 */
export * from "./errors.js";
export * from "./manifest/format.js";
export * from "./manifest/merkle.js";
export * from "./manifest/protected.js";
export * from "./manifest/validate.js";
export * from "./manifest/builder.js";
export * from "./manifest/facet-code.js";
export * from "./manifest/diff.js";
export * from "./manifest/rollback.js";
export * from "./manifest/planner.js";
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
export * from "./governance/index.js";
export * from "./usecases/index.js";
