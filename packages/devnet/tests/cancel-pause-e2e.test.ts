/**
 * Dispatcher v2 lifecycle end to end on the real local services (DynamoDB Local, the local KMS server, an
 * anvil node): a cancel in chunks under a tiny per-transaction gas limit, a cancel that names a root no
 * longer pending (refused, the other root left alone), the epoch a commit takes after cancels, and an
 * activation held while the dispatcher is paused. The tests share one chain and run in order.
 */
import { Contract, type ContractTransactionResponse } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoChainCursorStore } from "@payrox/aws";
import { DispatcherEventReader, encodeDispatcherCall } from "@payrox/chain";
import { buildManifest, buildManifestTree, cancelProposal, commitArgs, findNetwork, jobName, proposeUpgrade, runStep, StepName, watchChain, type Network, type ScheduledJob, type SchedulerDeps } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { counterManifest, deployCounterEverywhere, schedulerDeps, startE2eWorld, type E2eWorld } from "./support/e2e-harness.js";

const NET = "devnet-1";
let world: E2eWorld;
let admin: Contract;

beforeAll(async () => {
  world = await startE2eWorld([NET]);
  const n = world.networks[NET]!;
  admin = new Contract(n.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, n.wallet);
  // Dev account #0 (the dispatcher's admin) acts as "someone else": it may pause, and commit and cancel roots.
  for (const role of ["EMERGENCY_ROLE", "COMMIT_ROLE"]) await mined(admin.getFunction("grantRole")(await admin.getFunction(role)(), n.wallet.address));
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

async function mined(sent: Promise<ContractTransactionResponse>) {
  return (await (await sent).wait())!;
}

function job(proposalId: string, step: StepName, attempt: string): ScheduledJob {
  return { name: jobName(proposalId, NET, step, attempt), step, proposalId, network: NET, attempt, runAtMs: Date.now() };
}

/** Proposes the counter manifest on devnet-1 and runs its commit and every apply batch (not the activation). */
async function committedAndApplied(deps: SchedulerDeps, name: string, facet?: string) {
  const manifest = await counterManifest(world, NET, name, facet);
  const { proposal, runs } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET], proposer: "e2e" }, deps);
  expect((await runStep(job(proposal.id, StepName.COMMIT, "0"), deps)).outcome).toBe("done");
  for (let k = 0; k < runs[0]!.batchCount; k++) expect((await runStep(job(proposal.id, StepName.APPLY, String(k)), deps)).outcome).toBe("done");
  return { proposal, run: (await world.store.getRun(proposal.id, NET))! };
}

async function pending() {
  const [root, epoch, , applied, , , cancelling] = (await admin.getFunction("pendingManifest")()) as [string, bigint, bigint, bigint, bigint, string, boolean];
  return { root, epoch, applied: Number(applied), cancelling, nextEpoch: BigInt(await admin.getFunction("nextEpoch")()) };
}

