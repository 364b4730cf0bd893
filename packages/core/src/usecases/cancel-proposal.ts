/**
 * `cancelProposal`: stops every unfinished run of a proposal. A run with a root on chain (COMMITTED,
 * APPLYING, APPLIED) first discards it with the dispatcher's cancel; a PROPOSED run has nothing on
 * chain. Steps scheduled for a cancelled run find it CANCELLED and skip.
 */
import { isTerminalRun } from "../run/state-machine.js";
import { record, saveTransition, type SchedulerDeps } from "./deps.js";
import { ProposalFinishedError, ProposalNotFoundError } from "./errors.js";

/** What happened to one network's run. */
export type CancelRunResult =
  | { network: string; outcome: "cancelled"; txHash?: string }
  /** Already final before the cancel (or moved there concurrently). */
  | { network: string; outcome: "already-final"; state: string }
  /** The dispatcher refused the cancel; the run is unchanged. */
  | { network: string; outcome: "refused"; revert: string };

/** Result of {@link cancelProposal}. */
export interface CancelProposalReturnType {
  proposalId: string;
  runs: CancelRunResult[];
}

/**
 * Cancels every unfinished run of a proposal.
 * @throws {ProposalNotFoundError} when there is no such proposal
 * @throws {ProposalFinishedError} when every run is already final; nothing is written then
 * @example await cancelProposal(id, "alice", deps)
 */
export async function cancelProposal(proposalId: string, actor: string, deps: SchedulerDeps): Promise<CancelProposalReturnType> {
  const proposal = await deps.store.getProposal(proposalId);
  if (!proposal) throw new ProposalNotFoundError(proposalId);
  const runs = await deps.store.listRuns(proposalId);
  if (runs.every(isTerminalRun)) throw new ProposalFinishedError(proposalId, Object.fromEntries(runs.map((r) => [r.network, r.state])));
  const asActor: SchedulerDeps = { ...deps, actor };
  const results: CancelRunResult[] = [];
  for (const run of runs) {
    if (isTerminalRun(run)) {
      results.push({ network: run.network, outcome: "already-final", state: run.state });
      continue;
    }
    let txHash: string | undefined;
    if (run.state !== "PROPOSED") {
      const sent = await deps.gateway.send(run.network, `${proposalId}:${run.network}:cancel`, { kind: "cancel" });
      if (!sent.ok) {
        await record(asActor, { proposalId, network: run.network, event: "cancel.refused", details: { revert: sent.revert.name, args: sent.revert.args.map(String) } });
        results.push({ network: run.network, outcome: "refused", revert: sent.revert.name });
        continue;
      }
      txHash = sent.tx.hash;
      await record(asActor, { proposalId, network: run.network, event: "cancel.confirmed", txHash, gasUsed: sent.tx.gasUsed.toString() });
    }
    const cancelled = await saveTransition(asActor, run, { type: "cancelled" });
    if (!cancelled) {
      const stored = await deps.store.getRun(proposalId, run.network);
      results.push({ network: run.network, outcome: "already-final", state: stored?.state ?? "unknown" });
      continue;
    }
    await record(asActor, { proposalId, network: run.network, event: "run.cancelled", ...(txHash && { txHash }) });
    results.push({ network: run.network, outcome: "cancelled", ...(txHash && { txHash }) });
  }
  return { proposalId, runs: results };
}
