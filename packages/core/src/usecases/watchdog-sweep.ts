/**
 * `watchdogSweep` (every minute): raises `late-activation` for runs not activated `grace + 300 s` after
 * their activation time, `tx-stuck` for a run's pending transaction past its replacement budget,
 * `approval-stale` for a proposal awaiting approval past `approvalStaleAfterMs` (resolved by the approval,
 * rejection or cancel that ends the wait), ends the runs of a proposal that can never commit (its approval
 * window closed, or it was rejected) so it stops holding its networks, retries the cancel of each leftover root
 * (a run's own root its single cleanup attempt could not cancel) that keeps a network busy (retry-leftover-roots.ts), and —
 * with an event source and a cursor store — one `out-of-band-*` alert per privileged dispatcher event PayRox
 * did not cause (watch-chain.ts). Alerts are deduped by incident in the alert sink, so repeated sweeps don't repeat
 * them; the activation step reports the resolution.
 */
import { lateActivationRule, txStuckRule } from "../alerts/rules.js";
import { pendingStepId } from "./stuck-tx.js";

export { pendingStepId } from "./stuck-tx.js";
import { isTerminalRun } from "../run/state-machine.js";
import type { Proposal, Run } from "../run/types.js";
import { raise, SCHEDULER_DEFAULTS, type SchedulerDeps } from "./deps.js";
import { approvalStaleRule } from "../alerts/governance-rules.js";
import { endUncommittable } from "./end-uncommittable.js";
import { ApprovalStatus, ApproverStatus } from "../governance/ports.js";
import { OPERATIONS_AUDIT_STREAM } from "../signers/rotation.js";
import { watchChain, type ChainWatchReport } from "./watch-chain.js";
import { retryLeftoverRoots, type LeftoverRootRetry } from "./retry-leftover-roots.js";

/** Options of {@link watchdogSweep}. */
export interface WatchdogSweepOptions {
  /** Proposals examined per sweep (newest first, as the store lists them). @default 100 */
  limit?: number;
  /** Networks held by a leftover root whose cancel is retried per sweep (one attempt each; the rest wait for the next sweep). @default 3 */
  leftoverRootRetries?: number;
}

/** Result of {@link watchdogSweep}. */
export interface WatchdogSweepReturnType {
  /** Unfinished runs examined. */
  checked: number;
  /** `proposalId/network` of each run found late in this sweep (its alert is raised once per incident). */
  late: string[];
  /** Step ids of transactions found stuck in this sweep. */
  stuck: string[];
  /** Ids of proposals found awaiting approval past `approvalStaleAfterMs` (or their window) in this sweep; absent when none. */
  staleApprovals?: string[];
  /**
   * Ids of proposals whose runs this sweep ended because they can never commit (approval window closed, or
   * rejected with runs a crash left open), freeing their networks; absent when none.
   */
  ended?: string[];
  /**
   * Per configured network held by a leftover root (or whose lock could not be read): whether this sweep
   * cancelled it, found it gone, left it held, deferred it or failed; absent when none.
   */
  leftoverRoots?: LeftoverRootRetry[];
  /** Per network, what the chain watcher read (absent without an event source and cursor store). */
  chain?: ChainWatchReport[];
}

/**
 * Checks recent proposals for late activations and stuck transactions, retries leftover roots' cancels, and
 * checks the chain for out-of-band events.
 * @example await watchdogSweep({ ...deps, actor: "watchdog" })
 */
export async function watchdogSweep(deps: SchedulerDeps, options: WatchdogSweepOptions = {}): Promise<WatchdogSweepReturnType> {
  const now = deps.clock.now();
  const { proposals } = await deps.store.listProposals({ limit: options.limit ?? 100 });
  const result: WatchdogSweepReturnType = { checked: 0, late: [], stuck: [] };
  const auditedTxHashes = new Set<string>();
  for (const proposal of proposals) {
    const open = (await deps.store.listRuns(proposal.id)).filter((run) => !isTerminalRun(run));
    if (open.length === 0) continue;
    result.checked += open.length;
    if (await endUncommittable(deps, proposal, open, now)) {
      (result.ended ??= []).push(proposal.id);
      continue;
    }
    if (await staleApproval(deps, proposal, now)) (result.staleApprovals ??= []).push(proposal.id);
    for (const run of open) {
      const late = lateActivationRule(run, deps.networks(run.network)?.graceSeconds ?? 60, now);
      if (late) {
        result.late.push(`${run.proposalId}/${run.network}`);
        await raise(deps, late);
      }
      const stuck = await stuckTransaction(deps, run, now);
      if (stuck) result.stuck.push(stuck);
    }
    if (deps.monitoring?.events) for (const entry of await deps.audit.list(proposal.id)) if (entry.txHash) auditedTxHashes.add(entry.txHash.toLowerCase());
  }
  const leftoverRoots = await retryLeftoverRoots(deps, { max: options.leftoverRootRetries ?? 3 });
  if (leftoverRoots.length > 0) result.leftoverRoots = leftoverRoots;
  // Key rotations' role grants and revocations are PayRox's own too.
  if (deps.monitoring?.events) for (const entry of await deps.audit.list(OPERATIONS_AUDIT_STREAM)) if (entry.txHash) auditedTxHashes.add(entry.txHash.toLowerCase());
  const { events, cursors } = deps.monitoring ?? {};
  if (events && cursors) result.chain = await watchChain(deps, events, cursors, auditedTxHashes);
  return result;
}

/** Raises `approval-stale` for a proposal still awaiting approval past its age (a cancelled one has no open run and is not looked at). */
async function staleApproval(deps: SchedulerDeps, proposal: Proposal, now: number): Promise<boolean> {
  if (proposal.approval?.status !== ApprovalStatus.AWAITING_APPROVAL) return false;
  const staleAfterMs = deps.options?.approvalStaleAfterMs ?? SCHEDULER_DEFAULTS.approvalStaleAfterMs;
  if (!approvalStaleRule(proposal, staleAfterMs, now)) return false;
  // Counted only once it is stale: the approvals are read for the message, not every minute for every proposal.
  const approvals = deps.governance && (await deps.governance.approvals.listApprovals(proposal.id)).filter((a) => a.status === ApproverStatus.APPROVED).length;
  await raise(deps, approvalStaleRule(proposal, staleAfterMs, now, approvals)!);
  return true;
}

async function stuckTransaction(deps: SchedulerDeps, run: Run, now: number): Promise<string | undefined> {
  const journal = deps.monitoring?.journal;
  const stepId = pendingStepId(run);
  if (!journal || !stepId) return undefined;
  const record = await journal.get(stepId);
  const stuck = record && txStuckRule(record, now, run.proposalId);
  if (!stuck) return undefined;
  await raise(deps, stuck);
  return stepId;
}
