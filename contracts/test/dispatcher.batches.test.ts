import { concat, hexlify, keccak256, toBeHex, ZeroAddress } from "ethers";
import { describe, expect, it } from "vitest";
import { manifestBinding } from "@payrox/core";
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
  ethers,
  expectRevert,
  hre,
  MAX_BATCH,
  routed,
  routesTo,
  sendActivate,
  sendCommit,
  time,
  type DispatcherFixture,
  type ManifestTree,
  type RouteLeaf,
} from "./fixtures.js";

type Batch = ReturnType<typeof encodeBatch>;

/**
 * A batch over any of the tree's values, the header leaf (value `tree.leafCount`) included — which
 * `encodeBatch` refuses to encode.
 */
function rawBatch(tree: ManifestTree, values: number[]): Pick<Batch, "facets" | "initHash" | "leaves" | "proof" | "proofFlags"> {
  const multi = tree.tree.getMultiProof(values);
  const { facets, initHash } = encodeBatch(tree, [0]);
  const packed: string[] = [];
  for (const [selector, facet, codehash] of multi.leaves) {
    const index = facets.findIndex((p) => p.facet === facet && p.codehash === codehash);
    packed.push(selector, toBeHex(index < 0 ? 255 : index, 1));
  }
  const flags = new Uint8Array(Math.ceil(multi.proofFlags.length / 8));
  multi.proofFlags.forEach((flag, i) => {
    if (flag) flags[i >> 3] |= 1 << (i & 7);
  });
  return { facets, initHash, leaves: concat(packed), proof: multi.proof, proofFlags: hexlify(flags) };
}

function apply(f: DispatcherFixture, b: Pick<Batch, "facets" | "initHash" | "leaves" | "proof" | "proofFlags">) {
  return f.router.connect(f.applier).getFunction("applyRoutes")(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags);
}

async function setCode(address: string, code: string) {
  await hre.network.provider.send("hardhat_setCode", [address, code]);
}

