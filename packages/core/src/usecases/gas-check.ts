/**
 * The gas-spike check after a confirmed step: compares its gas with the median of the network's last
 * same steps (apply per leaf), raises a `gas-spike` warning above 1.5 ×, and adds the sample. Runs only
 * with a {@link MonitoringPorts.gasHistory}; called after the step scheduled its successor, so a failure
 * here never stalls the run.
 */
import { gasSpikeRule, type GasStep } from "../alerts/rules.js";
import type { SentTransaction } from "../run/gateway.js";
import type { Run } from "../run/types.js";
import { raise, type SchedulerDeps } from "./deps.js";

/** Judges and records the gas of `tx`, sent by `step` of `run` (`leaves`: the apply batch's size). */
export async function checkGas(deps: SchedulerDeps, run: Run, step: GasStep, tx: SentTransaction, leaves = 1): Promise<void> {
  const history = deps.monitoring?.gasHistory;
  if (!history) return;
  const gas = step === "apply" ? tx.gasUsed / BigInt(Math.max(1, leaves)) : tx.gasUsed;
  const samples = await history.recent(run.network, step);
  // A resumed step observes the same transaction again: it was judged the first time.
  if (samples.some((s) => s.txHash === tx.hash)) return;
  const spike = gasSpikeRule({ network: run.network, step, gasUsed: gas, baseline: samples.map((s) => BigInt(s.gas)), txHash: tx.hash, proposalId: run.proposalId });
  await history.add(run.network, step, { txHash: tx.hash, gas: gas.toString(), atMs: deps.clock.now() });
  if (spike) await raise(deps, { ...spike, evidence: { ...spike.evidence, blockNumber: tx.blockNumber } });
}