describe("dispatcher v2 lifecycle end to end", () => {
  it("cancels an applied proposal in chunks under a tiny per-transaction gas limit, each chunk journaled once, nothing pending after", async () => {
    // Prepare: 4 routes staged; devnet-1 limited to 72,000 gas a transaction (60,000 + 1 × 12,000: one route a chunk)
    const deps = schedulerDeps(world);
    const { proposal, run } = await committedAndApplied(deps, "cancel-in-chunks");
    expect(await pending()).toMatchObject({ root: proposal.root, epoch: 1n, applied: 4 });
    const tight = (id: string): Network | undefined => (id === NET ? { ...findNetwork(id)!, maxTxGas: 72_000 } : undefined);

    // Act
    const result = await cancelProposal(proposal.id, "e2e", { ...deps, networks: tight });

    // Assess: at least one chunk per staged route, every chunk one confirmed transaction within the limit
    const [cancelled] = result.runs;
    expect(cancelled).toMatchObject({ network: NET, outcome: "cancelled" });
    const chunks = cancelled!.outcome === "cancelled" ? cancelled!.chunks : 0;
    expect(chunks).toBeGreaterThanOrEqual(4);
    for (let k = 0; k < chunks; k++) {
      const record = (await world.journal.get(`${proposal.id}:${NET}:cancel:${k}`))!;
      expect(record.attempts).toHaveLength(1);
      const receipt = (await world.networks[NET]!.provider.getTransactionReceipt(record.attempts[0]!.hash))!;
      expect(receipt.status).toBe(1);
      expect(receipt.gasUsed).toBeLessThanOrEqual(72_000n);
    }
    expect(await world.journal.get(`${proposal.id}:${NET}:cancel:${chunks}`)).toBeUndefined();
    expect(await pending()).toEqual({ root: `0x${"00".repeat(32)}`, epoch: 0n, applied: 0, cancelling: false, nextEpoch: 2n });
    expect(run.committedEpoch).toBe(1);
    expect((await world.store.getRun(proposal.id, NET))!.state).toBe("CANCELLED");
    expect((await world.audit.list(proposal.id)).filter((e) => e.event === "cancel.confirmed")).toHaveLength(chunks);
  });

  it("refuses to cancel a proposal whose root someone else replaced, leaves their pending root alone, and the watcher raises one alert per outside act", async () => {
    // Prepare: the proposal commits (epoch 2); someone else cancels it and commits their own root (epoch 3)
    const deps = schedulerDeps(world);
    const manifest = await counterManifest(world, NET, "replaced-root");
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET], proposer: "e2e" }, deps);
    expect((await runStep(job(proposal.id, StepName.COMMIT, "0"), deps)).outcome).toBe("done");
    const n = world.networks[NET]!;
    const cursors = new DynamoChainCursorStore(world.table);
    const head = (await n.provider.getBlock("latest"))!;
    await cursors.put({ network: NET, blockNumber: head.number, blockHash: head.hash!, updatedAtMs: Date.now() });
    await (await n.wallet.sendTransaction({ to: n.dispatcher, data: encodeDispatcherCall({ kind: "cancel", root: proposal.root, epoch: 2n, maxUnstage: 100 }) })).wait();
    const theirs = commitArgs(buildManifestTree([{ selector: "0x12345678", facet: n.wallet.address, codehash: `0x${"12".repeat(32)}` }]));
    await (await n.wallet.sendTransaction({ to: n.dispatcher, data: encodeDispatcherCall({ kind: "commit", ...theirs, epoch: 3n }) })).wait();

    // Act
    const result = await cancelProposal(proposal.id, "e2e", deps);

    // Assess
    expect(result.runs).toEqual([{ network: NET, outcome: "refused", revert: "CancelTargetMismatch" }]);
    expect(await pending()).toMatchObject({ root: theirs.root, epoch: 3n, cancelling: false });
    expect((await world.store.getRun(proposal.id, NET))!.state).toBe("COMMITTED");
    expect(await world.journal.get(`${proposal.id}:${NET}:cancel:0`)).toBeUndefined();
    // The chain watcher: their cancel (CancelStarted, RoutesUnstaged, RootCancelled) is one incident, their commit another.
    const reader = new DispatcherEventReader({ networks: { [NET]: { provider: n.provider, dispatcher: n.dispatcher, senders: [n.signerAddress] } } });
    const [report] = await watchChain({ ...deps, monitoring: { journaledTxs: world.journal } }, reader, cursors, new Set());
    expect(report).toMatchObject({ ok: true, events: 4, outOfBand: 2 });
    expect(deps.alerts.alerts.filter((a) => a.type.startsWith("out-of-band-")).map((a) => [a.type, a.evidence?.values?.event])).toEqual([["out-of-band-cancel", "CancelStarted"], ["out-of-band-commit", "RootCommitted"]]);
    // Clean up: they withdraw their root; our run's next step finds its root gone and fails, which frees
    // the network for the next proposal.
    await (await n.wallet.sendTransaction({ to: n.dispatcher, data: encodeDispatcherCall({ kind: "cancel", root: theirs.root, epoch: 3n, maxUnstage: 100 }) })).wait();
    await runStep(job(proposal.id, StepName.APPLY, "0"), deps);
    expect((await world.store.getRun(proposal.id, NET))!.state).toBe("FAILED");
    expect(await world.store.networkHolder(NET)).toBeUndefined();
  });

  it("commits the same manifest again at the dispatcher's next epoch after the cancels, and activates it", async () => {
    // Prepare: epochs 1–3 were taken by cancelled commitments; epoch 0 is still the active one
    const deps = schedulerDeps(world);
    const { proposal, run } = await committedAndApplied(deps, "cancel-in-chunks");
    expect(run.committedEpoch).toBe(4);

    // Act
    const activated = await runStep(job(proposal.id, StepName.ACTIVATE, String(run.version)), deps);

    // Assess
    expect(activated).toMatchObject({ outcome: "done", run: { state: "ACTIVATED" } });
    expect(BigInt(await admin.getFunction("activeEpoch")())).toBe(4n);
    expect(String(await admin.getFunction("activeRoot")())).toBe(proposal.root);
    expect((await world.audit.list(proposal.id)).find((e) => e.event === "commit.confirmed")).toMatchObject({ details: { epoch: 4, baseEpoch: 0 } });
  });

  it("holds an activation while the dispatcher is paused, with one dispatcher-paused alert, and activates after the unpause", async () => {
    // Prepare: a new facet instance on top of epoch 4, applied; then the dispatcher is paused
    const deps = schedulerDeps(world);
    const { proposal, run } = await committedAndApplied(deps, "paused", await deployCounterEverywhere(world));
    await mined(admin.getFunction("pause")());

    // Act: the activation (holding until the ETA) is refused twice while paused, then runs after the unpause
    const first = await runStep(job(proposal.id, StepName.ACTIVATE, String(run.version)), deps);
    const held = (await world.store.getRun(proposal.id, NET))!;
    const second = await runStep(job(proposal.id, StepName.ACTIVATE, String(held.version)), deps);
    const alertsWhilePaused = deps.alerts.alerts.map((a) => `${a.type}:${a.status}`);
    await mined(admin.getFunction("unpause")());
    const resumed = (await world.store.getRun(proposal.id, NET))!;
    const third = await runStep(job(proposal.id, StepName.ACTIVATE, String(resumed.version)), deps);

    // Assess
    expect(first).toMatchObject({ outcome: "rescheduled", run: { state: "APPLIED", activateAtMs: run.activateAtMs } });
    expect(second).toMatchObject({ outcome: "rescheduled" });
    expect(alertsWhilePaused).toEqual(["dispatcher-paused:raised"]);
    expect(third).toMatchObject({ outcome: "done", run: { state: "ACTIVATED" } });
    expect(deps.alerts.alerts.map((a) => `${a.type}:${a.status}`)).toEqual(["dispatcher-paused:raised", "dispatcher-paused:resolved"]);
    expect(BigInt(await admin.getFunction("activeEpoch")())).toBe(5n);
  });

  it("prunes the removed selectors from the loupe's list after an activation that removes them, journaled and audited", async () => {
    // Prepare: a manifest removing two of the live counter selectors
    const deps = schedulerDeps(world);
    const n = world.networks[NET]!;
    const views = new Contract(n.dispatcher, ["function activeEpoch() view returns (uint64)", "function activeRoot() view returns (bytes32)"], n.provider);
    const manifest = await buildManifest(
      { name: "remove-two", baseEpoch: Number(await views.getFunction("activeEpoch")()), previousRoot: String(await views.getFunction("activeRoot")()), facets: [], remove: ["greet()", "count()"] },
      {},
    );
    const { proposal, runs } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET], proposer: "e2e" }, deps);
    expect((await runStep(job(proposal.id, StepName.COMMIT, "0"), deps)).outcome).toBe("done");
    for (let k = 0; k < runs[0]!.batchCount; k++) expect((await runStep(job(proposal.id, StepName.APPLY, String(k)), deps)).outcome).toBe("done");
    const applied = (await world.store.getRun(proposal.id, NET))!;

    // Act
    const activated = await runStep(job(proposal.id, StepName.ACTIVATE, String(applied.version)), deps);

    // Assess: activated, the raw list holds no dead entry, the prune was one journaled transaction, audited
    expect(activated).toMatchObject({ outcome: "done", run: { state: "ACTIVATED" } });
    const list = await deps.gateway.listSelectors!(NET);
    expect(list.filter((e) => e.dead)).toEqual([]);
    const removed = manifest.entries.map((e) => e.selector);
    expect(list.map((e) => e.selector).filter((s) => removed.includes(s))).toEqual([]);
    const prunes = (await world.audit.list(proposal.id)).filter((e) => e.event === "prune.confirmed");
    expect(prunes).toHaveLength(1);
    expect(prunes[0]).toMatchObject({ details: { chunk: 0, chunks: 1, entries: 2 } });
    const receipt = (await n.provider.getTransactionReceipt(prunes[0]!.txHash!))!;
    expect(receipt.status).toBe(1);
  });
});
