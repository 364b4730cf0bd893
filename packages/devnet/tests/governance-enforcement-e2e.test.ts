/**
 * Governance enforcement end to end on the real local services: two anvil nodes with the real
 * ManifestDispatcher, PayRox's JournaledDispatcherGateway signing with the local KMS server, DynamoDB Local
 * (runs, audit, approvals, incidents, jobs, journal, cursors), the LocalScheduler driving `runStep`, and the
 * watchdog's chain watcher reading through the DispatcherEventReader.
 *
 * 1. A 2-of-3 all-or-none proposal on both networks: after the approvals, devnet-2's activation delay is
 *    raised, so its commit is refused (the live delay is not the signed one); devnet-1 commits and applies,
 *    and its activation holds until the operator cancels the proposal, which cancels its root on chain.
 * 2. The chain watcher: PayRox's approved commit of test 1 raises nothing; a root committed by an admin key
 *    outside PayRox that no proposal approved raises `commit-without-quorum` (and `out-of-band-commit`).
 * The approver keys and the mnemonic are public DEVELOPMENT material: local chains only.
 */
import { Contract, ZeroHash } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoApprovalStore, DynamoChainCursorStore } from "@payrox/aws";
import { DISPATCHER_LIFECYCLE_ABI, DispatcherApprovalTargets, DispatcherEventReader } from "@payrox/chain";
import {
  ApprovalAction, approveProposal, buildManifestTree, cancelProposal, commitArgs, findNetwork, manifestInitializer, proposeUpgrade, runStep, verifyAuditChain, watchdogSweep, type Manifest, type SchedulerDeps,
} from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { approverKey, eoaPolicy, signAction } from "../../core/tests/support/governance.js";
import { ACTIVATION_DELAY_SECONDS, counterManifest, deployCounterEverywhere, E2E_OPTIONS, schedulerDeps, startE2eWorld, type E2eWorld, type RecordingAlertSink } from "./support/e2e-harness.js";

const NET_1 = "devnet-1";
const NET_2 = "devnet-2";

let world: E2eWorld;
let deps: SchedulerDeps & { alerts: RecordingAlertSink };
/** Test 1's proposal, whose approved commit on devnet-1 the watcher must not flag. */
let approvedProposal: string | undefined;

