/**
 * The activation step's body. EventBridge Scheduler fires up to a minute late, so the step is scheduled
 * a minute early and holds here until the chain's latest block has reached the activation time — the
 * send's simulation runs on that block, so an earlier send would be refused as `ActivationNotReady` —
 * and sends then: the activation lands in the next block, at most one block after the first eligible. A wait longer than one invocation can hold is
 * rescheduled; so is a wait of more than 15 s when the scheduler can deliver to the second (the hand-off,
 * {@link ACTIVATION_HANDOFF}: the Lambda is not billed for sleeping); an early attempt the dispatcher refuses (`ActivationNotReady`) is rescheduled (with a
 * warning), never failed. A refusal because the dispatcher is paused (`ActivationPaused`) is not a failure
 * either: the run holds, retrying every {@link PAUSED_RETRY_MS}, with one `dispatcher-paused` warning
 * (resolved when it activates), until its root's expiry — then it is EXPIRED like any root that was not
 * activated in time. A `CodehashMismatch` fails the run with a critical alert (reverts.ts). Under an
 * all-or-none policy, a sibling network's run that halted without activating — or whose dispatcher is
 * paused — holds the activation here, right before it is sent (all-or-none.ts).
 */
import { StepName, type Proposal, type Run } from "../run/types.js";
import { cancelRunOnChain } from "./cancel-proposal.js";
import { releaseOwnRoot } from "./release-root.js";
import { ACTIVATION_LEAD_MS } from "./apply-batch-step.js";
import { activationNotReadyRule, dispatcherPausedRule, lateActivationRule } from "../alerts/rules.js";
import { isRemoval, manifestInitializer } from "../manifest/format.js";
import { planPrune, pruneHintsPerTx } from "../manifest/prune.js";
import { activateArgs, buildManifestTree } from "../manifest/merkle.js";
import { parseManifest } from "../manifest/validate.js";
import { AlertType, runIncidentKey } from "../alerts/types.js";
import type { SentTransaction } from "../run/gateway.js";
import { raise, realSleep, record, releaseAfterCleanup, resolve, saveTransition, SCHEDULER_DEFAULTS, scheduleStep, txStepId, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { checkGas } from "./gas-check.js";
import { resolveStuckTx } from "./stuck-tx.js";
import { failOnRevert } from "./reverts.js";
import type { StepContext } from "./run-step.js";
import { allOrNoneBlock, reportAllOrNoneHold, type AllOrNoneBlock } from "./all-or-none.js";
import { allOrNoneHeldResolution, allOrNonePausedKey } from "../alerts/governance-rules.js";
import { isTerminalRun } from "../run/state-machine.js";

/** How often an activation refused by a paused dispatcher is retried (default of `options.pausedRetryMs`). */
export const PAUSED_RETRY_MS = 60_000;

/**
 * The activation hand-off: an invocation woken more than `minWaitMs` (plus a block) before the ETA
 * (EventBridge Scheduler fires anywhere in the minute before it) does not hold the rest of the wait
 * asleep — a 1 GB Lambda billed for nothing — but reschedules itself `leadMs` (plus a block: the latest
 * block may be that old) before the ETA through a transport at least `maxPrecisionMs` precise (the SQS
 * delay queue); that invocation holds the rest. Without such a transport it holds as before.
 */
export const ACTIVATION_HANDOFF = { minWaitMs: 15_000, leadMs: 5_000, maxPrecisionMs: 2_000 } as const;

/** Activate body; see {@link activateStep}. */
export async function activateBody({ proposal, run }: StepContext, deps: SchedulerDeps): Promise<StepOutcome> {
  const network = deps.networks(run.network);
  if (!network) throw new RangeError(`network ${run.network} of run ${run.proposalId} is not in the registry`);
  // Built before the hold: rebuilding a large manifest's tree after the ETA block would delay the send.
  const manifest = parseManifest(proposal.manifestJson);
  const args = activateArgs(buildManifestTree(manifest.entries, manifestInitializer(manifest)));
  const held = await holdUntilDue(run, network.blockTimeSeconds, deps);
  if (held) return held;
  // All or none: checked after the hold, right before sending, so a sibling that halted meanwhile counts.
  const blocked = await allOrNoneBlock(proposal, run, deps);
  if (blocked) return holdForAllOrNone(proposal, run, blocked, deps);

  const stepId = txStepId(run, StepName.ACTIVATE);
  const sent = await deps.gateway.send(run.network, stepId, { kind: "activate", ...args });
  if (!sent.ok) {
    const { name, args } = sent.revert;
    if (name === "ActivationNotReady") return retryLater(run, Number(args[0] ?? 0), Number(args[1] ?? 0), deps);
    if (name === "RootExpired") return expire(proposal, run, deps);
    if (name === "ActivationPaused") return holdWhilePaused(proposal, run, deps);
    return failOnRevert(deps, run, "activate", sent.revert);
  }
  const etaSeconds = Math.ceil(run.activateAtMs! / 1000);
  const latenessSeconds = sent.tx.blockTimestamp - etaSeconds;
  // Audited before the run moves (see commitBody): a crash in between neither loses nor doubles the entry.
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "run.activated",
    key: stepId,
    txHash: sent.tx.hash,
    gasUsed: sent.tx.gasUsed.toString(),
    details: { etaSeconds, blockTimestamp: sent.tx.blockTimestamp, blockNumber: sent.tx.blockNumber, latenessSeconds },
  });
  const activated = await saveTransition(deps, run, { type: "activated" });
  if (!activated) return { outcome: "skipped", reason: "run moved concurrently" };
  await reportActivation(deps, run, network.graceSeconds, sent.tx);
  if (proposal.approval?.allOrNone) {
    // A wait on a paused sibling is over once the proposal activates anywhere.
    await resolve(deps, { type: AlertType.ALL_OR_NONE_HELD, severity: "info", dedupeKey: allOrNonePausedKey(run.proposalId), proposalId: run.proposalId, network: run.network, message: `activated on ${run.network} (tx ${sent.tx.hash}): no network is paused any more` });
  }
  await resolveStuckTx(deps, run, sent.tx);
  await checkGas(deps, run, "activate", sent.tx);
  if (manifest.entries.some(isRemoval)) await pruneDeadSelectors(deps, run, network.maxTxGas);
  return { outcome: "done", run: activated, tx: sent.tx, latenessSeconds };
}

