/** @payrox/cli — the `payrox` command, runnable in-process through `run`. */
export { COMMANDS, run, type RunIo } from "./run.js";
export { ExitCode, reportError, type ErrorReport } from "./report-error.js";
export * from "./errors.js";
export { BuildSpecSchema, FacetSpecSchema, InitSpecSchema, loadBuildSpec, type BuildSpec, type InitSpec } from "./build-spec.js";
export type { PlanFile } from "./commands/manifest-plan.js";
