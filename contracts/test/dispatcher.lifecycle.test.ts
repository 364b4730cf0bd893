import { ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import { removal } from "../lib/batch.js";
import {
  activate,
  applyAll,
  buildManifestTree,
  cancelAll,
  commit,
  DELAY,
  deployDispatcher,
  encodeBatch,
  ethers,
  expectRevert,
  EXPIRY,
  routed,
  routesTo,
  sendActivate,
  sendCommit,
  time,
  upgrade,
} from "./fixtures.js";

describe("ManifestDispatcher lifecycle", () => {
  it("commits a root with ETA = now + delay and emits RootCommitted", async () => {
    // Prepare
    const f = await deployDispatcher();
    const tree = buildManifestTree(await routesTo(f.v1));
    // Act
    const tx = await sendCommit(f, tree);
    const receipt = await tx.wait();
    // Assess
    const block = await ethers.provider.getBlock(receipt.blockNumber);
    const eta = BigInt(block!.timestamp + DELAY);
    const log = f.router.interface.parseLog(receipt.logs[0])!;
    expect(log.name).toBe("RootCommitted");
    expect([...log.args]).toEqual([tree.root, 1n, eta, BigInt(tree.leafCount)]);
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
    expect(await f.dispatcher.pendingEpoch()).toBe(1n);
    expect(await f.dispatcher.pendingEta()).toBe(eta);
    expect(await f.dispatcher.activeRoot()).toBe(ZeroHash);
    expect(await f.dispatcher.pendingBinding()).toBe(tree.binding);
    expect(await f.dispatcher.nextEpoch()).toBe(2n);
  });

  it("keeps applied routes uncallable until activation, then switches them all at once", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await applyAll(f, tree, 2);
    const counter = routed(f, f.v1);

    for (const fn of ["version", "count", "greet"]) {
      await expectRevert(counter.getFunction(fn).staticCall(), "FunctionNotFound", [counter.interface.getFunction(fn)!.selector]);
    }
    await expectRevert(counter.increment(), "FunctionNotFound");

    await expectRevert(sendActivate(f, tree), "ActivationNotReady"); // before ETA
    await activate(f, tree);

    expect(await counter.version()).toBe(1n);
    await (await counter.increment()).wait();
    expect(await counter.count()).toBe(1n);
    expect(await f.dispatcher.activeRoot()).toBe(tree.root);
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
  });

  it("keeps calling the old facet for a replaced route until activation, then the new one", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const v1 = routed(f, f.v1);
    const v2 = routed(f, f.v2);
    await (await v1.increment()).wait();

    const tree = await commit(f, await routesTo(f.v2, ["version", "increment", "decrement"]));
    await applyAll(f, tree);
    expect(await v1.version()).toBe(1n); // staged replacement: old facet still serves
    await (await v1.increment()).wait();
    expect(await v1.count()).toBe(2n);
    await expectRevert(v2.decrement(), "FunctionNotFound"); // new selector staged only

    await activate(f, tree);
    expect(await v2.version()).toBe(2n);
    await (await v2.increment()).wait();
    expect(await v2.count()).toBe(12n); // same storage namespace, V2 adds 10
    await (await v2.decrement()).wait();
    expect(await v1.count()).toBe(11n); // `count` still routed to V1, reading the shared slot
  });

  it("removes a selector at activation when its leaf has facet zero", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const v1 = routed(f, f.v1);
    const greet = v1.interface.getFunction("greet")!.selector;

    const tree = await commit(f, [removal(greet)]);
    await applyAll(f, tree);
    expect(await v1.greet()).toBe("hello from CounterFacetV1");
    await activate(f, tree);
    await expectRevert(v1.greet(), "FunctionNotFound", [greet]);
    expect(await f.dispatcher.facetAddress(greet)).toBe(ZeroAddress);
  });

  it("rejects an early activation with ActivationNotReady(eta, now)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await applyAll(f, tree);
    const eta = await f.dispatcher.pendingEta();
    await time.setNextBlockTimestamp(eta - 1n);
    await expectRevert(sendActivate(f, tree), "ActivationNotReady", [eta, eta - 1n]);
    // exactly at ETA it succeeds
    await time.setNextBlockTimestamp(eta);
    await (await sendActivate(f, tree)).wait();
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
  });

  it("rejects activation after the expiry window with RootExpired, and apply too", async () => {
    const f = await deployDispatcher();
    const routes = await routesTo(f.v1);
    const tree = await commit(f, routes);
    const first = encodeBatch(tree, [0, 1]);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(first.facets, first.initHash, first.leaves, first.proof, first.proofFlags)).wait();
    const eta = await f.dispatcher.pendingEta();
    const deadline = eta + BigInt(EXPIRY);
    // last second of the window is still fine for apply
    await time.setNextBlockTimestamp(deadline);
    const rest = encodeBatch(tree, [2, 3]);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(rest.facets, rest.initHash, rest.leaves, rest.proof, rest.proofFlags)).wait();

    await time.setNextBlockTimestamp(deadline + 1n);
    await expectRevert(sendActivate(f, tree), "RootExpired", [deadline, deadline + 1n]);
    await expectRevert(f.router.connect(f.applier).getFunction("applyRoutes")(rest.facets, rest.initHash, rest.leaves, rest.proof, rest.proofFlags), "RootExpired");
    // an expired root blocks new commits until cancelled; the next commit takes a new epoch
    const other = buildManifestTree(await routesTo(f.v2));
    await expectRevert(sendCommit(f, other), "PendingRootExists", [tree.root]);
    await cancelAll(f);
    await (await sendCommit(f, other)).wait();
    expect(await f.dispatcher.pendingRoot()).toBe(other.root);
    expect(await f.dispatcher.pendingEpoch()).toBe(2n);
  });

  it("requires every leaf applied before activation (ManifestIncomplete)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const first = encodeBatch(tree, [0, 1]);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(first.facets, first.initHash, first.leaves, first.proof, first.proofFlags)).wait();
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "ManifestIncomplete", [2n, BigInt(tree.leafCount)]);
    expect(await f.dispatcher.pendingProgress()).toEqual([2n, BigInt(tree.leafCount)]);
  });

  it("rejects a commit for any epoch but nextEpoch() (EpochMismatch)", async () => {
    const f = await deployDispatcher();
    const tree = buildManifestTree(await routesTo(f.v1));
    await expectRevert(sendCommit(f, tree, { epoch: 0n }), "EpochMismatch", [1n, 0n]);
    await expectRevert(sendCommit(f, tree, { epoch: 2n }), "EpochMismatch", [1n, 2n]);
    await upgrade(f, await routesTo(f.v1));
    const next = buildManifestTree(await routesTo(f.v2));
    await expectRevert(sendCommit(f, next, { epoch: 1n }), "EpochMismatch", [2n, 1n]);
  });

  it("allows one pending root at a time (PendingRootExists)", async () => {
    const f = await deployDispatcher();
    const first = await commit(f, await routesTo(f.v1));
    const second = buildManifestTree(await routesTo(f.v2));
    await expectRevert(sendCommit(f, second, { epoch: 2n }), "PendingRootExists", [first.root]);
    expect(await f.dispatcher.pendingRoot()).toBe(first.root);
  });

  it("gives every commit a new epoch: a cancelled commitment is never committable again, the same routes are", async () => {
    // Prepare: V1 live at epoch 1, a V2 commitment cancelled at epoch 2
    const f = await deployDispatcher();
    const active = await upgrade(f, await routesTo(f.v1));
    const cancelled = await commit(f, await routesTo(f.v2));
    await cancelAll(f);
    // Act + Assess: the cancelled (root, epoch 2) is refused; the same root goes in as epoch 3
    await expectRevert(sendCommit(f, cancelled, { epoch: 2n }), "EpochMismatch", [3n, 2n]);
    expect(await f.dispatcher.nextEpoch()).toBe(3n);
    await (await sendCommit(f, cancelled)).wait();
    expect(await f.dispatcher.pendingEpoch()).toBe(3n);
    await cancelAll(f);
    // the active route set itself can be committed again (a no-op upgrade, or a rollback target)
    await (await sendCommit(f, active)).wait();
    await applyAll(f, active);
    await activate(f, active);
    expect(await f.dispatcher.activeEpoch()).toBe(4n);
    expect(await f.dispatcher.activeRoot()).toBe(active.root);
  });

  it("rejects a zero root, a zero or oversized leaf count (InvalidCommitment)", async () => {
    const f = await deployDispatcher();
    const tree = buildManifestTree(await routesTo(f.v1));
    await expectRevert(sendCommit(f, tree, { root: ZeroHash }), "InvalidCommitment", [ZeroHash, BigInt(tree.leafCount)]);
    await expectRevert(sendCommit(f, tree, { leafCount: 0 }), "InvalidCommitment", [tree.root, 0n]);
    await expectRevert(sendCommit(f, tree, { leafCount: 2 ** 24 }), "InvalidCommitment", [tree.root, BigInt(2 ** 24)]);
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
  });

  it("cancels a pending root: its staged routes never go live and replaced routes are restored", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1, ["version", "count", "increment"]));
    const v1 = routed(f, f.v1);
    const v2 = routed(f, f.v2);

    const tree = await commit(f, [...(await routesTo(f.v2, ["version", "decrement"])), ...(await routesTo(f.v1, ["greet"]))]);
    await applyAll(f, tree, 1);
    const receipt = await (await f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot")(tree.root, 2n, 100)).wait();
    const logs = receipt.logs.map((l: never) => f.dispatcher.interface.parseLog(l)!);
    expect(logs.map((l: { name: string }) => l.name)).toEqual(["CancelStarted", "RoutesUnstaged", "RootCancelled"]);
    expect([...logs[1].args]).toEqual([tree.root, 2n, 3n, 0n]);
    expect([...logs[2].args]).toEqual([tree.root, 2n]);

    await time.increase(DELAY * 2);
    await expectRevert(sendActivate(f, tree), "NoPendingRoot");
    expect(await v1.version()).toBe(1n); // replaced route restored to V1
    await expectRevert(v2.decrement(), "FunctionNotFound");
    await expectRevert(v1.greet(), "FunctionNotFound");
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
    expect(await f.dispatcher.activeEpoch()).toBe(1n);

    // a new commitment (epoch 3) of the same routes, and a route cancelled before can be staged again
    await upgrade(f, await routesTo(f.v2, ["version", "decrement"]));
    expect(await v2.version()).toBe(2n);
    expect(await f.dispatcher.activeEpoch()).toBe(3n);
  });

  it("rejects lifecycle calls without a pending root (NoPendingRoot)", async () => {
    const f = await deployDispatcher();
    const tree = buildManifestTree(await routesTo(f.v1));
    const batch = encodeBatch(tree, [0]);
    await expectRevert(f.router.connect(f.applier).getFunction("applyRoutes")(batch.facets, batch.initHash, batch.leaves, batch.proof, batch.proofFlags), "NoPendingRoot");
    await expectRevert(sendActivate(f, tree), "NoPendingRoot");
    await expectRevert(f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 1n, 10), "NoPendingRoot");
  });

  it("emits RoutesApplied(root, 0) for an empty batch and changes nothing", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const receipt = await (await f.router.connect(f.applier).getFunction("applyRoutes")([], "0x" + "00".repeat(32), "0x", [], "0x")).wait();
    const log = f.router.interface.parseLog(receipt.logs[0])!;
    expect(log.name).toBe("RoutesApplied");
    expect([...log.args]).toEqual([tree.root, 0n]);
    expect(await f.dispatcher.pendingProgress()).toEqual([0n, BigInt(tree.leafCount)]);
  });

  it("emits RootActivated(root, epoch) and RoutesApplied(root, count)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const batch = encodeBatch(tree, [...Array(tree.leafCount).keys()]);
    const applied = await (await f.router.connect(f.applier).getFunction("applyRoutes")(batch.facets, batch.initHash, batch.leaves, batch.proof, batch.proofFlags)).wait();
    expect([...f.router.interface.parseLog(applied.logs[0])!.args]).toEqual([tree.root, BigInt(tree.leafCount)]);
    await time.increase(DELAY);
    const activated = await (await sendActivate(f, tree)).wait();
    const log = f.router.interface.parseLog(activated.logs[0])!;
    expect(log.name).toBe("RootActivated");
    expect([...log.args]).toEqual([tree.root, 1n]);
  });

  it("rejects a constructor configuration without a timelock, expiry or batch size (InvalidConfiguration)", async () => {
    const [admin] = await ethers.getSigners();
    const Router = await ethers.getContractFactory("ManifestDispatcher");
    const valid = [admin.address, 3600, 1, DELAY, EXPIRY, 300] as const;
    const variants: [string, unknown[]][] = [
      ["zero minimum delay", [admin.address, 3600, 0, 0, EXPIRY, 300]],
      ["delay below the minimum", [admin.address, 3600, 10, 5, EXPIRY, 300]],
      ["delay above 30 days", [admin.address, 3600, 1, 30 * 86400 + 1, EXPIRY, 300]],
      ["zero expiry window", [admin.address, 3600, 1, DELAY, 0, 300]],
      ["expiry window above 30 days", [admin.address, 3600, 1, DELAY, 30 * 86400 + 1, 300]],
      ["zero batch size", [admin.address, 3600, 1, DELAY, EXPIRY, 0]],
    ];
    for (const [, args] of variants) await expectRevert(Router.deploy(...args), "InvalidConfiguration");
    await expectRevert(Router.deploy(ZeroAddress, 3600, 1, DELAY, EXPIRY, 300), "AccessControlInvalidDefaultAdmin", [ZeroAddress]);
    const router = await Router.deploy(...valid);
    expect(await (await ethers.getContractAt("DispatcherAdminFacet", await router.getAddress())).defaultAdmin()).toBe(admin.address);
  });
});
