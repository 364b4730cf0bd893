/**
 * Dispatcher v2: the holes found by attacking v1 (issue 12 §1) — each test here fails on the v1 contract —
 * and the settled behaviours (§2): delay changes, the tree binding its own size, chunked and named cancel,
 * pause blocking activation, loupe pruning and the initializer.
 */
import { concat, hexlify, keccak256, randomBytes, toBeHex, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { headerLeaf, initializerHash, manifestBinding, planPrune, PRUNE_GAS_FIXED, PRUNE_GAS_PER_ENTRY, pruneHintsPerTx } from "@payrox/core";
import { removal } from "../lib/batch.js";
import {
  activate,
  applyAll,
  buildManifestTree,
  cancelAll,
  codehashOf,
  commit,
  DELAY,
  deployDispatcher,
  encodeBatch,
  encodeBatches,
  ethers,
  expectRevert,
  EXPIRY,
  migrateTo,
  routed,
  routesTo,
  sendActivate,
  sendCommit,
  time,
  upgrade,
  type DispatcherFixture,
  type RouteLeaf,
} from "./fixtures.js";

/** EIP-7825's per-transaction gas cap (Ethereum). */
const TX_GAS_CAP = 16_777_216;

/** `n` distinct random selectors routed to `facet` (routing does not need the facet to implement them). */
async function randomRoutes(facet: { getAddress(): Promise<string> }, n: number, seed = 1): Promise<RouteLeaf[]> {
  const address = await facet.getAddress();
  const codehash = await codehashOf(address);
  const seen = new Set<string>();
  const routes: RouteLeaf[] = [];
  for (let i = 0; routes.length < n; i++) {
    const selector = keccak256(toBeHex((BigInt(seed) << 32n) + BigInt(i), 32)).slice(0, 10);
    if (selector === "0x00000000" || seen.has(selector)) continue;
    seen.add(selector);
    routes.push({ selector, facet: address, codehash });
  }
  return routes;
}

/** Every selector of the loupe's raw list with its dead flag. */
async function rawList(f: DispatcherFixture): Promise<{ selector: string; dead: boolean }[]> {
  const out: { selector: string; dead: boolean }[] = [];
  let cursor = "0x00000000";
  do {
    const [selectors, dead, next] = await f.dispatcher.listedSelectors(cursor, 100);
    selectors.forEach((s: string, i: number) => out.push({ selector: s, dead: dead[i] }));
    cursor = next;
  } while (cursor !== "0x00000000");
  return out;
}

/** Predecessor hints that prune every dead entry, in one transaction. */
function pruneHints(list: { selector: string; dead: boolean }[]): string[] {
  return planPrune(list, 1_000_000).flat();
}

describe("hole 1: the admin can't shrink the timelock at once", () => {
  it("keeps a commit made right after a decrease at the old delay, so a new manifest can't go live in seconds", async () => {
    // Prepare: the attack on v1 — an admin grants itself COMMIT/APPLY and lowers the delay to the minimum
    const f = await deployDispatcher();
    const setDelay = f.dispatcher.connect(f.admin).getFunction("setActivationDelay");
    for (const role of [await f.dispatcher.COMMIT_ROLE(), await f.dispatcher.APPLY_ROLE()]) await (await f.dispatcher.connect(f.admin).getFunction("grantRole")(role, f.admin.address)).wait();
    const request = await (await setDelay(1)).wait();
    const requestedAt = BigInt((await ethers.provider.getBlock(request.blockNumber))!.timestamp);
    // Act: commit, apply and try to activate three seconds later
    const tree = buildManifestTree(await routesTo(f.v1));
    const args = [tree.root, 1n, tree.leafCount, tree.binding, tree.headerProof] as const;
    await (await f.router.connect(f.admin).getFunction("commitRoot")(...args)).wait();
    const batch = encodeBatch(tree, [...Array(tree.leafCount).keys()]);
    await (await f.router.connect(f.admin).getFunction("applyRoutes")(batch.facets, batch.initHash, batch.leaves, batch.proof, batch.proofFlags)).wait();
    await time.increase(3);
    // Assess: refused; the ETA is the old delay after the commit
    const eta = await f.dispatcher.pendingEta();
    expect(eta).toBeGreaterThanOrEqual(requestedAt + BigInt(DELAY));
    await expectRevert(f.router.connect(f.admin).getFunction("activateCommittedRoot")([...tree.facets].map((p) => [p.facet, p.codehash]), [ZeroAddress, ZeroHash, "0x"]), "ActivationNotReady");
  });

  it("applies a decrease old − new after the request: no commit after it goes live sooner than old after the request", async () => {
    // Prepare
    const f = await deployDispatcher();
    const receipt = await (await f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(10)).wait();
    const requestedAt = BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
    const effect = requestedAt + BigInt(DELAY - 10);
    // Assess: the event and the views
    const log = f.dispatcher.interface.parseLog(receipt.logs[0])!;
    expect(log.name).toBe("ActivationDelayChangeScheduled");
    expect([...log.args]).toEqual([10n, effect]);
    expect(await f.dispatcher.pendingActivationDelay()).toEqual([10n, effect]);
    expect(await f.dispatcher.activationDelay()).toBe(BigInt(DELAY));
    // Act + Assess: commits at several moments around the effect time, each cancelled again
    for (const offset of [1n, 25n, BigInt(DELAY - 12), BigInt(DELAY - 10), BigInt(DELAY + 5)]) {
      await time.setNextBlockTimestamp(requestedAt + offset);
      const tree = await commit(f, await routesTo(f.v1));
      const eta = await f.dispatcher.pendingEta();
      expect(eta, `commit at request + ${offset}`).toBeGreaterThanOrEqual(requestedAt + BigInt(DELAY));
      expect(eta).toBe(requestedAt + offset + (requestedAt + offset >= effect ? 10n : BigInt(DELAY)));
      await cancelAll(f);
      void tree;
    }
    expect(await f.dispatcher.activationDelay()).toBe(10n);
    expect(await f.dispatcher.pendingActivationDelay()).toEqual([0n, 0n]);
  });

  it("applies an increase at once, replaces a scheduled decrease, and never moves a pending ETA", async () => {
    const f = await deployDispatcher();
    const setDelay = f.dispatcher.connect(f.admin).getFunction("setActivationDelay");
    await commit(f, await routesTo(f.v1));
    const eta = await f.dispatcher.pendingEta();
    await (await setDelay(5)).wait(); // scheduled decrease
    const receipt = await (await setDelay(DELAY * 2)).wait(); // increase replaces it
    const names = receipt.logs.map((l: never) => f.dispatcher.interface.parseLog(l)!.name);
    expect(names).toEqual(["ActivationDelayChangeCanceled", "ActivationDelaySet"]);
    expect(await f.dispatcher.activationDelay()).toBe(BigInt(DELAY * 2));
    expect(await f.dispatcher.pendingActivationDelay()).toEqual([0n, 0n]);
    expect(await f.dispatcher.pendingEta()).toBe(eta);
    // a second decrease request replaces the first scheduled one
    await (await setDelay(DELAY)).wait();
    const second = await (await setDelay(DELAY + 10)).wait();
    const at = BigInt((await ethers.provider.getBlock(second.blockNumber))!.timestamp);
    expect(await f.dispatcher.pendingActivationDelay()).toEqual([BigInt(DELAY + 10), at + BigInt(DELAY * 2 - DELAY - 10)]);
  });

  it("bounds the delay to [minimum, 30 days] and lets only the admin change it", async () => {
    const f = await deployDispatcher();
    const max = 30n * 86400n;
    expect(await f.dispatcher.MAX_ACTIVATION_DELAY()).toBe(max);
    await expectRevert(f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(max + 1n), "ActivationDelayOutOfRange", [max + 1n, 1n, max]);
    await expectRevert(f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(0), "ActivationDelayOutOfRange", [0n, 1n, max]);
    await expectRevert(f.dispatcher.connect(f.committer).getFunction("setActivationDelay")(1), "AccessControlUnauthorizedAccount");
    expect(await f.dispatcher.activationDelay()).toBe(BigInt(DELAY));
  });
});

describe("hole 2: only the whole reviewed tree can go live", () => {
  it("refuses a commit that claims fewer leaves than the tree holds (ManifestHeaderMismatch)", async () => {
    // Prepare: the v1 attack — a 4-leaf root committed with leafCount = 1
    const f = await deployDispatcher();
    const tree = buildManifestTree(await routesTo(f.v1));
    expect(tree.leafCount).toBe(4);
    // Act + Assess
    for (const leafCount of [1, 3, 5]) await expectRevert(sendCommit(f, tree, { leafCount }), "ManifestHeaderMismatch", [tree.root, BigInt(leafCount)]);
    // a forged binding or a proof of another leaf is refused too
    await expectRevert(sendCommit(f, tree, { binding: keccak256("0x01") }), "ManifestHeaderMismatch");
    await expectRevert(sendCommit(f, tree, { headerProof: tree.tree.getProof(0) }), "ManifestHeaderMismatch");
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
  });

  it("refuses activation until every leaf of the tree is applied (ManifestIncomplete)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const one = encodeBatch(tree, [2]);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(one.facets, one.initHash, one.leaves, one.proof, one.proofFlags)).wait();
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "ManifestIncomplete", [1n, 4n]);
    expect(await f.dispatcher.activeRoot()).toBe(ZeroHash);
  });

  it("never stages the header leaf as a route (ProtectedSelector)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const multi = tree.tree.getMultiProof([tree.leafCount]);
    const [selector] = multi.leaves[0];
    const flags = new Uint8Array(Math.ceil(multi.proofFlags.length / 8));
    multi.proofFlags.forEach((flag, i) => flag && (flags[i >> 3] |= 1 << (i & 7)));
    const { facets, initHash } = encodeBatch(tree, [0]);
    await expectRevert(
      f.router.connect(f.applier).getFunction("applyRoutes")(facets, initHash, concat([selector, "0xff"]), multi.proof, hexlify(flags)),
      "ProtectedSelector",
      ["0x00000000"],
    );
  });

  it("never applies a leaf whose facet the committed list omits, so every applied facet is re-verified at activation", async () => {
    // Prepare: a hand-built tree whose header binds an empty facet list while a route uses V1
    const f = await deployDispatcher();
    const [route] = await routesTo(f.v1, ["version"]);
    const forged = StandardMerkleTree.of(
      [[route.selector, route.facet, route.codehash], headerLeaf(1, manifestBinding([]))],
      ["bytes4", "address", "bytes32"],
    );
    const proof = forged.getProof(1);
    await (await f.router.connect(f.committer).getFunction("commitRoot")(forged.root, 1n, 1, manifestBinding([]), proof)).wait();
    const multi = forged.getMultiProof([0]);
    const flags = hexlify(new Uint8Array(Math.ceil(multi.proofFlags.length / 8)).map((_, i) => multi.proofFlags.slice(i * 8, i * 8 + 8).reduce((b, flag, j) => b | (flag ? 1 << j : 0), 0)));
    const apply = (facets: unknown[], index: string) =>
      f.router.connect(f.applier).getFunction("applyRoutes")(facets, initializerHash(), concat([route.selector, index]), multi.proof, flags);
    // Act + Assess: with the bound (empty) list the leaf has no facet to point at; with V1 listed the
    // table is not the bound one; as a removal its hash is not the tree's
    await expectRevert(apply([], "0x00"), "MalformedBatch");
    await expectRevert(apply([[route.facet, route.codehash]], "0x00"), "ManifestBindingMismatch");
    await expectRevert(apply([], "0xff"), "InvalidProof");
    await time.increase(DELAY);
    await expectRevert(f.router.connect(f.applier).getFunction("activateCommittedRoot")([], [ZeroAddress, ZeroHash, "0x"]), "ManifestIncomplete", [0n, 1n]);
  });

  it("re-verifies exactly the committed facet list at activation (ManifestBindingMismatch, CodehashMismatch)", async () => {
    // Prepare: a manifest over two facets
    const f = await deployDispatcher();
    const tree = await commit(f, [...(await routesTo(f.v1, ["version", "greet"])), ...(await routesTo(f.bench, ["store"]))]);
    await applyAll(f, tree);
    await time.increase(DELAY);
    expect(tree.facets).toHaveLength(2);
    // Act + Assess: a list missing a facet, reordered, or with an initializer the commit did not bind
    await expectRevert(sendActivate(f, tree, { facets: tree.facets.slice(1) }), "ManifestBindingMismatch");
    await expectRevert(sendActivate(f, tree, { facets: [...tree.facets].reverse() }), "ManifestBindingMismatch");
    await expectRevert(sendActivate(f, tree, { init: await migrateTo(f.migration, 7) }), "ManifestBindingMismatch");
    // a facet whose code changed after apply is caught at activation
    const bench = await f.bench.getAddress();
    await ethers.provider.send("hardhat_setCode", [bench, await ethers.provider.getCode(await f.v2.getAddress())]);
    const expected = [bench, tree.facets.find((p) => p.facet === bench)!.codehash, await codehashOf(bench)];
    await expectRevert(sendActivate(f, tree), "CodehashMismatch", expected);
  });
});

