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
import { StepName } from "../run/types.js";
import { checkGas } from "./gas-check.js";
import { resolveStuckTx } from "./stuck-tx.js";
import { failRun, record, saveTransition, scheduleStep, txStepId, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { failOnRevert } from "./reverts.js";
import type { StepContext } from "./run-step.js";
import { approvalPending, commitApprovalGate, committedDelayGate } from "./approval-gate.js";

/** Commit body; see {@link commitStep}. */
export async function commitBody({ proposal, run }: StepContext, deps: SchedulerDeps): Promise<StepOutcome> {
  const pending = approvalPending(proposal);
  if (pending) return pending;
  const manifest = parseManifest(proposal.manifestJson);
  const stepId = txStepId(run, StepName.COMMIT);
  // Our commit is the one in our journal, never a pending root that merely equals ours: the same root
  // can be pending under another proposal, or committed out of band.
  let sent = await deps.gateway.resume(run.network, stepId);
  /** The epoch our commit named, when this call signed it (a resumed commit's is in its journaled calldata). */
  let ourEpoch: bigint | undefined;
  if (sent) {
    if (!sent.ok) return failOnRevert(deps, run, "commit", sent.revert);
  } else {
    const live = await deps.gateway.readState(run.network);
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
      const same = live.pendingRoot.toLowerCase() === manifest.root;
      const message = same
        ? `the manifest's root ${manifest.root} is already pending on ${run.network}, but not by this proposal's commit (another proposal or an out-of-band commit made it); cancel it on chain or wait for it`
        : `another root ${live.pendingRoot} is pending on ${run.network}; cancel it on chain or wait for it before committing ${manifest.root}`;
      return failRun(deps, run, "pending-root", message);
    }
    const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
    // Right before signing: under a policy, the stored approvals must re-verify (a status or a row
    // written straight into the table is not an approval).
    const refused = await commitApprovalGate(proposal, run, tree, live, deps);
    if (refused) return refused;
    const args = commitArgs(tree);
    ourEpoch = live.nextEpoch;
    sent = await deps.gateway.send(run.network, stepId, { kind: "commit", ...args, epoch: ourEpoch });
    if (!sent.ok) return failOnRevert(deps, run, "commit", sent.revert);
  }
  const after = await deps.gateway.readState(run.network);
  // The same root pending at another epoch than ours is someone else's commitment (ours was cancelled since).
  if (after.pendingRoot.toLowerCase() !== manifest.root || (ourEpoch !== undefined && after.pendingEpoch !== ourEpoch)) {
    // Our commit landed, and the root is no longer pending: cancelled (or activated) by someone else since.
    return failRun(deps, run, "root-gone", `the commit of ${manifest.root} on ${run.network} confirmed (tx ${sent.tx.hash}) but that commitment is no longer pending there (cancelled out of band?${after.pendingRoot.toLowerCase() === manifest.root ? `; the same root is pending at epoch ${after.pendingEpoch}, not ours (${ourEpoch}) — someone else's commit` : ""}); propose again`);
  }
  const epoch = after.pendingEpoch;
  const etaMs = after.pendingEta * 1000;
  const activateAtMs = Math.max(etaMs, proposal.cutoverAtMs ?? 0);
  // Audited before the run moves, under the transaction's step id: a crash between the two writes is
  // retried from the journal and finds the entry instead of losing or doubling it.
  await record(deps, {
    proposalId: run.proposalId,
    network: run.network,
    event: "commit.confirmed",
    key: stepId,
    txHash: sent.tx.hash,
    gasUsed: sent.tx.gasUsed.toString(),
    details: { root: manifest.root, epoch: Number(epoch), baseEpoch: manifest.baseEpoch, etaMs, activateAtMs, blockNumber: sent.tx.blockNumber },
  });
  const committed = await saveTransition(deps, run, { type: "committed", etaMs, activateAtMs, epoch: Number(epoch) });
  if (!committed) return { outcome: "skipped", reason: "run moved concurrently" };
  const moved = await committedDelayGate(proposal, committed, after.pendingEta, sent.tx.blockTimestamp, deps);
  if (moved) return moved;
  await scheduleStep(deps, committed, StepName.APPLY, "0", deps.clock.now());
  await resolveStuckTx(deps, run, sent.tx);
  await checkGas(deps, run, "commit", sent.tx);
  return { outcome: "done", run: committed, tx: sent.tx };
}
