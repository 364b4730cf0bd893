/**
 * `endUncommittable`: a proposal holds its networks from its creation, but one that can never commit —
 * still awaiting approval after its window closed, or rejected with runs a crash left open — must not hold
 * them for good. Its PROPOSED runs end (FAILED `approval-expired`, or CANCELLED), which releases their
 * networks. The watchdog does it every minute; `proposeUpgrade` does it at once for the holder that
 * refused a new proposal.
 */
import { approvalStaleResolution } from "../alerts/governance-rules.js";
import { ApprovalStatus } from "../governance/ports.js";
import { isTerminalRun } from "../run/state-machine.js";
import { RunState, type Proposal, type Run } from "../run/types.js";
import { record, resolve, saveTransition, type SchedulerDeps } from "./deps.js";

/**
 * How long after an approval window closes before the watchdog ends the proposal's runs: an approval
 * accepted just before the deadline finishes crossing the threshold well within it (an API request is
 * bounded to 29 s), so the crossing and the end never race.
 */
export const APPROVAL_CLOSE_GRACE_MS = 60_000;

/**
 * A proposal that can never commit still holds its networks (the lock is taken at creation): one still
 * awaiting approval past its window's close (+ {@link APPROVAL_CLOSE_GRACE_MS}) has its PROPOSED runs
 * FAILED `approval-expired`; a REJECTED one whose runs a crash left open has them CANCELLED. Either way the
 * runs are final, so their networks are free; audited, and the `approval-stale` incident is resolved.
 * @returns whether it ended the proposal's runs
 */
export async function endUncommittable(deps: SchedulerDeps, proposal: Proposal, open: readonly Run[], now: number): Promise<boolean> {
  const approval = proposal.approval;
  const expired = approval?.status === ApprovalStatus.AWAITING_APPROVAL && now > approval.deadlineMs + APPROVAL_CLOSE_GRACE_MS;
  const rejected = approval?.status === ApprovalStatus.REJECTED;
  if (!expired && !rejected) return false;
  // Only runs that never committed: nothing is on chain, nothing was scheduled.
  const waiting = open.filter((run) => run.state === RunState.PROPOSED);
  if (waiting.length === 0) return false;
  const deadline = new Date(approval!.deadlineMs).toISOString();
  const message = `the approval window closed at ${deadline} without the threshold's approvals; propose again if the upgrade is still wanted`;
  for (const run of waiting) {
    await saveTransition(deps, run, expired ? { type: "failed", code: "approval-expired", message } : { type: "cancelled" });
  }
  const event = expired ? "proposal.approval-expired" : "proposal.rejected-runs-cancelled";
  await record(deps, { proposalId: proposal.id, event, key: event, details: { networks: waiting.map((r) => r.network), deadline } });
  await resolve(deps, approvalStaleResolution(proposal.id, expired ? `its approval window closed at ${deadline}; its runs ended and their networks are free` : "rejected"));
  return true;
}


/**
 * Ends the runs of `proposalId` when it can never commit (see {@link endUncommittable}).
 * @returns whether its runs were ended (its networks are free now)
 */
export async function endHolderIfUncommittable(proposalId: string, deps: SchedulerDeps): Promise<boolean> {
  const proposal = await deps.store.getProposal(proposalId);
  if (!proposal?.approval) return false;
  const open = (await deps.store.listRuns(proposalId)).filter((run) => !isTerminalRun(run));
  return endUncommittable(deps, proposal, open, deps.clock.now());
}
