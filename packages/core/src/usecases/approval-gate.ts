/**
 * Where governance meets the run lifecycle: the approval record a proposal under a policy starts with
 * (AWAITING_APPROVAL, nothing scheduled), and the commit step's gate — the stored approvals re-verified
 * against the policy right before the commit is signed. Without a policy, or with `approvals: "none"`,
 * both are no-ops and proposals behave as before. The hashing and signature recovery are loaded
 * (approval-crypto.ts) only once a gate applies.
 */
import type { ProposalApproval } from "../governance/approval.js";
import { approvalRulesOf, ApprovalStatus } from "../governance/ports.js";
import { ApprovedTargetChangedError, GovernanceConfigError, QuorumNotVerifiedError } from "../governance/errors.js";
import type { ApprovalTarget } from "../governance/typed-data.js";
import { AlertType, runIncidentKey } from "../alerts/types.js";
import type { ManifestTree } from "../manifest/merkle.js";
import type { DispatcherState } from "../run/gateway.js";
import type { Proposal, Run } from "../run/types.js";
import { failRun, record, type AfterFailure, type SchedulerDeps, type StepOutcome } from "./deps.js";
import { releaseOwnRoot } from "./release-root.js";
import { ProposalRejectedError, ProposalRejection } from "./errors.js";

/**
 * The approval record of a new proposal, or undefined when no approvals are required.
 * @throws {ProposalRejectedError} `proposer-not-mapped` when self-approval is forbidden and the proposer has no approver address
 */
export async function openApproval(input: { manifestJson: string; tree: Pick<ManifestTree, "root" | "leafCount">; networks: readonly string[]; proposer: string; nowMs: number }, deps: SchedulerDeps): Promise<ProposalApproval | undefined> {
  const governance = deps.governance;
  const rules = governance && approvalRulesOf(governance.policy);
  if (!governance || !rules) return undefined;
  if (rules.forbidSelfApproval && !(input.proposer in rules.proposerMap)) {
    throw new ProposalRejectedError(
      ProposalRejection.PROPOSER_NOT_MAPPED,
      "proposer",
      `${input.proposer} has no approver address in the policy's proposerMap, so "a proposer may not approve its own proposal" can't be enforced; add the proposer to proposerMap (or set forbidSelfApproval: false)`,
    );
  }
  if (!governance.targets) throw new GovernanceConfigError("the approval policy requires approvals but no dispatcher reader (governance.targets) is configured: the approval can't bind each network's dispatcher");
  const targets = await Promise.all(input.networks.map((network) => governance.targets!.target(network)));
  const { manifestFileHash, policyHash } = await import("./approval-crypto.js");
  return {
    status: ApprovalStatus.AWAITING_APPROVAL,
    deploymentId: governance.deploymentId,
    policyHash: policyHash(governance.policy),
    threshold: rules.threshold,
    manifestHash: manifestFileHash(input.manifestJson),
    root: input.tree.root,
    leafCount: input.tree.leafCount,
    targets,
    deadlineMs: input.nowMs + rules.windowSeconds * 1000,
    allOrNone: rules.allOrNone,
  };
}

/** A skip outcome while a proposal under a policy is not approved (a stray or re-driven commit trigger); undefined otherwise. */
export function approvalPending(proposal: Proposal): StepOutcome | undefined {
  const status = proposal.approval?.status;
  if (status === ApprovalStatus.AWAITING_APPROVAL) return { outcome: "skipped", reason: "proposal awaiting approval" };
  if (status === ApprovalStatus.REJECTED) return { outcome: "skipped", reason: "proposal rejected" };
  return undefined;
}

/**
 * The commit step's gate, run right before the commit is signed. A proposal made without a policy
 * commits as before — unless the deployment now requires approvals, when it fails closed. A proposal
 * under a policy commits only when its status is APPROVED **and** its stored approvals re-verify against
 * the current policy and the manifest about to be committed: a status or a row written straight into the
 * table is not an approval.
 * @returns undefined to go on; otherwise the step's outcome (skipped, or the run failed with an alert)
 */
