import { describe, expect, it } from "vitest";
import { ApprovalAction, approveProposal, findNetwork, proposeUpgrade, watchdogSweep, type DispatcherEvent, type JournaledTxLookup, type SchedulerDeps } from "../../../src/index.js";
import { approverKey, eoaPolicy, governanceDeps, signAction } from "../../support/governance.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const PAYROX = "0x00000000000000000000000000000000000000aa";
const OUTSIDER = "0x00000000000000000000000000000000000000bb";
const chainIdOf = (network: string) => findNetwork(network)!.chainId;

/**
 * A base network watched from block 50, PayRox's journal lookup over `journaled` (tx hash → step id), and
 * a proposal by alice under a 2-of-3 policy (`governed: false`: no policy at all).
 */
async function watched(options: { governed?: boolean } = {}) {
  const h = inMemoryPorts();
  h.events.addNetwork("base", 50, [PAYROX]);
  const journaled = new Map<string, string>();
  const journaledTxs: JournaledTxLookup = { findByTxHash: async (network, hash) => (network === "base" && journaled.has(hash) ? { stepId: journaled.get(hash)! } : undefined) };
  const governance = options.governed === false ? undefined : governanceDeps(h.store, eoaPolicy(3, 2), chainIdOf);
  const deps: SchedulerDeps = h.deps({ ...(governance && { governance }), monitoring: { events: h.events, cursors: h.cursors, journaledTxs, watch: { maxBlockRange: 100, initialLookbackBlocks: 20 } } });
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
  const approve = async (...approvers: number[]) => {
    for (const i of approvers) await approveProposal({ proposalId: proposal.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature: await signAction(approverKey(i), proposal, ApprovalAction.APPROVE, 0) } }, deps);
  };
  /** A RootCommitted of `root` in a new block, sent by `from` in `txHash`; journaled as the proposal's commit when `own`. */
  const commit = (txHash: string, options: { from?: string; root?: string; leafCount?: number; own?: boolean } = {}) => {
    if (options.own) journaled.set(txHash, `${proposal.id}:base:commit`);
    h.events.mine("base", [{ name: "RootCommitted", from: options.from ?? PAYROX, txHash, args: { root: options.root ?? proposal.root, epoch: "1", eta: "0", leafCount: String(options.leafCount ?? 6) } }]);
  };
  const sweep = async () => (await watchdogSweep({ ...deps, actor: "watchdog" })).chain!;
  const withoutQuorum = () => h.alerts.alerts.filter((a) => a.type === "commit-without-quorum");
  return { h, deps, proposal, governance, approve, commit, sweep, withoutQuorum };
}

