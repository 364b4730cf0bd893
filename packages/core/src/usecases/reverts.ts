/**
 * How a step answers a dispatcher revert it has no special handling for: the run fails with the
 * revert's name as its code, and an alert says how serious it is — `codehash-mismatch` and
 * `unauthorized` (access control) are critical, any other revert a `run-failed` warning.
 */
import { ACCESS_CONTROL_REVERTS, accessControlRevertRule, codehashMismatchRule, runFailedRule, unauthorizedSignerRule } from "../alerts/rules.js";
import { RetiredSignerError } from "../errors.js";
import { OPERATIONS_AUDIT_STREAM, retiredSigners, SignerRotationEvent } from "../signers/rotation.js";
import type { AlertDraft } from "../alerts/types.js";
import type { Run } from "../run/types.js";
import { failRun, raise, record, type SchedulerDeps, type StepOutcome } from "./deps.js";
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
export async function failOnRevert(deps: SchedulerDeps, run: Run, step: string, revert: { name: string; args: unknown[] }): Promise<StepOutcome> {
  await refuseRetiredSigner(deps, run, step, revert);
  const message = `${step} on ${run.network} reverted with ${revert.name}(${revert.args.map(String).join(", ")})`;
  const code = revert.name === "CodehashMismatch" ? "codehash-mismatch" : revert.name;
  return failRun(deps, run, code, message, revertAlert(run, step, revert, message), (failed) => releaseOwnRoot(failed, deps));
}

/**
 * An access-control refusal of a signer a key rotation retired is not the run's failure: this worker
 * signs with a stale configuration. Audits `signer.refused` on the proposal, raises `unauthorized-signer`
 * and throws, leaving the run as it is for a worker with the current key.
 * @throws RetiredSignerError when the refused account is a retired signer of the run's network
 */
async function refuseRetiredSigner(deps: SchedulerDeps, run: Run, step: string, revert: { name: string; args: unknown[] }): Promise<void> {
  if (!ACCESS_CONTROL_REVERTS.has(revert.name)) return;
  const [account, role] = revert.args.map(String);
  if (!account) return;
  const retired = retiredSigners(await deps.audit.list(OPERATIONS_AUDIT_STREAM)).find((s) => s.network === run.network && s.address.toLowerCase() === account.toLowerCase());
  if (!retired) return;
  await record(deps, { proposalId: run.proposalId, network: run.network, event: SignerRotationEvent.REFUSED, details: { step, signer: account, role: role ?? null, replacedBy: retired.replacedBy, retiredAtMs: retired.retiredAtMs } });
  await raise(deps, unauthorizedSignerRule(run, step, retired, role));
  throw new RetiredSignerError(run.network, account, role ?? "?", retired.retiredAtMs);
}