describe("hole 3: the emergency veto always fits a transaction", () => {
  it("cancels a manifest too big for one transaction in chunks under the 16,777,216 cap, blocking everything meanwhile", async () => {
    // Prepare: 600 live selectors, then a manifest replacing 600 and adding 1,500 (v1 needed one tx for all)
    const f = await deployDispatcher();
    const live = await randomRoutes(f.bench, 600, 1);
    await upgrade(f, live);
    const replacing = (await randomRoutes(f.v1, 600, 1)).map((r) => ({ ...r }));
    const adding = await randomRoutes(f.v1, 1500, 2);
    const tree = await commit(f, [...replacing, ...adding]);
    await applyAll(f, tree);
    expect(await f.dispatcher.pendingProgress()).toEqual([2100n, 2100n]);
    const cancel = f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot");

    // Act: first chunk
    const gasUsed: bigint[] = [];
    const first = await (await cancel(tree.root, 2n, 1200, { gasLimit: TX_GAS_CAP })).wait();
    gasUsed.push(first.gasUsed);
    // Assess: while the cancel runs, nothing else moves — activation, apply and commit are refused
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "CancelInProgress", [tree.root]);
    const batch = encodeBatch(tree, [0]);
    await expectRevert(f.router.connect(f.applier).getFunction("applyRoutes")(batch.facets, batch.initHash, batch.leaves, batch.proof, batch.proofFlags), "CancelInProgress", [tree.root]);
    await expectRevert(sendCommit(f, buildManifestTree(await routesTo(f.v2))), "PendingRootExists", [tree.root]);
    expect(await f.dispatcher.cancelInProgress()).toBe(true);
    expect(await f.dispatcher.pendingProgress()).toEqual([900n, 2100n]);
    // the committer may finish the emergency role's cancel
    const second = await (await f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 2n, 1200, { gasLimit: TX_GAS_CAP })).wait();
    gasUsed.push(second.gasUsed);

    // Assess: done — every chunk under the cap, the live routes restored, the staged ones gone
    for (const gas of gasUsed) expect(gas).toBeLessThan(BigInt(TX_GAS_CAP));
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
    expect(await f.dispatcher.cancelInProgress()).toBe(false);
    const bench = await f.bench.getAddress();
    for (const r of [replacing[0], replacing[599]]) expect(await f.dispatcher.facetAddress(r.selector)).toBe(bench);
    const facets = await f.dispatcher.facets();
    expect(facets.map((x: { facetAddress: string }) => x.facetAddress)).not.toContain(await f.v1.getAddress());
    expect((await rawList(f)).filter((e) => adding.some((a) => a.selector === e.selector))).toEqual([]);
    // and the dispatcher works again: a new commit at the next epoch
    await upgrade(f, await routesTo(f.v2));
    expect(await f.dispatcher.activeEpoch()).toBe(3n);
  });

  it("costs each chunk at most ~12k gas per unstaged route, so the chunk size follows from a network's cap", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await randomRoutes(f.bench, 200, 3));
    const tree = await commit(f, [...(await randomRoutes(f.v1, 200, 3)), ...(await randomRoutes(f.v1, 200, 4))]);
    await applyAll(f, tree);
    const receipts = await cancelAll(f, 100);
    expect(receipts).toHaveLength(4);
    for (const r of receipts) expect(Number(r.gasUsed)).toBeLessThan(60_000 + 100 * 12_000);
  });

  it("cancels a root with nothing applied in one call, whatever the chunk size (even 0)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const receipt = await (await f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 1n, 0)).wait();
    expect(receipt.logs.map((l: never) => f.dispatcher.interface.parseLog(l)!.name)).toEqual(["CancelStarted", "RoutesUnstaged", "RootCancelled"]);
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
  });

  it("refuses a cancel from an account without COMMIT or EMERGENCY role", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await expectRevert(f.dispatcher.connect(f.applier).getFunction("cancelCommittedRoot")(tree.root, 1n, 10), "AccessControlUnauthorizedAccount");
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
  });
});

