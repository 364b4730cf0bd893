/**
 * `releaseOwnRoot`: a run that fails after its commit, or whose root expired, leaves its root pending on
 * chain, where it refuses every later commit on that network (`pending-root`). Right after the failure is saved, the run cancels
 * that root — only when the dispatcher's pending root and epoch are exactly the run's root and
 * `committedEpoch`, never another proposal's — in the same journaled chunks as a cancel
 * (`<proposal>:<network>:cancel:<k>`). Best effort: a refusal or an error is audited and said in the
 * failure's alert, the run stays FAILED and its proposal keeps the network (`releaseAfterCleanup`); the
 * watchdog retries the cancel every sweep (`retryLeftoverRoots`), and `POST /proposals/{id}/cancel` at once.
 */
import type { Run } from "../run/types.js";
import { cancelRunOnChain, holdsOwnPendingRoot } from "./cancel-proposal.js";
import { record, type SchedulerDeps } from "./deps.js";

/** What {@link cancelOwnRoot} did: nothing of the run's own was pending, or its root was cancelled, refused or not reached. */
export type OwnRootCancel =
  | { outcome: "nothing-pending" }
  | { outcome: "cancelled"; note: string }
  | { outcome: "refused" | "failed"; reason: string; note: string };

/**
 * Cancels the root `failed` (a run just moved to FAILED or EXPIRED) left pending; returns the sentence its
 * alert ends with, or undefined when it had nothing pending of its own.
 * @example await failRun(deps, run, code, message, alert, (failed) => releaseOwnRoot(failed, deps))
 */
export async function releaseOwnRoot(failed: Run, deps: SchedulerDeps): Promise<string | undefined> {
  const cancel = await cancelOwnRoot(failed, deps);
  return cancel.outcome === "nothing-pending" ? undefined : cancel.note;
}

/**
 * {@link releaseOwnRoot} saying what happened (the watchdog's retry reports it): audited `run.root-cancelled`,
 * `cancel.refused` or `cancel.failed`; never throws.
 * @example const { outcome } = await cancelOwnRoot(failed, { ...deps, actor: "watchdog" })
 */
export async function cancelOwnRoot(failed: Run, deps: SchedulerDeps): Promise<OwnRootCancel> {
  if (failed.committedEpoch === undefined) return { outcome: "nothing-pending" };
  const where = { proposalId: failed.proposalId, network: failed.network };
  try {
    const proposal = await deps.store.getProposal(failed.proposalId);
    if (!proposal || !(await holdsOwnPendingRoot(proposal, failed, deps.gateway))) return { outcome: "nothing-pending" };
    const onChain = await cancelRunOnChain(proposal, failed, deps);
    if (!onChain.ok) return { outcome: "refused", reason: `cancel refused: ${onChain.revert}`, note: `its root is still pending on ${failed.network} (cancel refused: ${onChain.revert}); ${RETRY_HINT}` };
    const txHash = onChain.chunks.at(-1)?.hash;
    await record(deps, {
      ...where,
      event: "run.root-cancelled",
      ...(txHash && { txHash }),
      details: { state: failed.state, root: proposal.root, epoch: failed.committedEpoch, chunks: onChain.chunks.length },
    });
    return { outcome: "cancelled", note: `its root ${proposal.root} (epoch ${failed.committedEpoch}) was cancelled on ${failed.network}, so later proposals can commit` };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await record(deps, { ...where, event: "cancel.failed", details: { reason } });
    return { outcome: "failed", reason: `cancel failed: ${reason}`, note: `its root may still be pending on ${failed.network} (cancel failed: ${reason}); ${RETRY_HINT}` };
  }
}

const RETRY_HINT = "cancel the proposal to retry now (the watchdog also retries it every sweep)";
