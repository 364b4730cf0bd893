/**
 * How a step answers a dispatcher revert it has no special handling for: the run fails with the
 * revert's name as its code, and an alert says how serious it is.
 */
import type { AlertSeverity } from "../run/ports.js";
import type { Run } from "../run/types.js";
import { failRun, type SchedulerDeps, type StepOutcome } from "./deps.js";

/** Alert kind and severity of the reverts that are security events; any other revert is a warning. */
export const REVERT_ALERTS: Readonly<Record<string, { kind: string; severity: AlertSeverity }>> = {
  AccessControlUnauthorizedAccount: { kind: "unauthorized", severity: "critical" },
  CodehashMismatch: { kind: "codehash-mismatch", severity: "critical" },
};

/** Fails `run` because `step` reverted with `revert`, alerting per {@link REVERT_ALERTS}. */
export function failOnRevert(deps: SchedulerDeps, run: Run, step: string, revert: { name: string; args: unknown[] }): Promise<StepOutcome> {
  const alert = REVERT_ALERTS[revert.name] ?? { kind: "step-reverted", severity: "warning" as const };
  const message = `${step} on ${run.network} reverted with ${revert.name}(${revert.args.map(String).join(", ")})`;
  return failRun(deps, run, revert.name, message, { ...alert, details: { step, revert: revert.name, args: revert.args.map(String) } });
}
