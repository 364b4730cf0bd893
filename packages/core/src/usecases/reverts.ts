/**
 * How a step answers a dispatcher revert it has no special handling for: the run fails with the
 * revert's name as its code, and an alert says how serious it is — `codehash-mismatch` and
 * `unauthorized` (access control) are critical, any other revert a `run-failed` warning.
 */
import { accessControlRevertRule, codehashMismatchRule, runFailedRule } from "../alerts/rules.js";
import type { AlertDraft } from "../alerts/types.js";
import type { Run } from "../run/types.js";
import { failRun, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { releaseOwnRoot } from "./release-root.js";

/** The alert of a step's revert: codehash mismatch, access control, or a generic run failure. */
export function revertAlert(run: Run, step: string, revert: { name: string; args: unknown[] }, message: string): AlertDraft {
  const args = revert.args.map(String);
  const draft =
    (revert.name === "CodehashMismatch" ? codehashMismatchRule(run, step, args) : undefined) ??
    accessControlRevertRule(run, step, revert) ??
    runFailedRule(run, revert.name, message);
  return { ...draft, evidence: { ...draft.evidence, values: { ...draft.evidence?.values, step, revert: revert.name, args: args.join(", ") } } };
}

/**
 * Fails `run` because `step` reverted with `revert`, alerting per {@link revertAlert}; a run that had
 * committed cancels its own pending root first ({@link releaseOwnRoot}), and the alert says so.
 */
export function failOnRevert(deps: SchedulerDeps, run: Run, step: string, revert: { name: string; args: unknown[] }): Promise<StepOutcome> {
  const message = `${step} on ${run.network} reverted with ${revert.name}(${revert.args.map(String).join(", ")})`;
  const code = revert.name === "CodehashMismatch" ? "codehash-mismatch" : revert.name;
  return failRun(deps, run, code, message, revertAlert(run, step, revert, message), (failed) => releaseOwnRoot(failed, deps));
}
