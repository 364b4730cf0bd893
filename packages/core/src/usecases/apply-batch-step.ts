/**
 * The apply step's body: send batch k of the deterministic plan, record it, schedule batch k+1 five
 * seconds later or, after the last batch, the activation a minute before its time (EventBridge
 * Scheduler fires with 60 s precision; the activation step holds for the rest).
 */
import { planBatches } from "../manifest/planner.js";
import { parseManifest } from "../manifest/validate.js";
import { APPLY_BATCH_GAP_MS } from "../run/state-machine.js";
import { StepName } from "../run/types.js";
import { checkGas } from "./gas-check.js";
import { resolveStuckTx } from "./stuck-tx.js";
import { failRun, record, saveTransition, scheduleStep, txStepId, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { releaseOwnRoot } from "./release-root.js";
import { failOnRevert } from "./reverts.js";
import type { StepContext } from "./run-step.js";

/** How long before its time the activation is scheduled (EventBridge Scheduler's precision). */
export const ACTIVATION_LEAD_MS = 60_000;

/** Apply body; see {@link applyBatchStep}. */
export async function applyBatchBody({ proposal, run }: StepContext, deps: SchedulerDeps): Promise<StepOutcome> {
  const k = run.batchesApplied;
  const network = deps.networks(run.network);
  if (!network) throw new RangeError(`network ${run.network} of run ${run.proposalId} is not in the registry`);
  // The proposal's own limits under the network's gas limit: a process configured otherwise still applies the batches it planned.
  const plan = planBatches(parseManifest(proposal.manifestJson), { ...deps.options?.planOptions, ...proposal.plan, maxTxGas: network.maxTxGas });
  if (plan.batches.length !== run.batchCount) {
    const message = `the plan now has ${plan.batches.length} batches, the run was created with ${run.batchCount}; the planner or its options changed`;
    return failRun(deps, run, "plan-mismatch", message, undefined, (failed) => releaseOwnRoot(failed, deps));
  }
  const { facets, initHash, leaves, proof, proofFlags } = plan.batches[k]!;
  const stepId = txStepId(run, StepName.APPLY);
  const sent = await deps.gateway.send(run.network, stepId, { kind: "apply", batch: { facets, initHash, leaves, proof, proofFlags } });
  if (!sent.ok) return failOnRevert(deps, run, `apply batch ${k}`, sent.revert);
  // Audited before the run moves (see commitBody): a crash in between neither loses nor doubles the entry.
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "apply.confirmed",
    key: stepId,
    txHash: sent.tx.hash,
    gasUsed: sent.tx.gasUsed.toString(),
    details: { batch: k, batchCount: run.batchCount, leaves: plan.batches[k]!.routes.length, blockNumber: sent.tx.blockNumber },
  });
  const applied = await saveTransition(deps, run, { type: "batchApplied", index: k });
  if (!applied) return { outcome: "skipped", reason: "run moved concurrently" };
  const now = deps.clock.now();
  if (applied.state === "APPLYING") {
    await scheduleStep(deps, applied, StepName.APPLY, String(applied.batchesApplied), now + APPLY_BATCH_GAP_MS);
  } else {
    await scheduleStep(deps, applied, StepName.ACTIVATE, String(applied.version), Math.max(now, applied.activateAtMs! - ACTIVATION_LEAD_MS));
  }
  await resolveStuckTx(deps, run, sent.tx);
  await checkGas(deps, run, "apply", sent.tx, plan.batches[k]!);
  return { outcome: "done", run: applied, tx: sent.tx, estimatedGas: plan.batches[k]!.estimatedGas };
}
