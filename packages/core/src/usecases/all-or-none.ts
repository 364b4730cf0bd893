/**
 * All or none across networks (the policy's `allOrNone`, kept on the proposal's approval): once one
 * network's run of a proposal halts without activating — FAILED (codehash mismatch, a voided transaction,
 * a refused commit…), EXPIRED or CANCELLED — the proposal's other runs do not activate. Their activation
 * step holds: it looks again every `allOrNoneRetryMs` until the operator cancels the proposal (the
 * decision) or its own root expires. While a sibling network's dispatcher is paused (its own activation
 * holds, and expires if the pause outlasts the window) the others wait too, and go on once it is unpaused.
 * Runs that already activated stay activated: nothing on chain can undo an activation, and no run can
 * halt after activating.
 *
 * The check runs right before the activation is sent. A sibling that halts after it — between the read and
 * the activation's inclusion, e.g. its own activation reverting at the same cut-over — does not stop this
 * run: that window (one read plus one block) can't be closed across chains, only narrowed.
 */
import { allOrNoneHeldRule, allOrNonePausedRule, haltReason } from "../alerts/governance-rules.js";
import { isTerminalRun } from "../run/state-machine.js";
import { RunState, type Proposal, type Run } from "../run/types.js";
import { raise, record, type SchedulerDeps } from "./deps.js";

/** Whether a run ended without activating. */
export function isHaltedRun(run: Pick<Run, "state">): boolean {
  return isTerminalRun(run) && run.state !== RunState.ACTIVATED;
}

/** Why an all-or-none activation must not be sent now. */
export type AllOrNoneBlock =
  /** Sibling runs halted without activating: hold until the operator decides (cancel) or the root expires. */
  | { kind: "halted"; runs: Run[] }
  /** Sibling networks' dispatchers are paused (their activations hold): wait, and go on once they are unpaused. */
  | { kind: "paused"; runs: Run[] };

/**
 * What stops `run` activating under its proposal's all-or-none policy: halted sibling runs first, else open
 * sibling runs whose dispatcher is paused (read now, in parallel). Undefined when nothing does, or when the
 * proposal is not all-or-none (no policy, or `allOrNone: false`: behaviour unchanged). A sibling that is merely
 * behind (still applying) does not block. A sibling network that can't be read throws: the step is retried
 * rather than activating without knowing.
 */
export async function allOrNoneBlock(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<AllOrNoneBlock | undefined> {
  if (proposal.approval?.allOrNone !== true) return undefined;
  const siblings = (await deps.store.listRuns(proposal.id)).filter((sibling) => sibling.network !== run.network);
  const halted = siblings.filter(isHaltedRun);
  if (halted.length > 0) return { kind: "halted", runs: halted };
  const open = siblings.filter((sibling) => !isTerminalRun(sibling));
  const paused = await Promise.all(open.map(async (sibling) => (await deps.gateway.readState(sibling.network)).paused));
  const pausedRuns = open.filter((_, i) => paused[i]);
  return pausedRuns.length > 0 ? { kind: "paused", runs: pausedRuns } : undefined;
}

/**
 * Audits the hold once per held network and cause (`activation.held-all-or-none`, naming every blocking
 * network and why) and raises the proposal's `all-or-none-held` alert — one for a halt, one for a pause —
 * so a hold that looks again every minute writes nothing new (audit key, alert dedupe).
 */
export async function reportAllOrNoneHold(run: Run, block: AllOrNoneBlock, deps: SchedulerDeps): Promise<void> {
  const reason = (r: Run) => (block.kind === "paused" ? "paused" : haltReason(r));
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "activation.held-all-or-none",
    key: `activation.held-all-or-none:${run.network}:${block.kind}:${block.runs.map((r) => r.network).join(",")}`,
    details: { cause: block.kind, [block.kind]: block.runs.map((r) => ({ network: r.network, state: r.state, reason: reason(r) })) },
  });
  await raise(deps, block.kind === "halted" ? allOrNoneHeldRule(run, block.runs[0]!) : allOrNonePausedRule(run, block.runs[0]!));
}
