/**
 * Whether a run's own commitment is still pending on its dispatcher — the one check behind every cleanup of
 * a root a run left behind (a cancel of a finished proposal, a failed run's own cancel, the network hold
 * after it). Only the run's root at the epoch its commit took counts: never another proposal's root.
 */
import type { DispatcherGateway } from "../run/gateway.js";
import { RunState, type Proposal, type Run } from "../run/types.js";

/** The commitment a run's cancel names: its root (lower case) and the epoch its commit took. */
export interface CancelTarget {
  root: string;
  epoch: bigint;
}

/** Whether the dispatcher's pending root and epoch are exactly `target`. */
export function isTarget(live: { pendingRoot: string; pendingEpoch: bigint }, target: CancelTarget): boolean {
  return live.pendingRoot.toLowerCase() === target.root && live.pendingEpoch === target.epoch;
}

/**
 * Whether a final run left its own commitment pending: FAILED or EXPIRED, committed at a recorded epoch,
 * and the dispatcher's pending root and epoch are exactly those (never another proposal's root).
 */
export async function holdsOwnPendingRoot(proposal: Proposal, run: Run, gateway: DispatcherGateway): Promise<boolean> {
  if ((run.state !== RunState.FAILED && run.state !== RunState.EXPIRED) || run.committedEpoch === undefined) return false;
  const live = await gateway.readState(run.network);
  return isTarget(live, { root: proposal.root.toLowerCase(), epoch: BigInt(run.committedEpoch) });
}