beforeAll(async () => {
  world = await startE2eWorld([NET_1, NET_2]);
  const targets = new DispatcherApprovalTargets(
    Object.fromEntries(Object.values(world.networks).map((n) => [n.id, { provider: n.provider, dispatcher: n.dispatcher, chainId: findNetwork(n.id)!.chainId }])),
  );
  deps = {
    ...schedulerDeps(world, { options: { ...E2E_OPTIONS, allOrNoneRetryMs: 1_000 } }),
    governance: { deploymentId: "payrox-gov-e2e", policy: eoaPolicy(3, 2, { allOrNone: true }), approvals: new DynamoApprovalStore(world.table), targets },
  };
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

const admin = (network: string) => new Contract(world.networks[network]!.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, world.networks[network]!.wallet);
const send = async (contract: Contract, fn: string, ...args: unknown[]) => (await (await contract.getFunction(fn)(...args)).wait())!;
const pendingRoot = async (network: string) => String((await admin(network).getFunction("pendingManifest")()).root).toLowerCase();

/** Runs the LocalScheduler loop until `done()` holds (checked every 250 ms), then stops it. */
async function driveUntil(done: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const errors: string[] = [];
  world.scheduler.start({ dispatch: (job) => runStep(job, deps).then(() => undefined), pollMs: 200, onError: (error) => errors.push(String(error)) });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; scheduler errors: ${errors.join(" | ") || "none"}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await world.scheduler.stop();
  }
}

describe("governance enforcement end to end", () => {
  it("refuses a commit whose dispatcher's live activation delay changed since the approvals, and holds the other network's activation until the cancel (all or none)", async () => {
    // Prepare: approved by approvers 1 and 2 (alice, the proposer, maps to approver 0).
    const manifest: Manifest = await counterManifest(world, NET_1, "gov-e2e-1", await deployCounterEverywhere(world));
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_1, NET_2], proposer: "alice" }, deps);
    expect(proposal.approval).toMatchObject({ allOrNone: true, targets: [{ activationDelaySeconds: ACTIVATION_DELAY_SECONDS }, { activationDelaySeconds: ACTIVATION_DELAY_SECONDS }] });
    for (const i of [1, 2]) {
      await approveProposal({ proposalId: proposal.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature: await signAction(approverKey(i), proposal, ApprovalAction.APPROVE, 0) } }, deps);
    }
    approvedProposal = proposal.id;
    // The timelock on devnet-2 is raised after the approvals (an increase takes effect at once).
    await send(admin(NET_2), "setActivationDelay", ACTIVATION_DELAY_SECONDS + 30);
    const activeEpoch1 = await admin(NET_1).getFunction("activeEpoch")();
    const held = async () => (await world.audit.list(proposal.id)).some((e) => e.event === "activation.held-all-or-none" && e.network === NET_1);

    // Act
    await driveUntil(held);
    // A few more held attempts (one a second): they audit and alert nothing new.
    const until = Date.now() + 3_500;
    await driveUntil(async () => Date.now() > until);
    const runs = Object.fromEntries((await world.store.listRuns(proposal.id)).map((r) => [r.network, r]));

    // Assess: devnet-2 never committed; devnet-1 committed and applied, and holds.
    expect(runs[NET_2]).toMatchObject({ state: "FAILED", failure: { code: "approval-target-changed", message: expect.stringMatching(/activation delay of 45 s/) } });
    expect(await pendingRoot(NET_2)).toBe(ZeroHash);
    expect(runs[NET_1]!.state).toBe("APPLIED");
    expect(await pendingRoot(NET_1)).toBe(manifest.root);
    expect(await admin(NET_1).getFunction("activeEpoch")()).toBe(activeEpoch1);
    const entries = await world.audit.list(proposal.id);
    expect(entries.filter((e) => e.event === "activation.held-all-or-none")).toMatchObject([{ network: NET_1, details: { halted: [{ network: NET_2, state: "FAILED", reason: "approval-target-changed" }] } }]);
    expect(entries.filter((e) => e.event === "run.activated")).toEqual([]);
    expect(deps.alerts.alerts.map((a) => [a.type, a.network, a.status])).toEqual([
      ["unauthorized", NET_2, "raised"],
      ["all-or-none-held", NET_2, "raised"],
    ]);

    // Act: the operator's decision.
    const cancelled = await cancelProposal(proposal.id, "operator", deps);

    // Assess
    expect(cancelled.runs.find((r) => r.network === NET_1)).toMatchObject({ outcome: "cancelled" });
    expect((await world.store.getRun(proposal.id, NET_1))!.state).toBe("CANCELLED");
    expect(await pendingRoot(NET_1)).toBe(ZeroHash);
    expect(deps.alerts.alerts.filter((a) => a.type === "all-or-none-held").map((a) => a.status)).toEqual(["raised", "resolved"]);
    expect(verifyAuditChain(await world.audit.list(proposal.id)).ok).toBe(true);
  });

  it("the chain watcher raises commit-without-quorum for a root committed outside PayRox that no proposal approved, and nothing for PayRox's approved commit", async () => {
    // Prepare: an admin key outside PayRox takes the commit role and commits a root nobody approved.
    expect(approvedProposal).toBeDefined();
    const n = world.networks[NET_1]!;
    const adminFacet = admin(NET_1);
    await send(adminFacet, "grantRole", await adminFacet.getFunction("COMMIT_ROLE")(), n.wallet.address);
    const rogue = await counterManifest(world, NET_1, "gov-e2e-rogue", await deployCounterEverywhere(world));
    const args = commitArgs(buildManifestTree(rogue.entries, manifestInitializer(rogue)));
    const router = new Contract(n.dispatcher, DISPATCHER_LIFECYCLE_ABI as never, n.wallet);
    const receipt = await send(router, "commitRoot", args.root, await adminFacet.getFunction("nextEpoch")(), args.leafCount, args.binding, args.headerProof);
    const events = new DispatcherEventReader({ networks: { [NET_1]: { provider: n.provider, dispatcher: n.dispatcher, senders: [n.signerAddress] } } });
    const watchdog: SchedulerDeps = { ...deps, actor: "watchdog", monitoring: { events, cursors: new DynamoChainCursorStore(world.table), journaledTxs: world.journal, watch: { initialLookbackBlocks: 100_000 } } };
    await (n.provider.send("anvil_mine", ["0x3"]) as Promise<unknown>);

    // Act: twice — the second sweep raises nothing new.
    const first = await watchdogSweep(watchdog);
    await watchdogSweep(watchdog);

    // Assess
    expect(first.chain).toMatchObject([{ network: NET_1, ok: true, withoutQuorum: 1 }]);
    const withoutQuorum = deps.alerts.alerts.filter((a) => a.type === "commit-without-quorum");
    expect(withoutQuorum).toMatchObject([
      { severity: "critical", network: NET_1, evidence: { txHash: receipt.hash, values: { root: rogue.root, from: n.wallet.address, reason: expect.stringMatching(/no proposal under the approval policy approved this root/) } } },
    ]);
    expect(deps.alerts.alerts.filter((a) => a.type === "out-of-band-commit" && a.evidence?.txHash === receipt.hash)).toHaveLength(1);
    // Test 1's commit on devnet-1 (PayRox's, journaled, approved) is not flagged.
    expect(withoutQuorum.some((a) => a.proposalId === approvedProposal)).toBe(false);
  });

  it("raises approval-refused once per signer and approval-stale once (resolved by the crossing) through the DynamoDB incident ledger", async () => {
    // Prepare: a proposal on devnet-2 (its timelock now 45 s, read at proposal time), stale after 2 s.
    const stale: SchedulerDeps = { ...deps, options: { ...deps.options, approvalStaleAfterMs: 2_000 } };
    const manifest = await counterManifest(world, NET_2, "gov-e2e-alerts");
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_2], proposer: "alice" }, stale);
    const stranger = approverKey(99);
    const sign = (i: number) => signAction(i === 99 ? stranger : approverKey(i), proposal, ApprovalAction.APPROVE, 0);

    // Act: a key that is no approver's tries three times; the proposal goes stale; then two approvers sign.
    for (let k = 0; k < 3; k++) await approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature: await sign(99) } }, stale).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const swept = await watchdogSweep({ ...stale, actor: "watchdog" });
    await watchdogSweep({ ...stale, actor: "watchdog" });
    for (const i of [1, 2]) await approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature: await sign(i) } }, stale);

    // Assess
    const mine = deps.alerts.alerts.filter((a) => a.proposalId === proposal.id);
    expect(mine.map((a) => [a.type, a.status])).toEqual([
      ["approval-refused", "raised"],
      ["approval-stale", "raised"],
      ["approval-stale", "resolved"],
    ]);
    expect(mine[0]).toMatchObject({ severity: "critical", evidence: { values: { code: "not-approver", signer: stranger.address } } });
    expect(swept.staleApprovals).toEqual([proposal.id]);
    expect((await world.audit.list(proposal.id)).filter((e) => e.event === "approval.refused")).toHaveLength(3);
    await cancelProposal(proposal.id, "operator", stale);
  });
});
