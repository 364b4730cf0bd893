/**
 * @payrox/core — the domain: manifest format v2, Merkle tree and batch encoding, builder, verifier,
 * diff against live routing, rollback, batch planner. No SDK or network access: I/O comes in through arguments.
 * Everything that needs no manifest code is also `@payrox/core/runs` (see runs.ts); the step use cases are
 * also `@payrox/core/steps` (see steps.ts).
 */
export * from "./runs.js";
export * from "./manifest/format.js";
export * from "./manifest/merkle.js";
export * from "./manifest/route-tree.js";
export * from "./manifest/validate.js";
export * from "./manifest/abi.js";
export * from "./manifest/builder.js";
export * from "./manifest/facet-code.js";
export * from "./manifest/diff.js";
export * from "./manifest/import.js";
export * from "./manifest/rollback.js";
export * from "./manifest/planner.js";
export * from "./usecases/reverts.js";
export * from "./usecases/propose-upgrade.js";
export * from "./steps.js";
export * from "./usecases/cancel-proposal.js";
export * from "./usecases/review-proposal.js";
export * from "./usecases/read-live-networks.js";
export * from "./review/cost.js";
export * from "./usecases/rotate-signer.js";
export * from "./governance/index.js";
export * from "./usecases/approve-proposal.js";
export { openApproval, commitApprovalGate, approvalPending } from "./usecases/approval-gate.js";
export * from "./usecases/record-policy-change.js";
