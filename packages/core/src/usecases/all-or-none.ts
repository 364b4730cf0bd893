/**
 * All or none across networks (the policy's `allOrNone`, kept on the proposal's approval): once one
 * network's run of a proposal halts without activating — FAILED (codehash mismatch, a voided transaction,
 * a refused commit…), EXPIRED or CANCELLED — the proposal's other runs do not activate. Their activation
 * step holds: it looks again every `allOrNoneRetryMs` until the operator cancels the proposal (the
 * decision) or its own root expires. Runs that already activated stay activated: nothing on chain can
 * undo an activation, and no run can halt after activating.
 *
 * The check runs right before the activation is sent. A sibling that halts after it — between the read and
 * the activation's inclusion, e.g. its own activation reverting at the same cut-over — does not stop this
 * run: that window (one read plus one block) can't be closed across chains, only narrowed.
 */
import { allOrNoneHeldRule, haltReason } from "../alerts/governance-rules.js";
import { isTerminalRun } from "../run/state-machine.js";
import { RunState, type Proposal, type Run } from "../run/types.js";
import { raise, record, type SchedulerDeps } from "./deps.js";

/** Whether a run ended without activating. */
export function isHaltedRun(run: Pick<Run, "state">): boolean {
  return isTerminalRun(run) && run.state !== RunState.ACTIVATED;
}

/**
 * The other runs of `proposal` that halted before activating, when the proposal is all-or-none; none
 * otherwise (no policy, or `allOrNone: false`: behaviour unchanged).
 */
export async function haltedSiblings(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<Run[]> {
  if (proposal.approval?.allOrNone !== true) return [];
  return (await deps.store.listRuns(proposal.id)).filter((sibling) => sibling.network !== run.network && isHaltedRun(sibling));
}

/**
 * Audits the hold once per held network (`activation.held-all-or-none`, naming every halted network and
 * why) and raises the proposal's one `all-or-none-held` alert; repeats of either are dropped (audit key,
 * alert dedupe), so a hold that looks again every minute writes nothing new.
 */
export async function reportAllOrNoneHold(run: Run, halted: readonly Run[], deps: SchedulerDeps): Promise<void> {
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "activation.held-all-or-none",
    key: `activation.held-all-or-none:${run.network}`,
    details: { halted: halted.map((h) => ({ network: h.network, state: h.state, reason: haltReason(h) })) },
  });
  await raise(deps, allOrNoneHeldRule(run, halted[0]!));
}