describe("hole 4: a cancel names the root it vetoes", () => {
  it("refuses a stale cancel of an earlier root once another proposal's root is pending (CancelTargetMismatch)", async () => {
    // Prepare: root A committed and cancelled, then root B committed
    const f = await deployDispatcher();
    const a = await commit(f, await routesTo(f.v1));
    await cancelAll(f);
    const b = await commit(f, await routesTo(f.v2));
    const cancel = f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot");
    // Act + Assess: the retry for A can't hit B; neither can a right root with a wrong epoch
    await expectRevert(cancel(a.root, 1n, 100), "CancelTargetMismatch", [b.root, 2n]);
    await expectRevert(cancel(b.root, 1n, 100), "CancelTargetMismatch", [b.root, 2n]);
    expect(await f.dispatcher.pendingRoot()).toBe(b.root);
    expect(await f.dispatcher.cancelInProgress()).toBe(false);
  });
});

describe("pause during an incident", () => {
  it("refuses activation while paused (ActivationPaused) and allows it after unpause within the window", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await applyAll(f, tree);
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "ActivationPaused");
    expect(await f.dispatcher.activeEpoch()).toBe(0n);
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    await (await sendActivate(f, tree)).wait();
    expect(await routed(f, f.v1).version()).toBe(1n);
  });
});

