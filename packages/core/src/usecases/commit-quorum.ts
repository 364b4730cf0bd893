/**
 * The chain watcher's governance check: every `RootCommitted` on a watched dispatcher — PayRox's own or
 * anyone's — must have a verified approval quorum behind it when the deployment (or the proposal) is under
 * an approval policy. The commit step already refuses to sign without one; this is the check of what
 * actually landed, so a commit signed around PayRox (a stolen key, a bypassed gate, a forged table row)
 * is seen.
 *
 * The committing proposal is the one whose commit step journaled the transaction, else a recent proposal
 * (the watchdog's page of them) committing that root on that network. The commit is covered when that
 * proposal is APPROVED, names the network with the committed leaf count, and its stored approvals
 * re-verify now against the policy (`verifyQuorum`). A re-verification reads ERC-1271 answers at the
 * current block: a Safe whose owners changed since it approved no longer counts, and the alert says so.
 */
import { commitWithoutQuorumRule } from "../alerts/governance-rules.js";
import type { DispatcherEvent, JournaledTxLookup } from "../alerts/ports.js";
import type { AlertDraft } from "../alerts/types.js";
import { QuorumNotVerifiedError } from "../governance/errors.js";
import { approvalRulesOf, ApprovalStatus } from "../governance/ports.js";
import type { Proposal } from "../run/types.js";
import type { SchedulerDeps } from "./deps.js";

/** The event the check reads (IManifestDispatcher: `RootCommitted(bytes32 indexed root, uint64 epoch, uint64 eta, uint32 leafCount)`). */
export const ROOT_COMMITTED = "RootCommitted";

/** Proposals looked through for a commit the journal does not name (the watchdog's page). */
const RECENT_PROPOSALS = 100;

/** Checks the commits of one sweep; caches proposals and verdicts for the sweep's length. */
export class CommitQuorumCheck {
  #recent: Promise<Proposal[]> | undefined;
  readonly #verdicts = new Map<string, Promise<string | undefined>>();
  readonly #proposals = new Map<string, Promise<Proposal | undefined>>();
  /** The network-independent part of a verdict (the stored approvals re-verified), per proposal. */
  readonly #quorums = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly journal: JournaledTxLookup | undefined,
  ) {}

  /** The `commit-without-quorum` alert of `event`, or undefined when it is not a commit or a verified quorum covers it. */
  async check(event: DispatcherEvent): Promise<AlertDraft | undefined> {
    if (event.name !== ROOT_COMMITTED) return undefined;
    const rules = this.deps.governance && approvalRulesOf(this.deps.governance.policy);
    const candidates = await this.#candidates(event);
    const governed = candidates.filter((p) => p.approval);
    // Without a policy a commit is governance's concern only when its proposal was made under one.
    if (!rules && governed.length === 0) return undefined;
    if (candidates.length === 0) return commitWithoutQuorumRule(event, "no proposal under the approval policy approved this root for this network (an out-of-band commit also raises out-of-band-commit)");
    let why = "";
    for (const proposal of candidates) {
      const reason = await this.#verdict(proposal, event);
      if (reason === undefined) return undefined;
      why ||= reason;
    }
    return commitWithoutQuorumRule(event, why, candidates[0]!.id);
  }

  /** The journaled commit's proposal, else the recent proposals committing the root on the network. */
  async #candidates(event: DispatcherEvent): Promise<Proposal[]> {
    const root = (event.args.root ?? "").toLowerCase();
    const suffix = `:${event.network}:commit`;
    const stepId = (await this.journal?.findByTxHash(event.network, event.txHash))?.stepId;
    if (stepId?.endsWith(suffix)) {
      const id = stepId.slice(0, -suffix.length);
      let read = this.#proposals.get(id);
      if (!read) this.#proposals.set(id, (read = this.deps.store.getProposal(id)));
      const own = await read;
      if (own) return [own];
    }
    this.#recent ??= this.deps.store.listProposals({ limit: RECENT_PROPOSALS }).then((page) => page.proposals);
    return (await this.#recent).filter((p) => p.root.toLowerCase() === root && p.networks.includes(event.network));
  }

  /** Why `proposal` does not cover the commit, or undefined when its quorum verifies. */
  #verdict(proposal: Proposal, event: DispatcherEvent): Promise<string | undefined> {
    const key = `${proposal.id}|${event.network}|${event.args.leafCount}`;
    let verdict = this.#verdicts.get(key);
    if (!verdict) {
      verdict = this.#judge(proposal, event);
      this.#verdicts.set(key, verdict);
    }
    return verdict;
  }

  async #judge(proposal: Proposal, event: DispatcherEvent): Promise<string | undefined> {
    const approval = proposal.approval;
    const governance = this.deps.governance;
    const rules = governance && approvalRulesOf(governance.policy);
    if (!approval) return rules ? `proposal ${proposal.id} was made without an approval record while the deployment requires approvals` : undefined;
    if (approval.status !== ApprovalStatus.APPROVED) return `proposal ${proposal.id} is ${approval.status}, not APPROVED`;
    const target = approval.targets.find((t) => t.network === event.network);
    const chainId = this.deps.networks(event.network)?.chainId;
    if (!target || (chainId !== undefined && chainId !== target.chainId)) return `the approvals of proposal ${proposal.id} do not name ${event.network}`;
    if (event.args.leafCount !== undefined && Number(event.args.leafCount) !== approval.leafCount) return `the commit's leaf count ${event.args.leafCount} is not the approved ${approval.leafCount}`;
    if (!governance || !rules) return `proposal ${proposal.id} was approved under a policy this deployment no longer has: its approvals can't be checked`;
    // Hashing and signature recovery (ethers) load on the first commit that needs them, not with the watchdog.
    const { policyHash, verifyQuorum } = await import("./approval-crypto.js");
    if (policyHash(governance.policy) !== approval.policyHash) return `the policy changed since proposal ${proposal.id} was approved: its approvals can't be checked against the signed policy`;
    let quorum = this.#quorums.get(proposal.id);
    if (!quorum) {
      quorum = (async () => {
        try {
          await verifyQuorum({ ...proposal, approval }, proposal.proposer, await governance.approvals.listApprovals(proposal.id), rules, governance.erc1271);
          return undefined;
        } catch (error) {
          if (error instanceof QuorumNotVerifiedError) return error.message;
          throw error;
        }
      })();
      this.#quorums.set(proposal.id, quorum);
    }
    return quorum;
  }
}
