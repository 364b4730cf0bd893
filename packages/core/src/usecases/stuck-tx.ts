/**
 * The transaction a run waits on, and the end of its `tx-stuck` incident: when the step's transaction
 * confirms, the incident the watchdog may have raised for it is reported resolved (once; a no-op when
 * none was raised — the dedupe ledger knows).
 */
import { txStuckKey } from "../alerts/rules.js";
import { AlertType } from "../alerts/types.js";
import type { SentTransaction } from "../run/gateway.js";
import type { Run } from "../run/types.js";
import { nextStepOf, record, resolve, txStepId, type SchedulerDeps } from "./deps.js";

/** The step id of the transaction an unfinished run waits on (the gateway's step ids). */
export function pendingStepId(run: Run): string | undefined {
  const step = nextStepOf(run);
  return step && txStepId(run, step);
}

/**
 * Resolves the `tx-stuck` incident of the step `run` (as it was before the step) waited on; a no-op signed
 * at its nonce that the transaction beat is audited (`tx.void-superseded`): the void never lands then.
 */
export async function resolveStuckTx(deps: SchedulerDeps, run: Run, tx: SentTransaction): Promise<void> {
  const stepId = pendingStepId(run);
  if (!stepId) return;
  if (tx.supersededVoid) {
    await record(deps, { proposalId: run.proposalId, network: run.network, event: "tx.void-superseded", key: `void:${run.network}:${tx.supersededVoid.hash}`, txHash: tx.hash, details: { stepId, voidHash: tx.supersededVoid.hash, reason: tx.supersededVoid.reason, blockNumber: tx.blockNumber } });
  }
  await resolve(deps, {
    type: AlertType.TX_STUCK,
    severity: "info",
    dedupeKey: txStuckKey(run.network, stepId),
    proposalId: run.proposalId,
    network: run.network,
    message: `step ${stepId} confirmed in block ${tx.blockNumber} (tx ${tx.hash})`,
    evidence: { txHash: tx.hash, blockNumber: tx.blockNumber },
  });
}