describe("ManifestDispatcher.applyRoutes", () => {
  it("applies a 64-selector manifest in many multiproof batches and routes every selector", async () => {
    const f = await deployDispatcher();
    const routes = await routesTo(f.bench);
    const tree = await commit(f, routes);
    await applyAll(f, tree, 7);
    expect(await f.dispatcher.pendingProgress()).toEqual([64n, 64n]);
    await activate(f, tree);
    const bench = routed(f, f.bench);
    for (let i = 0; i < 62; i += 13) expect(await bench.getFunction(`f${String(i).padStart(2, "0")}`)()).toBe(BigInt(i));
    await (await bench.store(99n)).wait();
    expect(await bench.stored()).toBe(99n);
  });

  it("accepts batches in any order of the tree's leaves, including single-leaf proofs", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.bench, ["f00", "f01", "f02", "f03", "f04"]));
    for (const indices of [[4], [0, 2], [3, 1]]) await (await apply(f, encodeBatch(tree, indices))).wait();
    await activate(f, tree);
    expect(await routed(f, f.bench).f03()).toBe(3n);
  });

  it("rejects a proof for another root, a tampered leaf and a wrong facet index (InvalidProof)", async () => {
    const f = await deployDispatcher();
    const routes = await routesTo(f.v1);
    const tree = await commit(f, routes);
    const good = encodeBatch(tree, [0, 1]);

    // another tree over the same facet list (so the batch's facet table is the bound one)
    const other = buildManifestTree(routes.slice(0, 3));
    await expectRevert(apply(f, encodeBatch(other, [0, 1])), "InvalidProof");

    // tampered selector: flip one byte of the first packed leaf
    const tampered = { ...good, leaves: "0x" + (parseInt(good.leaves.slice(2, 4), 16) ^ 1).toString(16).padStart(2, "0") + good.leaves.slice(4) };
    await expectRevert(apply(f, tampered), "InvalidProof");

    // a facet table other than the bound list: pointing the leaves at another (real) facet is refused whole
    const swapped = { ...good, facets: [{ facet: await f.v2.getAddress(), codehash: await codehashOf(f.v2) }] };
    await expectRevert(apply(f, swapped), "ManifestBindingMismatch", [tree.binding, manifestBinding(swapped.facets)]);
    await expectRevert(apply(f, { ...good, initHash: keccak256("0x01") }), "ManifestBindingMismatch");
    // a leaf marked as a removal (index 255) while the tree routes it
    const asRemoval = good.leaves.slice(0, 10) + "ff" + good.leaves.slice(12);
    await expectRevert(apply(f, { ...good, leaves: asRemoval }), "InvalidProof");

    // a sibling of the proof changed
    const single = encodeBatch(tree, [0]);
    await expectRevert(apply(f, { ...single, proof: [keccak256("0x01"), ...single.proof.slice(1)] }), "InvalidProof");
    expect(await f.dispatcher.pendingProgress()).toEqual([0n, BigInt(tree.leafCount)]);
  });

  it("rejects malformed batches (MalformedBatch)", async () => {
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const good = encodeBatch(tree, [0, 1]);
    await expectRevert(apply(f, { ...good, leaves: good.leaves + "00" }), "MalformedBatch"); // not a multiple of 5 bytes
    const badIndex = good.leaves.slice(0, 10) + "07" + good.leaves.slice(12);
    await expectRevert(apply(f, { ...good, leaves: badIndex }), "MalformedBatch"); // facet index out of range
    await expectRevert(apply(f, { ...good, proofFlags: good.proofFlags + "00" }), "MalformedBatch"); // flag bitmap length
  });

  it("rejects a selector already staged in the same batch or an earlier batch (DuplicateSelector)", async () => {
    const f = await deployDispatcher();
    const routes = await routesTo(f.v1);
    const tree = await commit(f, routes);
    const batch = encodeBatch(tree, [0]);
    await (await apply(f, batch)).wait();
    await expectRevert(apply(f, batch), "DuplicateSelector", [batch.routes[0].selector]);

    // one manifest that routes one selector to two facets: the second leaf is a duplicate
    const f2 = await deployDispatcher();
    const clash: RouteLeaf[] = [(await routesTo(f2.v1, ["version"]))[0], (await routesTo(f2.v2, ["version"]))[0]];
    const clashTree = await commit(f2, clash);
    await expectRevert(apply(f2, encodeBatch(clashTree, [0, 1])), "DuplicateSelector", [clash[0].selector]);
  });

  it("enforces the batch size limit and the committed leaf count, which the tree's header fixes", async () => {
    const f = await deployDispatcher();
    const routes = await routesTo(f.bench);
    // v1 let a commit claim fewer leaves than the tree holds; the v2 header leaf refuses it
    const whole = buildManifestTree(routes);
    await expectRevert(sendCommit(f, whole, { leafCount: 10 }), "ManifestHeaderMismatch", [whole.root, 10n]);
    const tree = await commit(f, routes.slice(0, 10));
    expect(tree.leafCount).toBe(10);
    // 11 proven leaves (the 10 routes and the header) exceed the count before anything is staged
    await expectRevert(apply(f, rawBatch(tree, [...Array(11).keys()])), "LeafCountExceeded", [11n, 10n]);
    expect(await f.dispatcher.pendingProgress()).toEqual([0n, 10n]);
    await (await apply(f, encodeBatch(tree, [...Array(10).keys()]))).wait();
    // once every route is applied, any further leaf exceeds it (checked before the duplicate)
    await expectRevert(apply(f, encodeBatch(tree, [3])), "LeafCountExceeded", [11n, 10n]);
    await expectRevert(apply(f, rawBatch(tree, [10])), "LeafCountExceeded", [11n, 10n]);
    expect(await f.dispatcher.pendingProgress()).toEqual([10n, 10n]);

    // BatchTooLarge: a dispatcher whose limit is 4
    const [admin] = await ethers.getSigners();
    const small = await (await ethers.getContractFactory("ManifestDispatcher")).deploy(admin.address, 3600, 1, DELAY, 3600, 4);
    const smallAdmin = await ethers.getContractAt("DispatcherAdminFacet", await small.getAddress());
    await (await smallAdmin.grantRole(await smallAdmin.COMMIT_ROLE(), admin.address)).wait();
    await (await smallAdmin.grantRole(await smallAdmin.APPLY_ROLE(), admin.address)).wait();
    const t = buildManifestTree(routes.slice(0, 5));
    await (await small.commitRoot(t.root, 1n, t.leafCount, t.binding, t.headerProof)).wait();
    const b = encodeBatch(t, [0, 1, 2, 3, 4]);
    await expectRevert(small.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags), "BatchTooLarge", [5n, 4n]);
    expect(MAX_BATCH).toBe(300);
  });

  it("never routes the dispatcher's own selectors or 0x00000000 (ProtectedSelector)", async () => {
    const f = await deployDispatcher();
    const v1 = await f.v1.getAddress();
    const codehash = await codehashOf(f.v1);
    const own = [
      f.router.interface.getFunction("commitRoot")!.selector,
      f.dispatcher.interface.getFunction("grantRole")!.selector,
      f.dispatcher.interface.getFunction("facets")!.selector,
      "0x00000000",
    ];
    for (const selector of own) {
      const f2 = await deployDispatcher();
      const tree = await commit(f2, [{ selector, facet: v1, codehash }, ...(await routesTo(f2.v1, ["version"]))]);
      await expectRevert(apply(f2, encodeBatch(tree, [0, 1])), "ProtectedSelector", [selector]);
    }
    expect(await f.dispatcher.facetAddress(own[1])).toBe(f.adminFacet);
  });

  it("rejects a facet without code, over 24,576 bytes, or with another code hash", async () => {
    const f = await deployDispatcher();
    const selector = f.v1.interface.getFunction("version")!.selector;
    const empty = ethers.Wallet.createRandom().address;
    const noCode = await commit(f, [{ selector, facet: empty, codehash: keccak256("0x") }]);
    await expectRevert(apply(f, encodeBatch(noCode, [0])), "FacetHasNoCode", [empty]);
    await cancelAll(f);

    // oversized: EIP-170 is enforced at deployment, so install 24,577 bytes with hardhat_setCode
    const big = ethers.Wallet.createRandom().address;
    const bigCode = "0x" + "5b".repeat(24_577);
    await setCode(big, bigCode);
    const tooLarge = await commit(f, [{ selector, facet: big, codehash: keccak256(bigCode) }]);
    await expectRevert(apply(f, encodeBatch(tooLarge, [0])), "FacetTooLarge", [big, 24_577n]);
    await cancelAll(f);

    // exactly 24,576 bytes is fine
    const max = ethers.Wallet.createRandom().address;
    const maxCode = "0x" + "5b".repeat(24_576);
    await setCode(max, maxCode);
    const atLimit = await commit(f, [{ selector, facet: max, codehash: keccak256(maxCode) }]);
    await (await apply(f, encodeBatch(atLimit, [0]))).wait();
    expect(await f.dispatcher.pendingProgress()).toEqual([1n, 1n]);
    await cancelAll(f);

    const v1 = await f.v1.getAddress();
    const wrong = keccak256("0x1234");
    const mismatch = await commit(f, [{ selector, facet: v1, codehash: wrong }]);
    const actual = await codehashOf(v1);
    await expectRevert(apply(f, encodeBatch(mismatch, [0])), "CodehashMismatch", [v1, wrong, actual]);
  });

  it("rejects the dispatcher itself or its admin facet as a facet (InvalidFacet)", async () => {
    const f = await deployDispatcher();
    const selector = "0x12345678";
    for (const facet of [f.address, f.adminFacet]) {
      const f2 = await deployDispatcher();
      const tree = await commit(f2, [{ selector, facet, codehash: await codehashOf(facet) }]);
      await expectRevert(apply(f2, encodeBatch(tree, [0])), "InvalidFacet", [facet]);
    }
  });

  it("rejects an EIP-7702 delegated account as a facet (its code can change after activation)", async () => {
    const f = await deployDispatcher();
    const eoa = ethers.Wallet.createRandom().address;
    const designator = "0xef0100" + (await f.v1.getAddress()).slice(2).toLowerCase();
    await setCode(eoa, designator);
    const tree = await commit(f, [{ selector: "0x12345678", facet: eoa, codehash: keccak256(designator) }]);
    await expectRevert(apply(f, encodeBatch(tree, [0])), "InvalidFacet", [eoa]);

    // 23 bytes of ordinary code are fine
    const plain = ethers.Wallet.createRandom().address;
    const code = "0x" + "5b".repeat(22) + "00";
    await setCode(plain, code);
    await cancelAll(f);
    const ok = await commit(f, [{ selector: "0x12345678", facet: plain, codehash: keccak256(code) }]);
    await (await apply(f, encodeBatch(ok, [0]))).wait();
    expect(await f.dispatcher.pendingProgress()).toEqual([1n, 1n]);
  });

  it("re-verifies code hashes at activation: changed code → CodehashMismatch and nothing goes live", async () => {
    const f = await deployDispatcher();
    await activateWith(f, await routesTo(f.v1, ["version", "count"]));
    const v1 = routed(f, f.v1);
    const tree = await commit(f, [...(await routesTo(f.v2, ["version"])), ...(await routesTo(f.bench, ["f01"]))]);
    await applyAll(f, tree);
    const v2 = await f.v2.getAddress();
    const expected = await codehashOf(v2);
    const v1Code = await ethers.provider.getCode(await f.v1.getAddress());
    await setCode(v2, v1Code); // the facet's code changes after apply
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "CodehashMismatch", [v2, expected, keccak256(v1Code)]);
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
    expect(await v1.version()).toBe(1n); // the live route still answers from V1
    await expectRevert(routed(f, f.bench).f01(), "FunctionNotFound");
    expect(await f.dispatcher.facetAddress(f.bench.interface.getFunction("f01")!.selector)).toBe(ZeroAddress);
  });

  it("catches a manifest that pins two code hashes for one facet across batches", async () => {
    // A facet whose code changes between two batches of one manifest (e.g. a metamorphic contract):
    // each batch's EXTCODEHASH check passes, but activation must not. v2 stores no pins: the manifest's
    // facet list, bound at commit, carries both pins and activation re-verifies every one.
    const f = await deployDispatcher();
    const shifty = ethers.Wallet.createRandom().address;
    const codeA = "0x" + "5b".repeat(10) + "00";
    const codeB = "0x" + "5b".repeat(11) + "00";
    const tree = await commit(f, [
      { selector: "0x11111111", facet: shifty, codehash: keccak256(codeA) },
      { selector: "0x22222222", facet: shifty, codehash: keccak256(codeB) },
    ]);
    const index = (sel: string) => [...Array(tree.leafCount).keys()].find((i) => tree.route(i).selector === sel)!;
    expect(tree.facets.filter((p) => p.facet === shifty).map((p) => p.codehash).sort()).toEqual([keccak256(codeA), keccak256(codeB)].sort());
    await setCode(shifty, codeA);
    await (await apply(f, encodeBatch(tree, [index("0x11111111")]))).wait();
    await setCode(shifty, codeB);
    await (await apply(f, encodeBatch(tree, [index("0x22222222")]))).wait();
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, tree), "CodehashMismatch", [shifty, keccak256(codeA), keccak256(codeB)]);
    // the stale pin can't be dropped from the list at activation: the commit bound it
    const current = tree.facets.filter((p) => p.codehash === keccak256(codeB));
    await expectRevert(sendActivate(f, tree, { facets: current }), "ManifestBindingMismatch");
    expect(await f.dispatcher.activeEpoch()).toBe(0n);
  });

  it("re-verifies each distinct facet once at activation, whatever the number of batches", async () => {
    // Prepare: the same 65-leaf, 2-facet manifest applied in 13 batches, then (fresh chain) in 1
    const activationGas = async (batchSize: number) => {
      const f = await deployDispatcher();
      const tree = await commit(f, [...(await routesTo(f.bench)), ...(await routesTo(f.v2, ["decrement"]))]);
      expect(tree.facets).toHaveLength(2);
      await applyAll(f, tree, batchSize);
      await time.increase(DELAY);
      const receipt = await (await sendActivate(f, tree)).wait();
      expect(await routed(f, f.v2).getFunction("decrement").staticCall().catch((e: Error) => e.message)).toMatch(/CounterUnderflow/);
      return Number(receipt.gasUsed);
    };
    // Act
    const many = await activationGas(5);
    const one = await activationGas(MAX_BATCH);
    // Assess: the activation checks the 2 facets of its list, not one pin per batch
    expect(many).toBeLessThan(60_000);
    expect(many).toBe(one);
  });
});

async function activateWith(f: DispatcherFixture, routes: RouteLeaf[]) {
  const tree = await commit(f, routes);
  await applyAll(f, tree);
  await activate(f, tree);
  return tree;
}

