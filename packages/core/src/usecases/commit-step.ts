/**
 * The commit step's body: check the network against the manifest's expected previous state, commit the
 * root (with its leaf count, binding and header proof) as the dispatcher's `nextEpoch()` — every commit
 * takes a new epoch, so after a cancel it is not `baseEpoch + 1` — record the on-chain ETA and the epoch
 * taken, schedule apply batch 0.
 */
import { AlertType, runIncidentKey } from "../alerts/types.js";
import { DriftError } from "../errors.js";
import { manifestInitializer, ZeroHash } from "../manifest/format.js";
import { buildManifestTree, commitArgs } from "../manifest/merkle.js";
import { assertNotDrifted } from "../manifest/diff.js";
import { parseManifest } from "../manifest/validate.js";
import type { SendResult } from "../run/gateway.js";
import { StepName } from "../run/types.js";
import { checkGas } from "./gas-check.js";
import { resolveStuckTx } from "./stuck-tx.js";
import { failRun, record, saveTransition, scheduleStep, txStepId, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { failOnRevert } from "./reverts.js";
import type { StepContext } from "./run-step.js";

/** Commit body; see {@link commitStep}. */
export async function commitBody({ proposal, run }: StepContext, deps: SchedulerDeps): Promise<StepOutcome> {
  const manifest = parseManifest(proposal.manifestJson);
  const live = await deps.gateway.readState(run.network);
  let sent: SendResult | undefined;
  const stepId = txStepId(run, StepName.COMMIT);
  const args = commitArgs(buildManifestTree(manifest.entries, manifestInitializer(manifest)));
  const ours = live.pendingRoot.toLowerCase() === manifest.root && !live.cancelling;
  // A recovered commit names the epoch it took (the pending one), so its calldata matches the journal's.
  const call = { kind: "commit", ...args, epoch: ours ? live.pendingEpoch : live.nextEpoch } as const;
  if (!ours) {
    try {
      assertNotDrifted(manifest, live);
    } catch (error) {
      if (!(error instanceof DriftError)) throw error;
      return failRun(deps, run, "drift", error.message, {
        type: AlertType.DRIFT,
        severity: "critical",
        dedupeKey: runIncidentKey(AlertType.DRIFT, run.proposalId, run.network),
        proposalId: run.proposalId,
        network: run.network,
        message: error.message,
        evidence: { values: { activeEpoch: String(live.activeEpoch), activeRoot: live.activeRoot } },
      });
    }
    if (live.pendingRoot !== ZeroHash) {
      const message = `another root ${live.pendingRoot} is pending on ${run.network}; cancel it on chain or wait for it before committing ${manifest.root}`;
      return failRun(deps, run, "pending-root", message);
    }
    sent = await deps.gateway.send(run.network, stepId, call);
    if (!sent.ok) return failOnRevert(deps, run, "commit", sent.revert);
  } else {
    // Ours already pending: an earlier attempt committed it and crashed before recording. The send is
    // idempotent by step id: it follows the journaled transaction (its hash, gas, confirmations) and
    // sends nothing new. Refused (nothing journaled: not committed by us) → recorded without a hash.
    const observed = await deps.gateway.send(run.network, stepId, call);
    if (observed.ok) sent = observed;
  }
  const after = sent ? await deps.gateway.readState(run.network) : live;
  const etaMs = after.pendingEta * 1000;
  const epoch = Number(call.epoch);
  const activateAtMs = Math.max(etaMs, proposal.cutoverAtMs ?? 0);
  // Audited before the run moves, under the transaction's step id: a crash between the two writes is
  // retried from the journal and finds the entry instead of losing or doubling it.
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "commit.confirmed",
    key: stepId,
    ...(sent?.ok && { txHash: sent.tx.hash, gasUsed: sent.tx.gasUsed.toString() }),
    details: { root: manifest.root, epoch, baseEpoch: manifest.baseEpoch, etaMs, activateAtMs, ...(sent?.ok ? { blockNumber: sent.tx.blockNumber } : { recovered: true }) },
  });
  const committed = await saveTransition(deps, run, { type: "committed", etaMs, activateAtMs, epoch });
  if (!committed) return { outcome: "skipped", reason: "run moved concurrently" };
  await scheduleStep(deps, committed, StepName.APPLY, "0", deps.clock.now());
  if (sent?.ok) {
    await resolveStuckTx(deps, run, sent.tx);
    await checkGas(deps, run, "commit", sent.tx);
  }
  return { outcome: "done", run: committed, ...(sent?.ok && { tx: sent.tx }) };
}