describe("pause and expiry", () => {
  it("reports a root that expired while paused as RootExpired (never as held), and before its ETA as not ready", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await applyAll(f, tree);
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    await expectRevert(sendActivate(f, tree), "ActivationNotReady");
    await time.increase(DELAY + EXPIRY + 1);
    await expectRevert(sendActivate(f, tree), "RootExpired");
  });
});

describe("initializer at activation", () => {
  it("switches the routes and then runs the bound initializer in the dispatcher's storage, in one transaction", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const counter = routed(f, f.v1);
    await (await counter.increment()).wait();
    const init = await migrateTo(f.migration, 42);
    const tree = await upgrade(f, await routesTo(f.v2, ["version", "increment", "decrement"]), undefined, init);
    expect(await counter.count()).toBe(42n);
    expect(await routed(f, f.v2).version()).toBe(2n);
    expect(tree.init.facet).toBe(await f.migration.getAddress());
    // the initializer is not routed
    expect(await f.dispatcher.facetAddress(f.migration.interface.getFunction("migrate")!.selector)).toBe(ZeroAddress);
  });

  it("reverts the whole activation when the initializer reverts: nothing goes live", async () => {
    const f = await deployDispatcher();
    const refused = await commit(f, await routesTo(f.v1), await migrateTo(f.migration, 0));
    await applyAll(f, refused);
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, refused), "MigrationRefused", [0n]);
    expect(await f.dispatcher.activeEpoch()).toBe(0n);
    await expectRevert(routed(f, f.v1).version(), "FunctionNotFound");
    await cancelAll(f);
    // an initializer reverting without a reason → InitializerFailed(facet)
    const facet = await f.migration.getAddress();
    const silent = await commit(f, await routesTo(f.v1), { facet, codehash: await codehashOf(facet), data: f.migration.interface.encodeFunctionData("fail") });
    await applyAll(f, silent);
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, silent), "InitializerFailed", [facet]);
  });

  it("binds the initializer's calldata and code: other calldata, or changed code, is refused", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1), await migrateTo(f.migration, 5));
    await applyAll(f, tree);
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree, { init: await migrateTo(f.migration, 6) }), "ManifestBindingMismatch");
    const facet = await f.migration.getAddress();
    const pinned = tree.init.codehash;
    await ethers.provider.send("hardhat_setCode", [facet, await ethers.provider.getCode(await f.v2.getAddress())]);
    const changed = await codehashOf(facet);
    await expectRevert(sendActivate(f, tree), "CodehashMismatch", [facet, pinned, changed]);
  });

  it("refuses a zero-facet initializer that still carries calldata or a code hash (InvalidFacet(0))", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1), { facet: ZeroAddress, codehash: ZeroHash, data: "0x12345678" });
    await applyAll(f, tree);
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "InvalidFacet", [ZeroAddress]);
  });

  it("refuses the dispatcher itself as initializer (InvalidFacet)", async () => {
    const f = await deployDispatcher();
    const init = { facet: f.address, codehash: await codehashOf(f.address), data: "0x" };
    const tree = await commit(f, await routesTo(f.v1), init);
    await applyAll(f, tree);
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "InvalidFacet", [f.address]);
  });
});