/**
 * After an activation that removed selectors, unlinks the dispatcher's dead list entries (removed and
 * disabled selectors) so its loupe keeps to the live ones — in chunks that fit the network's
 * per-transaction limit, each journaled as its own step. Best effort: housekeeping never fails a run; a
 * failure is audited and the next activation prunes again.
 */
async function pruneDeadSelectors(deps: SchedulerDeps, run: Run, maxTxGas: number): Promise<void> {
  if (!deps.gateway.listSelectors) return;
  const base = `${txStepId(run, StepName.ACTIVATE)}:prune`;
  try {
    const chunks = planPrune(await deps.gateway.listSelectors(run.network), pruneHintsPerTx(maxTxGas));
    for (const [k, predecessors] of chunks.entries()) {
      const sent = await deps.gateway.send(run.network, `${base}:${k}`, { kind: "prune", predecessors });
      if (!sent.ok) {
        await record(deps, { proposalId: run.proposalId, network: run.network, event: "prune.refused", details: { chunk: k, revert: sent.revert.name } });
        return;
      }
      await record(deps, {
        proposalId: run.proposalId,
        network: run.network,
        event: "prune.confirmed",
        key: `${base}:${k}`,
        txHash: sent.tx.hash,
        gasUsed: sent.tx.gasUsed.toString(),
        details: { chunk: k, chunks: chunks.length, entries: predecessors.length },
      });
    }
  } catch (error) {
    await record(deps, { proposalId: run.proposalId, network: run.network, event: "prune.failed", details: { message: (error as Error).message } });
  }
}

/**
 * Waits (with `deps.sleep`) until the chain's latest block timestamp ≥ the activation time.
 * @returns undefined when it is time to send, or the outcome of rescheduling a wait too long to hold.
 */
