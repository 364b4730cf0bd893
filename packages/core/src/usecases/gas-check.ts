/**
 * The gas-spike check after a confirmed step: an apply batch is judged against the planner's estimate
 * for that batch, the other steps against the median of the network's last same steps; above 1.5 × it
 * raises a `gas-spike` warning, and it records the sample. Runs only with a
 * {@link MonitoringPorts.gasHistory}; called after the step scheduled its successor, so a failure here
 * never stalls the run.
 */
import { applyGasSpikeRule, gasSpikeRule, type GasStep } from "../alerts/rules.js";
import type { PlannedBatch } from "../manifest/planner.js";
import type { SentTransaction } from "../run/gateway.js";
import type { Run } from "../run/types.js";
import { raise, type SchedulerDeps } from "./deps.js";

/** Judges and records the gas of `tx`, sent by `step` of `run` (`batch`: the planned apply batch it sent). */
export async function checkGas(deps: SchedulerDeps, run: Run, step: GasStep, tx: SentTransaction, batch?: Pick<PlannedBatch, "index" | "estimatedGas">): Promise<void> {
  const history = deps.monitoring?.gasHistory;
  if (!history) return;
  const samples = await history.recent(run.network, step);
  // A resumed step observes the same transaction again: it was judged the first time.
  if (samples.some((s) => s.txHash === tx.hash)) return;
  // Apply batches differ in size and fixed cost: without its planned batch there is nothing to judge against.
  const spike =
    step === "apply"
      ? batch && applyGasSpikeRule({ network: run.network, batch: batch.index, gasUsed: tx.gasUsed, estimatedGas: batch.estimatedGas, txHash: tx.hash, proposalId: run.proposalId })
      : gasSpikeRule({ network: run.network, step, gasUsed: tx.gasUsed, baseline: samples.map((s) => BigInt(s.gas)), txHash: tx.hash, proposalId: run.proposalId });
  await history.add(run.network, step, { txHash: tx.hash, gas: tx.gasUsed.toString(), atMs: deps.clock.now() });
  if (spike) await raise(deps, { ...spike, evidence: { ...spike.evidence, blockNumber: tx.blockNumber } });
}
