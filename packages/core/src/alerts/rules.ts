/**
 * The alert rules (pure): each takes what it judges and returns an {@link AlertDraft}, or undefined
 * when there is nothing to report. Thresholds are the seed design's (DESIGN.md "Alerts").
 */
import { AlertRuleInputError } from "../errors.js";
import type { TxRecord } from "../ports/tx-journal.js";
import type { Run } from "../run/types.js";
import { AlertType, runIncidentKey, type AlertDraft } from "./types.js";

/** The seed thresholds. */
export const ALERT_THRESHOLDS = {
  /** Late activation: beyond the network's grace by more than this. */
  lateActivationSlackMs: 300_000,
  /** Gas spike: `gasUsed > baseline × numerator / denominator` (1.5). */
  gasSpikeRatio: { numerator: 3n, denominator: 2n },
  /** Gas baseline: the median of this many most recent same steps on the network. */
  gasBaselineSamples: 10,
  /** No spike is judged on fewer samples than this. */
  gasMinSamples: 3,
  /** A journaled transaction unconfirmed this long after its first signature is stuck (past its replacements). */
  txStuckAfterMs: 15 * 60_000,
} as const;

/** Reverts that mean the signer lacks a role: PayRox's own transaction was refused by access control. */
export const ACCESS_CONTROL_REVERTS: ReadonlySet<string> = new Set(["AccessControlUnauthorizedAccount", "AccessControlBadConfirmation"]);

/** Steps whose gas is judged (apply against its batch's planned estimate: batches differ in size and fixed cost). */
export type GasStep = "commit" | "apply" | "activate" | "cancel";