async function holdUntilDue(run: Run, blockTimeSeconds: number, deps: SchedulerDeps): Promise<StepOutcome | undefined> {
  const maxHoldMs = deps.options?.maxHoldMs ?? SCHEDULER_DEFAULTS.maxHoldMs;
  // A quarter of a block between looks (0.1–1 s): the eligible block is seen soon after it is mined.
  const pollMs = Math.min(1_000, Math.max(100, blockTimeSeconds * 250));
  const sleep = deps.sleep ?? realSleep;
  const etaSeconds = Math.ceil(run.activateAtMs! / 1000);
  const started = deps.clock.now();
  let latest = await deps.gateway.latestBlock(run.network);
  // Measured on the chain's clock, which may differ from ours.
  const waitMs = (etaSeconds - latest.timestamp) * 1000;
  if (waitMs > maxHoldMs) {
    // Not earlier than a minute before the time, nor so early that the next invocation can't hold to it.
    return reschedule(run, Math.max(run.activateAtMs! - ACTIVATION_LEAD_MS, started + waitMs - maxHoldMs), deps);
  }
  // The latest block may be up to a block old, so the wait may be a block shorter than it looks.
  const handoffDelayMs = waitMs - blockTimeSeconds * 1000 - ACTIVATION_HANDOFF.leadMs;
  if (handoffDelayMs > ACTIVATION_HANDOFF.minWaitMs - ACTIVATION_HANDOFF.leadMs) {
    const precisionMs = deps.scheduler.precisionMs?.(handoffDelayMs) ?? Number.POSITIVE_INFINITY;
    if (precisionMs <= ACTIVATION_HANDOFF.maxPrecisionMs) return reschedule(run, started + handoffDelayMs, deps);
  }
  while (latest.timestamp < etaSeconds) {
    if (deps.clock.now() - started > maxHoldMs) return reschedule(run, deps.clock.now(), deps);
    await sleep(Math.max(pollMs, (etaSeconds - 1 - latest.timestamp) * 1000));
    latest = await deps.gateway.latestBlock(run.network);
  }
  return undefined;
}

/** Schedules another activation attempt of the unchanged run (a new attempt: this one is completed). */
async function reschedule(run: Run, atMs: number, deps: SchedulerDeps): Promise<StepOutcome> {
  await scheduleStep(deps, run, StepName.ACTIVATE, `${run.version}@${atMs}`, atMs);
  return { outcome: "rescheduled", atMs, run };
}

/**
 * Reports the activation: a `late-activation` alert if its block came later than activateAt + grace +
 * 300 s (deduped with the watchdog's), then the resolution of the run's late and not-ready incidents.
 */
async function reportActivation(deps: SchedulerDeps, run: Run, graceSeconds: number, tx: SentTransaction): Promise<void> {
  const late = lateActivationRule(run, graceSeconds, tx.blockTimestamp * 1000);
  if (late) await raise(deps, { ...late, evidence: { ...late.evidence, txHash: tx.hash, blockNumber: tx.blockNumber } });
  const activated = `activated on ${run.network} in block ${tx.blockNumber} (tx ${tx.hash})`;
  for (const type of [AlertType.LATE_ACTIVATION, AlertType.ACTIVATION_NOT_READY, AlertType.DISPATCHER_PAUSED]) {
    await resolve(deps, { type, severity: "info", dedupeKey: runIncidentKey(type, run.proposalId, run.network), proposalId: run.proposalId, network: run.network, message: activated, evidence: { txHash: tx.hash, blockNumber: tx.blockNumber } });
  }
}

/** The dispatcher refused an early activation: warn, record the retry time and try again then. */
async function retryLater(run: Run, etaSeconds: number, chainNowSeconds: number, deps: SchedulerDeps): Promise<StepOutcome> {
  const now = deps.clock.now();
  const retryAtMs = Math.max(etaSeconds * 1000, now + 1_000);
  const next = await saveTransition(deps, run, { type: "activationNotReady", retryAtMs });
  if (!next) return { outcome: "skipped", reason: "run moved concurrently" };
  await record(deps, { proposalId: run.proposalId, network: run.network, event: "activation.not-ready", details: { retryAtMs: next.activateAtMs } });
  await raise(deps, activationNotReadyRule(run, etaSeconds, chainNowSeconds));
  const atMs = Math.max(now, next.activateAtMs! - ACTIVATION_LEAD_MS);
  await scheduleStep(deps, next, StepName.ACTIVATE, String(next.version), atMs);
  return { outcome: "rescheduled", atMs, run: next };
}

/**
 * The dispatcher refused the activation because it is paused: warn once, retry in a minute. While paused
 * the dispatcher reports `ActivationPaused` even past the expiry, so the expiry is judged here, on the
 * chain's clock: past `eta + expiryWindow` the run is EXPIRED.
 */