export async function commitApprovalGate(proposal: Proposal, run: Run, tree: Pick<ManifestTree, "root" | "leafCount">, live: Pick<DispatcherState, "expiryWindowSeconds" | "activationDelaySeconds">, deps: SchedulerDeps): Promise<StepOutcome | undefined> {
  const governance = deps.governance;
  const rules = governance && approvalRulesOf(governance.policy);
  const approval = proposal.approval;
  if (!approval) {
    if (!rules) return undefined;
    return refuse(deps, run, "the deployment requires approvals but this proposal was made without an approval record; propose it again");
  }
  const pending = approvalPending(proposal);
  if (pending) return pending;
  if (!governance || !rules) return refuse(deps, run, "the proposal was made under an approval policy but this deployment has none configured now; its approvals can't be checked");
  const { manifestFileHash, policyHash, verifyQuorum } = await import("./approval-crypto.js");
  if (policyHash(governance.policy) !== approval.policyHash) return refuse(deps, run, `the approval policy changed since the proposal was approved (signed policy ${approval.policyHash}); propose it again under the current policy`);
  const bound = { manifestHash: manifestFileHash(proposal.manifestJson), root: tree.root, leafCount: tree.leafCount };
  for (const [field, value] of Object.entries(bound)) {
    if (String(approval[field as keyof typeof bound]).toLowerCase() !== String(value).toLowerCase()) {
      return refuse(deps, run, `the stored proposal's ${field} (${value}) is not the one its approvals signed (${approval[field as keyof typeof bound]})`);
    }
  }
  const network = deps.networks(run.network);
  const target = approval.targets.find((t) => t.network === run.network);
  if (!target || (network && network.chainId !== target.chainId)) return refuse(deps, run, `no approved target matches ${run.network}${network ? ` (chain ${network.chainId})` : ""}`);
  const changed = changedTiming(proposal.id, run.network, target, live);
  if (changed) {
    return refuse(deps, run, changed.message, { field: changed.field, signed: changed.signed, live: changed.live }, "approval-target-changed");
  }
  try {
    const stored = await governance.approvals.listApprovals(proposal.id);
    const quorum = await verifyQuorum({ ...proposal, approval }, proposal.proposer, stored, rules, governance.erc1271);
    await record(deps, {
      proposalId: run.proposalId,
      network: run.network,
      event: "approval.verified",
      key: `approval.verified:${run.network}`,
      details: { approvers: quorum.approvals.map((a) => a.approver.address), digests: quorum.approvals.map((a) => a.hashes.digest), threshold: rules.threshold },
    });
    return undefined;
  } catch (error) {
    if (!(error instanceof QuorumNotVerifiedError)) throw error;
    return refuse(deps, run, error.message, { valid: error.valid, threshold: error.threshold, refused: JSON.stringify(error.refused) });
  }
}

/**
 * After the commit confirmed: the ETA the dispatcher set must be the commit block's time plus the signed
 * activation delay. The gate read the delay a block or more earlier; a change that took effect in between
 * (a scheduled decrease settling, an increase) would move the ETA the approvers saw. Then the run fails
 * `approval-target-changed` and cancels its own root, as any run failing after its commit does.
 * @returns undefined when the ETA is the signed one, or no approval binds the network; otherwise the step's outcome
 */
export async function committedDelayGate(proposal: Proposal, committed: Run, pendingEtaSeconds: number, blockTimestamp: number, deps: SchedulerDeps): Promise<StepOutcome | undefined> {
  const target = proposal.approval?.targets.find((t) => t.network === committed.network);
  const delay = pendingEtaSeconds - blockTimestamp;
  if (!target || delay === target.activationDelaySeconds) return undefined;
  const changed = new ApprovedTargetChangedError(proposal.id, committed.network, "activationDelay", target.activationDelaySeconds, delay);
  return refuse(deps, committed, `${changed.message} (the delay changed between the check and the commit's block)`, { field: changed.field, signed: changed.signed, live: changed.live }, "approval-target-changed", (failed) => releaseOwnRoot(failed, deps));
}

/**
 * The signed timing the live dispatcher no longer has, if any: a changed activation delay moves the ETA (and
 * so the cut-over) the approvers saw; a changed expiry window moves the last moment it may go live.
 */
function changedTiming(proposalId: string, network: string, target: ApprovalTarget, live: Pick<DispatcherState, "expiryWindowSeconds" | "activationDelaySeconds">): ApprovedTargetChangedError | undefined {
  if (live.activationDelaySeconds !== target.activationDelaySeconds) return new ApprovedTargetChangedError(proposalId, network, "activationDelay", target.activationDelaySeconds, live.activationDelaySeconds);
  if (live.expiryWindowSeconds !== target.expiryWindowSeconds) return new ApprovedTargetChangedError(proposalId, network, "expiryWindow", target.expiryWindowSeconds, live.expiryWindowSeconds);
  return undefined;
}

async function refuse(deps: SchedulerDeps, run: Run, message: string, values: Record<string, string | number> = {}, code = "approval-unverified", after?: AfterFailure): Promise<StepOutcome> {
  const text = `commit refused: ${message}`;
  return failRun(deps, run, code, text, {
    type: AlertType.UNAUTHORIZED,
    severity: "critical",
    dedupeKey: runIncidentKey(AlertType.UNAUTHORIZED, run.proposalId, run.network),
    proposalId: run.proposalId,
    network: run.network,
    message: text,
    evidence: { values },
  }, after);
}
