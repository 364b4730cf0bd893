/**
 * `cancelProposal`: stops every unfinished run of a proposal. A run with a root on chain (COMMITTED,
 * APPLYING, APPLIED) first discards it with the dispatcher's chunked cancel; a PROPOSED run has nothing on
 * chain — unless its commit is already journaled (its step in flight, or killed after signing): a commit
 * not final yet refuses that run's cancel (`CommitInFlight`: its step resolves it — it lands, or is voided
 * at its nonce — and a cancel then goes through); a final one decides: landed, its root is cancelled on
 * chain first; voided, nothing is on chain. So neither an unresolved nonce nor an orphaned root outlives
 * the cancel, and the run gives its network lock up only then. Steps scheduled for a cancelled run find it CANCELLED and skip.
 *
 * Chunks: each `cancelCommittedRoot(root, epoch, maxUnstage)` unstages at most `maxUnstage` staged routes,
 * sized so a chunk fits the network's per-transaction gas limit (the registry's `maxTxGas`), and names the
 * root and the epoch the run committed — the dispatcher refuses a cancel naming anything else
 * (`CancelTargetMismatch`), so PayRox never cancels another proposal's root. Chunk k is the journaled step
 * `${proposalId}:${network}:cancel:${k}`: a retried cancel follows its chunks instead of sending new ones.
 * The loop ends when the dispatcher no longer reports the run's root pending.
 *
 * A finished proposal can still hold a leftover root: a run that FAILED or EXPIRED after its commit whose
 * own root (its root and committed epoch) is still pending refuses every later commit (`pending-root`).
 * Cancelling such a proposal cancels those roots (`root-cancelled`; the run keeps its final state) — also
 * when other runs of the proposal are still in flight; only when every run is final and none holds its
 * root does the cancel refuse with {@link ProposalFinishedError}.
 */
import { cancelChunkSize } from "../manifest/gas-model.js";
import { ZeroHash } from "../manifest/format.js";
import type { DispatcherGateway, SendResult, SentTransaction } from "../run/gateway.js";
import { TxRecordStatus } from "../ports/tx-journal.js";
import { isTerminalRun } from "../run/state-machine.js";
import { RunState, StepName, type Proposal, type Run } from "../run/types.js";
import { allOrNoneHeldResolution, approvalStaleResolution } from "../alerts/governance-rules.js";
import { record, resolve, saveTransition, txStepId, type SchedulerDeps } from "./deps.js";
import { ProposalFinishedError, ProposalNotFoundError } from "./errors.js";
import { holdsOwnPendingRoot, isTarget, type CancelTarget } from "./own-root.js";

export { holdsOwnPendingRoot } from "./own-root.js";

/** What happened to one network's run. */
export type CancelRunResult =
  /** `txHash`: the last cancel chunk's transaction; `chunks`: how many chunks were sent (0 for a PROPOSED run). */
  | { network: string; outcome: "cancelled"; txHash?: string; chunks: number }
  /** Already final before the cancel (or moved there concurrently). */
  | { network: string; outcome: "already-final"; state: string }
  /** A FAILED or EXPIRED run whose own root was still pending: that root was cancelled; the run keeps `state`. */
  | { network: string; outcome: "root-cancelled"; state: string; txHash?: string; chunks: number }
  /** The dispatcher refused the cancel (or the run's root is not the pending one); the run is unchanged. */
  | { network: string; outcome: "refused"; revert: string };

/** Result of {@link cancelProposal}. */
export interface CancelProposalReturnType {
  proposalId: string;
  runs: CancelRunResult[];
}

/**
 * Cancels every unfinished run of a proposal.
 * @throws {ProposalNotFoundError} when there is no such proposal
 * @throws {ProposalFinishedError} when every run is already final and none left its root pending; nothing is written then
 * @example await cancelProposal(id, "alice", deps)
 */
export async function cancelProposal(proposalId: string, actor: string, deps: SchedulerDeps): Promise<CancelProposalReturnType> {
  const proposal = await deps.store.getProposal(proposalId);
  if (!proposal) throw new ProposalNotFoundError(proposalId);
  const runs = await deps.store.listRuns(proposalId);
  const asActor: SchedulerDeps = { ...deps, actor };
  if (runs.every(isTerminalRun)) return cancelLeftoverRoots(proposal, runs, asActor);
  const byNetwork = new Map<string, CancelRunResult>();
  // The runs in flight first: the veto must not wait on (or fail with) a finished sibling's chain.
  for (const run of runs.filter((r) => !isTerminalRun(r))) byNetwork.set(run.network, await cancelRunInFlight(proposal, run, asActor));
  // A sibling that failed (or expired) after its commit may have left its root pending: cancel it too.
  for (const run of runs.filter(isTerminalRun)) byNetwork.set(run.network, await cancelSiblingLeftover(proposal, run, asActor));
  const results = runs.map((run) => byNetwork.get(run.network)!);
  if (proposal.approval && results.some((r) => r.outcome === "cancelled")) {
    // The cancel is the decision both governance incidents wait for (the sink drops a resolution of none).
    await resolve(asActor, approvalStaleResolution(proposalId, `cancelled by ${actor}`));
    if (proposal.approval.allOrNone) await resolve(asActor, allOrNoneHeldResolution(proposalId, `cancelled by ${actor}`));
  }
  return { proposalId, runs: results };
}