async function holdWhilePaused(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<StepOutcome> {
  const [state, latest] = await Promise.all([deps.gateway.readState(run.network), deps.gateway.latestBlock(run.network)]);
  const deadlineSeconds = state.pendingEta + state.expiryWindowSeconds;
  if (state.pendingEta > 0 && latest.timestamp > deadlineSeconds) return expire(proposal, run, deps);
  const atMs = deps.clock.now() + (deps.options?.pausedRetryMs ?? PAUSED_RETRY_MS);
  // A new version, so the retry is a new attempt and its own journaled transaction (a refusal mined on
  // chain, the pause landing between simulation and inclusion, stays with this attempt).
  const next = await saveTransition(deps, run, { type: "activationPaused" });
  if (!next) return { outcome: "skipped", reason: "run moved concurrently" };
  // One alert per incident (the sink dedupes), no audit entry per retry: a long pause would flood the trail.
  await raise(deps, dispatcherPausedRule(run, deadlineSeconds, atMs));
  await scheduleStep(deps, next, StepName.ACTIVATE, String(next.version), atMs);
  return { outcome: "rescheduled", atMs, run: next };
}

/**
 * A sibling network's run halted (or its dispatcher is paused) and the proposal is all-or-none: audit and
 * alert once, look again in `allOrNoneRetryMs` (a new attempt of the unchanged run: nothing was sent).
 * Past its own root's expiry the run is EXPIRED like any root not activated in time.
 */
async function holdForAllOrNone(proposal: Proposal, run: Run, blocked: AllOrNoneBlock, deps: SchedulerDeps): Promise<StepOutcome> {
  const [state, latest] = await Promise.all([deps.gateway.readState(run.network), deps.gateway.latestBlock(run.network)]);
  if (state.pendingEta > 0 && latest.timestamp > state.pendingEta + state.expiryWindowSeconds) return expire(proposal, run, deps);
  await reportAllOrNoneHold(run, blocked, deps);
  return reschedule(run, deps.clock.now() + (deps.options?.allOrNoneRetryMs ?? SCHEDULER_DEFAULTS.allOrNoneRetryMs), deps);
}

/**
 * The root expired: the run is EXPIRED, and the expired root — still pending on chain, where it would
 * refuse every later commit — is cancelled in chunks naming it, like any root a run leaves behind
 * ({@link releaseOwnRoot}: audited `run.root-cancelled`; a refusal or an error is audited and the run stays
 * EXPIRED either way; `payrox cancel` of the proposal retries it, see `cancelProposal`). The `root-expired`
 * alert names the root and says whether it was cancelled.
 */
async function expire(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<StepOutcome> {
  // The network stays held until the expired root's cancel below is over.
  const expired = await saveTransition(deps, run, { type: "expired" }, { keepNetwork: true });
  if (!expired) return { outcome: "skipped", reason: "run moved concurrently" };
  try {
    return await endExpired(proposal, run, expired, deps);
  } finally {
    await releaseAfterCleanup(deps, expired);
  }
}

/** Audits and alerts an expired run, then cancels its root on chain (best effort). */
async function endExpired(proposal: Proposal, run: Run, expired: Run, deps: SchedulerDeps): Promise<StepOutcome> {
  await record(deps, { proposalId: run.proposalId, network: run.network, event: "run.expired" });
  await resolve(deps, { type: AlertType.DISPATCHER_PAUSED, severity: "info", dedupeKey: runIncidentKey(AlertType.DISPATCHER_PAUSED, run.proposalId, run.network), proposalId: run.proposalId, network: run.network, message: `the root on ${run.network} expired; no more activation attempts` });
  const note = expired.committedEpoch === undefined ? await cancelUnrecordedEpoch(proposal, expired, deps) : await releaseOwnRoot(expired, deps);
  await raise(deps, {
    type: AlertType.ROOT_EXPIRED,
    severity: "warning",
    dedupeKey: runIncidentKey(AlertType.ROOT_EXPIRED, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: `the committed root ${proposal.root} on ${run.network} expired before activation; propose again${note ? `; ${note}` : ""}`,
    evidence: { values: { root: proposal.root, ...(run.committedEpoch !== undefined && { epoch: run.committedEpoch }) } },
  });
  // A hold under all-or-none ends when no run of the proposal is left to hold.
  if (proposal.approval?.allOrNone && (await deps.store.listRuns(proposal.id)).every(isTerminalRun)) await resolve(deps, allOrNoneHeldResolution(proposal.id, "every run has ended (the held roots expired)"));
  return { outcome: "done", run: expired };
}

/**
 * A run committed before its epoch was recorded: its root is cancelled as `cancelRunOnChain` finds it
 * (only when its own journaled commit confirmed); best effort, a failure is audited.
 */
async function cancelUnrecordedEpoch(proposal: Proposal, run: Run, deps: SchedulerDeps): Promise<undefined> {
  try {
    await cancelRunOnChain(proposal, run, deps);
  } catch (error) {
    await record(deps, { proposalId: run.proposalId, network: run.network, event: "cancel.failed", details: { reason: error instanceof Error ? error.message : String(error) } });
  }
  return undefined;
}