describe("loupe pruning", () => {
  it("unlinks removed and disabled selectors so the raw list follows the live selectors", async () => {
    // Prepare: 30 selectors live, then 20 removed and one disabled
    const f = await deployDispatcher();
    const routes = await randomRoutes(f.bench, 30, 5);
    await upgrade(f, routes);
    await upgrade(f, routes.slice(0, 20).map((r) => removal(r.selector)));
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(routes[25].selector)).wait();
    const before = await rawList(f);
    expect(before.filter((e) => e.dead)).toHaveLength(21);
    // Act
    const receipt = await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(pruneHints(before))).wait();
    // Assess
    const log = f.dispatcher.interface.parseLog(receipt.logs[0])!;
    expect([...log.args]).toEqual([21n]);
    const after = await rawList(f);
    expect(after.filter((e) => e.dead)).toEqual([]);
    expect(after.map((e) => e.selector)).toEqual(before.filter((e) => !e.dead).map((e) => e.selector));
    const liveSelectors = (await f.dispatcher.facetFunctionSelectors(await f.bench.getAddress())) as string[];
    expect([...liveSelectors].sort()).toEqual(routes.slice(20).filter((_, i) => i !== 5).map((r) => r.selector).sort());
    // a pruned selector can be added again later, and a stale hint is skipped
    await upgrade(f, [routes[0]]);
    expect(await f.dispatcher.facetAddress(routes[0].selector)).toBe(await f.bench.getAddress());
    const again = await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")([routes[0].selector, "0x00000000"])).wait();
    expect([...f.dispatcher.interface.parseLog(again.logs[0])!.args]).toEqual([0n]);
  });

  it("never unlinks a route staged by the pending manifest, nor one being replaced", async () => {
    const f = await deployDispatcher();
    const routes = await randomRoutes(f.bench, 4, 6);
    await upgrade(f, routes);
    await upgrade(f, [removal(routes[0].selector)]);
    // pending: re-add the removed selector and add a new one
    const tree = await commit(f, [{ ...routes[0] }, ...(await randomRoutes(f.bench, 1, 7))]);
    await applyAll(f, tree);
    const list = await rawList(f);
    expect(list.filter((e) => e.dead)).toEqual([]);
    await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(list.map((e) => e.selector))).wait();
    expect((await rawList(f)).length).toBe(list.length);
    await activate(f, tree);
    expect(await f.dispatcher.facetAddress(routes[0].selector)).toBe(await f.bench.getAddress());
  });

  it("pages through the raw list from any listed selector, and returns an empty page for an unlisted cursor", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await randomRoutes(f.bench, 7, 9));
    const all = await rawList(f);
    const [page, , next] = await f.dispatcher.listedSelectors(all[3].selector, 2);
    expect([...page]).toEqual([all[3].selector, all[4].selector]);
    expect(next).toBe(all[5].selector);
    const [empty, dead, end] = await f.dispatcher.listedSelectors("0xdeadbeef", 10);
    expect([...empty, ...dead, end]).toEqual(["0x00000000"]);
  });

  it("prunes 300 dead entries in chunks planned from a transaction's gas cap, each within the planner's gas bound", async () => {
    // Prepare: 400 selectors live, 300 of them removed
    const f = await deployDispatcher();
    const routes = await randomRoutes(f.bench, 400, 10);
    await upgrade(f, routes);
    await upgrade(f, routes.filter((_, i) => i % 4 !== 0).map((r) => removal(r.selector)));
    const list = await rawList(f);
    const perTx = pruneHintsPerTx(2_000_000);
    const chunks = planPrune(list, perTx);
    expect(chunks.flat()).toHaveLength(300);
    expect(chunks.length).toBe(Math.ceil(300 / perTx));
    // Act
    for (const hints of chunks) {
      const receipt = await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(hints)).wait();
      // Assess: within the planner's bound, so a chunk sized for a cap fits it
      expect(Number(receipt.gasUsed)).toBeLessThanOrEqual(PRUNE_GAS_FIXED + hints.length * PRUNE_GAS_PER_ENTRY);
    }
    const after = await rawList(f);
    expect(after.filter((e) => e.dead)).toEqual([]);
    expect(new Set(after.map((e) => e.selector))).toEqual(new Set([...list.filter((e) => !e.dead).map((e) => e.selector)]));
  });

  it("lets only the APPLY role prune", async () => {
    const f = await deployDispatcher();
    await expectRevert(f.dispatcher.connect(f.outsider).getFunction("pruneSelectors")(["0x00000000"]), "AccessControlUnauthorizedAccount");
  });
});

describe("expiry and batches with the v2 tree", () => {
  it("plans and applies a manifest in several batches whose proofs never include the header as a route", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await randomRoutes(f.bench, 37, 8));
    const batches = encodeBatches(tree, 10);
    expect(batches).toHaveLength(4);
    for (const b of batches) expect(b.routes.every((r) => r.selector !== "0x00000000")).toBe(true);
    await applyAll(f, tree, 10);
    await activate(f, tree);
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
  });

  it("lets an expired root be cancelled and the same routes committed again as a new epoch", async () => {
    const f = await deployDispatcher();
    const routes = await routesTo(f.v1);
    const tree = await commit(f, routes);
    await applyAll(f, tree);
    await time.increase(DELAY + EXPIRY + 1);
    await expectRevert(sendActivate(f, tree), "RootExpired");
    await cancelAll(f);
    await upgrade(f, routes);
    expect(await f.dispatcher.activeEpoch()).toBe(2n);
    void randomBytes;
  });
});
