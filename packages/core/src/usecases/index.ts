/** The scheduler's use cases over ports: propose, the three steps, cancel, the watchdog sweep. */
export * from "./errors.js";
export * from "./deps.js";
export * from "./reverts.js";
export * from "./propose-upgrade.js";
export { ACTIVATION_LEAD_MS } from "./apply-batch-step.js";
export { runStep, commitStep, applyBatchStep, activateStep, runExpects, type StepContext, type StepBody } from "./run-step.js";
export * from "./cancel-proposal.js";
export * from "./watchdog-sweep.js";
export * from "./redrive-stalled-runs.js";
export * from "./redeliver-alerts.js";
export * from "./watch-chain.js";
export { checkGas } from "./gas-check.js";
export * from "./approve-proposal.js";
export { openApproval, commitApprovalGate, approvalPending } from "./approval-gate.js";
export * from "./anchor-audit-heads.js";
export * from "./rotate-signer.js";