/** Late activation: `run` not ACTIVATED when `nowMs > activateAt + grace + 300 s`. */
export function lateActivationRule(run: Run, graceSeconds: number, nowMs: number): AlertDraft | undefined {
  if (run.state === "ACTIVATED" || run.activateAtMs === undefined) return undefined;
  const deadline = run.activateAtMs + graceSeconds * 1000 + ALERT_THRESHOLDS.lateActivationSlackMs;
  if (nowMs <= deadline) return undefined;
  const lateSeconds = Math.floor((nowMs - run.activateAtMs) / 1000);
  return {
    type: AlertType.LATE_ACTIVATION,
    severity: "warning",
    dedupeKey: runIncidentKey(AlertType.LATE_ACTIVATION, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: `${run.network} is ${lateSeconds} s past its activation time and still ${run.state} (grace ${graceSeconds} s + 300 s)`,
    evidence: { values: { lateSeconds, state: run.state, activateAtMs: run.activateAtMs, graceSeconds, deadlineMs: deadline } },
  };
}

/** Activation not ready: the dispatcher refused an activation before its ETA (the step reschedules). */
export function activationNotReadyRule(run: Run, etaSeconds: number, chainNowSeconds: number): AlertDraft {
  return {
    type: AlertType.ACTIVATION_NOT_READY,
    severity: "warning",
    dedupeKey: runIncidentKey(AlertType.ACTIVATION_NOT_READY, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: `activation on ${run.network} was attempted ${etaSeconds - chainNowSeconds} s before its ETA; rescheduled for the ETA`,
    evidence: { values: { etaSeconds, chainNowSeconds } },
  };
}

/** Dispatcher paused: activation refused with `ActivationPaused`; the run holds and retries until `deadlineSeconds` (its root's expiry). */
export function dispatcherPausedRule(run: Run, deadlineSeconds: number, retryAtMs: number): AlertDraft {
  return {
    type: AlertType.DISPATCHER_PAUSED,
    severity: "warning",
    dedupeKey: runIncidentKey(AlertType.DISPATCHER_PAUSED, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: `activation on ${run.network} is refused while its dispatcher is paused; retrying every minute until the root expires at ${new Date(deadlineSeconds * 1000).toISOString()} (unpause to let it activate)`,
    evidence: { values: { deadlineSeconds, retryAtMs } },
  };
}

/** Codehash mismatch at apply or activate: a facet's code is not what the manifest pinned. The run halts. */
export function codehashMismatchRule(run: Run, step: string, args: readonly unknown[]): AlertDraft {
  const [facet, expected, actual] = args.map(String);
  return {
    type: AlertType.CODEHASH_MISMATCH,
    severity: "critical",
    dedupeKey: runIncidentKey(AlertType.CODEHASH_MISMATCH, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: `${step} on ${run.network} refused: facet ${facet ?? "?"} has code hash ${actual ?? "?"}, the manifest pinned ${expected ?? "?"}; the run on ${run.network} is halted`,
    evidence: { values: { step, facet: facet ?? null, expected: expected ?? null, actual: actual ?? null } },
  };
}

/** Unauthorized: PayRox's own transaction reverted on access control. @returns undefined for other reverts */
export function accessControlRevertRule(run: Run, step: string, revert: { name: string; args: readonly unknown[] }): AlertDraft | undefined {
  if (!ACCESS_CONTROL_REVERTS.has(revert.name)) return undefined;
  const [account, role] = revert.args.map(String);
  return {
    type: AlertType.UNAUTHORIZED,
    severity: "critical",
    dedupeKey: runIncidentKey(AlertType.UNAUTHORIZED, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: `${step} on ${run.network} was refused by access control (${revert.name}: account ${account ?? "?"} lacks role ${role ?? "?"}); check the dispatcher's role grants`,
    evidence: { values: { step, revert: revert.name, account: account ?? null, role: role ?? null } },
  };
}

/** Unauthorized signer: a step signed by a key a rotation retired was refused on chain (a stale worker). */
export function unauthorizedSignerRule(run: Run, step: string, retired: { network: string; address: string; keyId: string; replacedBy: string; retiredAtMs: number }, role: string | undefined): AlertDraft {
  return {
    type: AlertType.UNAUTHORIZED_SIGNER,
    severity: "critical",
    dedupeKey: `${AlertType.UNAUTHORIZED_SIGNER}:${retired.network}:${retired.address.toLowerCase()}`,
    proposalId: run.proposalId,
    network: run.network,
    message: `${step} on ${run.network} was signed by ${retired.address} (KMS key ${retired.keyId}), retired by a key rotation at ${new Date(retired.retiredAtMs).toISOString()}, and refused on chain (lacks role ${role ?? "?"}); a worker still runs with the old key: reload its configuration (the signer is now ${retired.replacedBy}); the run is kept and retried`,
    evidence: { values: { step, signer: retired.address, keyId: retired.keyId, replacedBy: retired.replacedBy, role: role ?? null } },
  };
}

/**
 * Gas spike: `gasUsed > median(baseline) × 1.5`, the baseline being the last same steps on the network
 * (most recent last). Fewer than {@link ALERT_THRESHOLDS.gasMinSamples} samples judge nothing.
 * @throws AlertRuleInputError on a negative sample
 */
export function gasSpikeRule(input: { network: string; step: GasStep; gasUsed: bigint; baseline: readonly bigint[]; txHash: string; proposalId?: string }): AlertDraft | undefined {
  const { network, step, gasUsed, txHash } = input;
  if (gasUsed < 0n) throw new AlertRuleInputError("gasUsed", `must not be negative, got ${gasUsed}`);
  const recent = input.baseline.slice(-ALERT_THRESHOLDS.gasBaselineSamples);
  if (recent.length < ALERT_THRESHOLDS.gasMinSamples) return undefined;
  const baseline = median(recent);
  const { numerator, denominator } = ALERT_THRESHOLDS.gasSpikeRatio;
  if (gasUsed * denominator <= baseline * numerator) return undefined;
  return gasSpikeDraft(network, txHash, input.proposalId, `${step} on ${network} used ${gasUsed} gas, over 1.5 × the median ${baseline} of the last ${recent.length} ${step} steps`, {
    step,
    gasUsed: gasUsed.toString(),
    baseline: baseline.toString(),
    samples: recent.length,
  });
}

/** The gas-spike incident of one transaction (both gas rules raise it). */
function gasSpikeDraft(network: string, txHash: string, proposalId: string | undefined, message: string, values: Record<string, string | number>): AlertDraft {
  return {
    type: AlertType.GAS_SPIKE,
    severity: "warning",
    dedupeKey: `${AlertType.GAS_SPIKE}:${network}:${txHash}`,
    ...(proposalId !== undefined && { proposalId }),
    network,
    message,
    evidence: { txHash, values },
  };
}

/**
 * Apply gas spike: `gasUsed > estimatedGas × 1.5`, the estimate being the planner's for that very batch
 * (its fixed cost, facets, leaves and proof, margin included). A per-leaf median can't judge a batch:
 * the fixed ~41.5k makes a 1-leaf last batch look like a 4× spike.
 * @throws AlertRuleInputError on negative gas or a non-positive estimate
 */
export function applyGasSpikeRule(input: { network: string; batch: number; gasUsed: bigint; estimatedGas: number; txHash: string; proposalId?: string }): AlertDraft | undefined {
  const { network, batch, gasUsed, estimatedGas, txHash } = input;
  if (gasUsed < 0n) throw new AlertRuleInputError("gasUsed", `must not be negative, got ${gasUsed}`);
  if (!Number.isSafeInteger(estimatedGas) || estimatedGas <= 0) throw new AlertRuleInputError("estimatedGas", `must be a positive integer, got ${estimatedGas}`);
  const { numerator, denominator } = ALERT_THRESHOLDS.gasSpikeRatio;
  if (gasUsed * denominator <= BigInt(estimatedGas) * numerator) return undefined;
  return gasSpikeDraft(network, txHash, input.proposalId, `apply batch ${batch} on ${network} used ${gasUsed} gas, over 1.5 × the planner's estimate of ${estimatedGas} for that batch`, {
    step: "apply",
    batch,
    gasUsed: gasUsed.toString(),
    estimatedGas: String(estimatedGas),
  });
}

/** The incident key of a stuck transaction: one per network and step. */
export function txStuckKey(network: string, stepId: string): string {
  return `${AlertType.TX_STUCK}:${network}:${stepId.replace(/#/g, "_")}`;
}

/** Tx stuck: a journaled transaction still unconfirmed more than {@link ALERT_THRESHOLDS.txStuckAfterMs} after it was first signed. */
export function txStuckRule(record: TxRecord, nowMs: number, proposalId?: string): AlertDraft | undefined {
  if (record.status === "MINED" || record.status === "CONFIRMED" || record.attempts.length === 0) return undefined;
  const firstSignedMs = Date.parse(record.attempts[0]!.signedAt);
  if (!Number.isFinite(firstSignedMs)) throw new AlertRuleInputError("record.attempts[0].signedAt", `must be an ISO-8601 time, got ${record.attempts[0]!.signedAt}`);
  const pendingMs = nowMs - firstSignedMs;
  if (pendingMs <= ALERT_THRESHOLDS.txStuckAfterMs) return undefined;
  const current = record.attempts.at(-1)!;
  return {
    type: AlertType.TX_STUCK,
    severity: "warning",
    dedupeKey: txStuckKey(record.network, record.stepId),
    ...(proposalId !== undefined && { proposalId }),
    network: record.network,
    message: `step ${record.stepId} on ${record.network} is unconfirmed ${Math.floor(pendingMs / 1000)} s after signing, after ${record.attempts.length} attempt(s) at nonce ${record.nonce}`,
    evidence: { txHash: current.hash, values: { stepId: record.stepId, nonce: record.nonce, attempts: record.attempts.length, status: record.status, maxFeePerGas: current.maxFeePerGas } },
  };
}

/** Run failed: the generic alert of a failure no more specific rule covers. */
export function runFailedRule(run: Run, code: string, message: string): AlertDraft {
  return {
    type: AlertType.RUN_FAILED,
    severity: "warning",
    dedupeKey: runIncidentKey(AlertType.RUN_FAILED, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message,
    evidence: { values: { code } },
  };
}

/** The median of non-empty `values` (the lower middle of an even count, so it is always a sample). */
export function median(values: readonly bigint[]): bigint {
  if (values.length === 0) throw new AlertRuleInputError("values", "the median of no samples is undefined");
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
