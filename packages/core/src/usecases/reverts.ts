/**
 * How a step answers a dispatcher revert it has no special handling for: the run fails with the
 * revert's name as its code, and an alert says how serious it is — `codehash-mismatch` and
 * `unauthorized` (access control) are critical, any other revert a `run-failed` warning.
 */
import { ACCESS_CONTROL_REVERTS, accessControlRevertRule, codehashMismatchRule, runFailedRule, unauthorizedSignerRule } from "../alerts/rules.js";
import { AlertType, runIncidentKey, type AlertDraft } from "../alerts/types.js";
import { RetiredSignerError } from "../errors.js";
import { TX_VOIDED } from "../run/gateway.js";
import type { Run } from "../run/types.js";
import { OPERATIONS_AUDIT_STREAM, retiredSigners, SignerRotationEvent } from "../signers/rotation.js";
import { failRun, raise, record, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { releaseOwnRoot } from "./release-root.js";
import { resolveStuckTx } from "./stuck-tx.js";

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
  if (revert.name === TX_VOIDED) return failVoided(deps, run, step, revert.args);
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

/**
 * The step's transaction could never be included and the no-op that replaced it landed: audit the no-op
 * (`tx.voided`: it spent the signer's nonce), fail the run (`tx-voided`, cancelling its own root if it
 * committed) with a `tx-voided` alert.
 */
async function failVoided(deps: SchedulerDeps, run: Run, step: string, args: unknown[]): Promise<StepOutcome> {
  const [hash, reason, blockNumber] = [String(args[0]), String(args[1] ?? "never includable"), Number(args[2])];
  await record(deps, { proposalId: run.proposalId, network: run.network, event: "tx.voided", key: `void:${run.network}:${hash}`, txHash: hash, details: { step, reason, blockNumber } });
  const message = `the ${step} transaction on ${run.network} could never be included (${reason}); a no-op at its nonce (tx ${hash}) freed the signer`;
  const alert: AlertDraft = {
    type: AlertType.TX_VOIDED,
    severity: "warning",
    dedupeKey: runIncidentKey(AlertType.TX_VOIDED, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message,
    evidence: { txHash: hash, ...(Number.isFinite(blockNumber) && { blockNumber }), values: { step, reason } },
  };
  // The nonce is free again: a tx-stuck incident of that step is over.
  await resolveStuckTx(deps, run, { hash, blockNumber: Number.isFinite(blockNumber) ? blockNumber : 0, blockTimestamp: 0, gasUsed: 21_000n });
  return failRun(deps, run, "tx-voided", message, alert, (failed) => releaseOwnRoot(failed, deps));
}
