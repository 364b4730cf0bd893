/**
 * @payrox/core/steps — the commit, apply and activate use cases, for the step Lambda. Everything it
 * exports is in `@payrox/core` too; a step imports it from here because a bundler splitting code follows
 * every re-export of a barrel it imports: through `@payrox/core` the step's start-up would reach the
 * governance crypto, propose, review and the manifest builder, which it loads (if ever) on first use.
 */
export { ACTIVATION_LEAD_MS } from "./usecases/apply-batch-step.js";
export { ACTIVATION_HANDOFF } from "./usecases/activate-step.js";
export { runStep, commitStep, applyBatchStep, activateStep, runExpects, type StepContext, type StepBody } from "./usecases/run-step.js";