describe("watchdogSweep › commit-without-quorum", () => {
  it("raises nothing for PayRox's own commit of an approved proposal whose approvals verify", async () => {
    const { approve, commit, sweep, withoutQuorum, h } = await watched();
    await approve(1, 2);
    commit("0xown", { own: true });
    const [report] = await sweep();
    expect(report).toMatchObject({ ok: true, events: 1, outOfBand: 0, withoutQuorum: 0 });
    expect(withoutQuorum()).toEqual([]);
    expect(h.alerts.alerts).toEqual([]);
  });

  it("alerts PayRox's own commit of a proposal still awaiting approval (the gate bypassed), naming the proposal, once across re-reads", async () => {
    // Prepare
    const { h, proposal, approve, commit, sweep, withoutQuorum } = await watched();
    await approve(1);
    commit("0xbypass", { own: true });
    // Act: two sweeps, the second re-reading the range (cursor lost).
    await sweep();
    h.cursors.cursors.clear();
    await sweep();
    // Assess
    expect(withoutQuorum()).toMatchObject([
      { status: "raised", severity: "critical", network: "base", proposalId: proposal.id, evidence: { txHash: "0xbypass", values: { root: proposal.root.toLowerCase(), from: PAYROX, reason: expect.stringMatching(/is AWAITING_APPROVAL, not APPROVED/) } } },
    ]);
    expect(withoutQuorum()[0]!.runbook).toMatch(/#commit-without-quorum$/);
  });

  it("alerts a commit of a proposal whose APPROVED status is not backed by verifying approvals (a forged row)", async () => {
    const { h, proposal, approve, commit, sweep, withoutQuorum } = await watched();
    await approve(1);
    h.store.proposals.get(proposal.id)!.approval!.status = "APPROVED";
    commit("0xforged", { own: true });
    await sweep();
    expect(withoutQuorum()).toMatchObject([{ proposalId: proposal.id, evidence: { values: { reason: expect.stringMatching(/1 verified approval\(s\) of 2 required/) } } }]);
  });

  it("alerts an outsider's commit of a root no proposal under the policy approved, besides out-of-band-commit", async () => {
    const { h, commit, sweep, withoutQuorum } = await watched();
    commit("0xrogue", { from: OUTSIDER, root: `0x${"ab".repeat(32)}` });
    const [report] = await sweep();
    expect(report).toMatchObject({ withoutQuorum: 1, outOfBand: 1 });
    expect(withoutQuorum()).toMatchObject([{ evidence: { values: { from: OUTSIDER, reason: expect.stringMatching(/no proposal under the approval policy approved this root/) } } }]);
    expect(withoutQuorum()[0]!.proposalId).toBeUndefined();
    expect(h.alerts.alerts.map((a) => a.type).sort()).toEqual(["commit-without-quorum", "out-of-band-commit"]);
  });

  it("raises only out-of-band-commit for an outsider's commit of an approved root (the quorum is there, the sender is not PayRox)", async () => {
    const { h, approve, commit, sweep, withoutQuorum } = await watched();
    await approve(1, 2);
    commit("0xearly", { from: OUTSIDER });
    await sweep();
    expect(withoutQuorum()).toEqual([]);
    expect(h.alerts.alerts.map((a) => a.type)).toEqual(["out-of-band-commit"]);
  });

  it("alerts a commit of an approved root with another leaf count than the approvals signed", async () => {
    const { approve, commit, sweep, withoutQuorum } = await watched();
    await approve(1, 2);
    commit("0xcount", { own: true, leafCount: 7 });
    await sweep();
    expect(withoutQuorum()).toMatchObject([{ evidence: { values: { reason: "the commit's leaf count 7 is not the approved 6" } } }]);
  });

  it("does not look at commits when the deployment has no approval policy and the proposal none", async () => {
    const { h, commit, sweep, withoutQuorum } = await watched({ governed: false });
    commit("0xown", { own: true });
    commit("0xrogue", { from: OUTSIDER, root: `0x${"ab".repeat(32)}` });
    await sweep();
    expect(withoutQuorum()).toEqual([]);
    expect(h.alerts.alerts.map((a) => a.type)).toEqual(["out-of-band-commit"]);
  });

  it("checks the commit a real run made end to end: none for an approved run's commit", async () => {
    // Prepare: the run commits, applies and activates on the scripted chain; its commit is then read on chain.
    const { h, deps, proposal, approve, sweep, withoutQuorum } = await watched();
    await approve(1, 2);
    await fireDueJobs(h, deps);
    const sent = await h.gateway.resume("base", `${proposal.id}:base:commit`);
    expect(sent?.ok).toBe(true);
    const hash = sent!.ok ? sent!.tx.hash : "";
    h.events.mine("base", [{ name: "RootCommitted", from: PAYROX, txHash: hash, args: { root: proposal.root, epoch: "1", eta: "0", leafCount: "6" } } satisfies Omit<DispatcherEvent, "blockNumber" | "blockHash" | "network" | "logIndex">]);
    // Act: the journal lookup does not know the hash: the proposal is found by its root.
    const [report] = await sweep();
    // Assess
    expect(report).toMatchObject({ events: 1, withoutQuorum: 0 });
    expect(withoutQuorum()).toEqual([]);
  });
});

describe("watchdogSweep › commit-without-quorum across networks", () => {
  it("reads a proposal committed on several networks, and verifies its quorum, once per sweep", async () => {
    // Prepare: one approved proposal on three networks, each network's commit journaled as its own.
    const networks = ["base", "optimism", "arbitrum-one"];
    const h = inMemoryPorts();
    for (const network of networks) h.events.addNetwork(network, 50, [PAYROX]);
    const journaled = new Map<string, string>();
    const journaledTxs: JournaledTxLookup = { findByTxHash: async (_network, hash) => (journaled.has(hash) ? { stepId: journaled.get(hash)! } : undefined) };
    const governance = governanceDeps(h.store, eoaPolicy(3, 2), chainIdOf);
    const deps: SchedulerDeps = h.deps({ governance, monitoring: { events: h.events, cursors: h.cursors, journaledTxs, watch: { maxBlockRange: 100, initialLookbackBlocks: 20 } } });
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks, proposer: "alice" }, deps);
    for (const i of [1, 2]) await approveProposal({ proposalId: proposal.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature: await signAction(approverKey(i), proposal, ApprovalAction.APPROVE, 0) } }, deps);
    for (const network of networks) {
      journaled.set(`0x${network}`, `${proposal.id}:${network}:commit`);
      h.events.mine(network, [{ name: "RootCommitted", from: PAYROX, txHash: `0x${network}`, args: { root: proposal.root, epoch: "1", eta: "0", leafCount: "6" } }]);
    }
    let proposalReads = 0;
    let approvalLists = 0;
    const store = Object.assign(Object.create(Object.getPrototypeOf(deps.store)), deps.store, { getProposal: (id: string) => (proposalReads++, deps.store.getProposal(id)) });
    const approvals = Object.assign(Object.create(Object.getPrototypeOf(governance.approvals)), governance.approvals, { listApprovals: (id: string) => (approvalLists++, governance.approvals.listApprovals(id)) });

    // Act
    const reports = (await watchdogSweep({ ...deps, store, governance: { ...governance, approvals }, actor: "watchdog" })).chain!;

    // Assess
    expect(reports.map((r) => (r.ok ? [r.network, r.events, r.withoutQuorum] : [r.network, r.error]))).toEqual(networks.map((n) => [n, 1, 0]));
    expect({ proposalReads, approvalLists }).toEqual({ proposalReads: 1, approvalLists: 1 });
  });
});