/** {@link journaledCommit}'s answer for a commit that is journaled and not final yet. */
const IN_FLIGHT = Symbol("commit in flight");

/**
 * The outcome of a PROPOSED run's journaled commit (which attempt landed: the call, or the no-op that
 * voided its nonce); undefined when none was journaled. With the journal in the deps it is only looked at:
 * a commit not final yet is {@link IN_FLIGHT} (its step follows it); without it the gateway follows the
 * commit to its end.
 */
async function journaledCommit(run: Run, deps: SchedulerDeps): Promise<SendResult | typeof IN_FLIGHT | undefined> {
  const stepId = txStepId(run, StepName.COMMIT);
  const journal = deps.monitoring?.journal;
  if (journal) {
    const record = await journal.get(stepId);
    if (!record) return undefined;
    if (record.status !== TxRecordStatus.CONFIRMED) return IN_FLIGHT;
  }
  return deps.gateway.resume(run.network, stepId);
}

/**
 * Cancels an unfinished run: its root on chain first (unless PROPOSED with no landed commit), then the run.
 * A PROPOSED run may already have journaled its commit (the step is in flight, or died after signing): it
 * is followed to its end first — its nonce must resolve, and if it landed, its root is ours to cancel.
 */
async function cancelRunInFlight(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<CancelRunResult> {
  let chunks: SentTransaction[] = [];
  const commit = run.state === RunState.PROPOSED ? await journaledCommit(run, deps) : undefined;
  if (commit === IN_FLIGHT) {
    // Waiting here could take until the network's void deadline: the commit step resolves it (lands, or is
    // voided at its nonce), then a cancel goes through.
    const revert = "CommitInFlight";
    await record(deps, { proposalId: proposal.id, network: run.network, event: "cancel.refused", details: { revert, reason: "the run's commit is journaled and not final yet; cancel again once it has landed or been voided" } });
    return { network: run.network, outcome: "refused", revert };
  }
  if (run.state !== RunState.PROPOSED || commit?.ok) {
    const onChain = await cancelRunOnChain(proposal, run, deps);
    // A landed commit whose root is gone already (cancelled or replaced since) leaves nothing to undo.
    const nothingPending = run.state === RunState.PROPOSED && !onChain.ok && onChain.revert === "NotPending";
    if (!onChain.ok && !nothingPending) return { network: run.network, outcome: "refused", revert: onChain.revert };
    chunks = onChain.ok ? onChain.chunks : [];
  }
  const txHash = chunks.at(-1)?.hash;
  const cancelled = await saveTransition(deps, run, { type: "cancelled" });
  if (!cancelled) {
    const stored = await deps.store.getRun(proposal.id, run.network);
    return { network: run.network, outcome: "already-final", state: stored?.state ?? "unknown" };
  }
  await record(deps, { proposalId: proposal.id, network: run.network, event: "run.cancelled", ...(txHash && { txHash }), details: { chunks: chunks.length } });
  return { network: run.network, outcome: "cancelled", ...(txHash && { txHash }), chunks: chunks.length };
}

/**
 * The leftover root of a final run whose siblings are being cancelled, cancelled; a chain that can't be
 * read or a cancel that errors is audited (`cancel.failed`) and reported as refused, never thrown: the
 * cancel of the runs in flight stands, and the same request retries the leftover.
 */
async function cancelSiblingLeftover(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<CancelRunResult> {
  try {
    if (!(await holdsOwnPendingRoot(proposal, run, deps.gateway))) return { network: run.network, outcome: "already-final", state: run.state };
    return await cancelLeftoverRoot(proposal, run, deps);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await record(deps, { proposalId: proposal.id, network: run.network, event: "cancel.failed", details: { reason } });
    return { network: run.network, outcome: "refused", revert: `cancel-failed: ${reason.slice(0, 200)}` };
  }
}

/**
 * Cancels the roots that finished runs left pending; the runs keep their final state. Reads the chain only
 * for FAILED/EXPIRED runs that committed, so a cancelled or activated proposal never reaches the gateway.
 * @throws {ProposalFinishedError} when no run left its own root pending
 */
async function cancelLeftoverRoots(proposal: Proposal, runs: Run[], deps: SchedulerDeps): Promise<CancelProposalReturnType> {
  const leftovers = new Set<string>();
  for (const run of runs) if (await holdsOwnPendingRoot(proposal, run, deps.gateway)) leftovers.add(run.network);
  // A network this proposal still holds for a root that is no longer pending (cancelled out of band) is free.
  for (const run of runs) if (!leftovers.has(run.network)) await deps.store.releaseNetwork(run.network, proposal.id);
  if (leftovers.size === 0) throw new ProposalFinishedError(proposal.id, Object.fromEntries(runs.map((r) => [r.network, r.state])));
  const results: CancelRunResult[] = [];
  for (const run of runs) {
    results.push(leftovers.has(run.network) ? await cancelLeftoverRoot(proposal, run, deps) : { network: run.network, outcome: "already-final", state: run.state });
  }
  return { proposalId: proposal.id, runs: results };
}

/** Cancels the root a final run left pending (audited `run.root-cancelled`); the run keeps its state. */
async function cancelLeftoverRoot(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<CancelRunResult> {
  const onChain = await cancelRunOnChain(proposal, run, deps);
  if (!onChain.ok) return { network: run.network, outcome: "refused", revert: onChain.revert };
  const txHash = onChain.chunks.at(-1)?.hash;
  // The leftover root held the network for this proposal: it is free now.
  await deps.store.releaseNetwork(run.network, proposal.id);
  await record(deps, {
    proposalId: proposal.id,
    network: run.network,
    event: "run.root-cancelled",
    ...(txHash && { txHash }),
    details: { state: run.state, root: proposal.root, epoch: run.committedEpoch, chunks: onChain.chunks.length },
  });
  return { network: run.network, outcome: "root-cancelled", state: run.state, ...(txHash && { txHash }), chunks: onChain.chunks.length };
}

/** What {@link cancelRunOnChain} did: the chunks it sent, or the dispatcher's refusal. */
export type OnChainCancel = { ok: true; chunks: SentTransaction[] } | { ok: false; revert: string };

/**
 * Sends cancel chunks for the run's root until the dispatcher no longer has it pending (used by
 * {@link cancelProposal}, and by the activation step to clear a root that expired). Every chunk is
 * audited (`cancel.confirmed`, with its index); a refusal is audited as `cancel.refused`.
 */
export async function cancelRunOnChain(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<OnChainCancel> {
  const refuse = async (revert: string, args: unknown[]): Promise<OnChainCancel> => {
    await record(deps, { proposalId: run.proposalId, network: run.network, event: "cancel.refused", details: { revert, args: args.map(String) } });
    return { ok: false, revert };
  };
  const network = deps.networks(run.network);
  // A network taken out of the configuration since the proposal can't be reached: refused (audited), not a crash
  // — the proposal's other runs are still cancelled; put the network back to cancel its root.
  if (!network) return refuse("network-not-configured", [run.network]);
  const maxUnstage = cancelChunkSize(network.maxTxGas);
  const target = await targetOf(proposal, run, deps);
  if (!target) return refuse("NotPending", [proposal.root]);
  const chunks: SentTransaction[] = [];
  for (let k = 0; ; k++) {
    if (k > 0) {
      // After one of our chunks the dispatcher accepts nothing but cancel chunks until the root is gone.
      const live = await deps.gateway.readState(run.network);
      if (!isTarget(live, target)) return { ok: true, chunks };
      // Each chunk unstages up to maxUnstage of at most leafCount staged routes: more chunks than that means a bug.
      if (k > Math.ceil(live.leafCount / maxUnstage) + 2) {
        throw new Error(`cancel of ${target.root} on ${run.network} is still pending after ${k} chunks of ${maxUnstage}; retry the cancel (it resumes)`);
      }
    }
    // Chunk 0 is sent even when the root looks gone: after a crash its journal entry holds the answer, and
    // the dispatcher refuses a cancel naming a root that is not pending.
    const stepId = `${run.proposalId}:${run.network}:cancel:${k}`;
    const sent = await deps.gateway.send(run.network, stepId, { kind: "cancel", root: target.root, epoch: target.epoch, maxUnstage });
    if (!sent.ok) {
      if (k === 0) return refuse(sent.revert.name, sent.revert.args);
      // A later chunk refused: another canceller finished the same cancel first.
      const live = await deps.gateway.readState(run.network);
      if (!isTarget(live, target)) return { ok: true, chunks };
      return refuse(sent.revert.name, sent.revert.args);
    }
    chunks.push(sent.tx);
    await record(deps, {
      proposalId: run.proposalId,
      network: run.network,
      event: "cancel.confirmed",
      key: stepId,
      txHash: sent.tx.hash,
      gasUsed: sent.tx.gasUsed.toString(),
      details: { chunk: k, maxUnstage, root: target.root, epoch: Number(target.epoch), blockNumber: sent.tx.blockNumber },
    });
  }
}

/**
 * The commitment to cancel: the run's root and the epoch recorded at its commit. A run committed before
 * the epoch was recorded falls back to the pending epoch — only when its own journaled commit confirmed:
 * the same root pending under another proposal is not this run's to cancel.
 */
async function targetOf(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<CancelTarget | undefined> {
  const root = proposal.root.toLowerCase();
  if (run.committedEpoch !== undefined) return { root, epoch: BigInt(run.committedEpoch) };
  const ours = await deps.gateway.resume(run.network, txStepId(run, StepName.COMMIT));
  if (!ours?.ok) return undefined;
  const live = await deps.gateway.readState(run.network);
  if (live.pendingRoot === ZeroHash || live.pendingRoot.toLowerCase() !== root) return undefined;
  return { root, epoch: live.pendingEpoch };
}

