/**
 * Differential test: our route tree against OpenZeppelin's `@openzeppelin/merkle-tree` (the reference the
 * dispatcher's `MerkleProof` verification is written for), on random manifests — roots, every proof,
 * multiproofs (leaves in order, proof, flags), leaf order, and the encoded `applyRoutes` batches.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { AbiCoder, getAddress, hexlify, keccak256, toBeHex, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import { buildManifestTree, encodeBatch, encodeBatches, facetPinsOf, headerLeaf, indicesInTreeOrder, initializerHash, LEAF_ENCODING, manifestBinding, type RouteLeaf } from "../../src/index.js";
import { RouteMerkleTree } from "../../src/manifest/route-tree.js";

type Value = [string, string, string];

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => hexlify(b));

/** Random route leaves: distinct selectors, a few facets (checksummed, some with a second code hash), some removals. */
const routesArb = fc
  .record({
    selectors: fc.uniqueArray(bytes(4), { minLength: 1, maxLength: 400, selector: (s) => s }),
    facets: fc.array(fc.record({ facet: bytes(20).map((a) => getAddress(a)), codehash: bytes(32) }), { minLength: 1, maxLength: 12 }),
    picks: fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
  })
  .map(({ selectors, facets, picks }): RouteLeaf[] =>
    selectors.map((selector, i) => {
      const pick = picks[i] % (facets.length + 1);
      return pick === facets.length ? { selector, facet: ZeroAddress, codehash: ZeroHash } : { selector, ...facets[pick] };
    }),
  );

const initArb = fc.option(fc.record({ facet: bytes(20).map((a) => getAddress(a)), codehash: bytes(32), data: fc.uint8Array({ maxLength: 100 }).map((b) => hexlify(b)) }), { nil: undefined });

/** The reference: OpenZeppelin's tree over the same values (routes then header, as buildManifestTree orders them). */
function reference(routes: readonly RouteLeaf[], binding: string): StandardMerkleTree<Value> {
  const values: Value[] = routes.map((r) => [r.selector, r.facet, r.codehash]);
  values.push(headerLeaf(routes.length, binding));
  return StandardMerkleTree.of(values, [...LEAF_ENCODING]);
}

/** OpenZeppelin's multiproof encoded as encodeBatch encodes it (packed selector ‖ facet index, flag bitmap). */
function referenceBatch(oz: StandardMerkleTree<Value>, facets: readonly { facet: string; codehash: string }[], indices: number[]) {
  const multi = oz.getMultiProof(indices);
  const leaves =
    "0x" +
    multi.leaves
      .map(([selector, facet, codehash]) => {
        const i = facet === ZeroAddress ? 255 : facets.findIndex((p) => p.facet === facet && p.codehash === codehash);
        return selector.slice(2) + toBeHex(i, 1).slice(2);
      })
      .join("");
  const flags = new Uint8Array(Math.ceil(multi.proofFlags.length / 8));
  multi.proofFlags.forEach((flag, i) => flag && (flags[i >> 3] |= 1 << (i & 7)));
  return { leaves: multi.leaves.length ? leaves : "0x", proof: multi.proof, proofFlags: hexlify(flags), routes: multi.leaves.map(([selector, facet, codehash]) => ({ selector, facet, codehash })) };
}

describe("RouteMerkleTree", () => {
  it("gives OpenZeppelin's root, values, proofs and leaf order on random manifests", () => {
    fc.assert(
      fc.property(routesArb, initArb, (routes, init) => {
        // Prepare
        const ours = buildManifestTree(routes, init);
        const oz = reference(routes, ours.binding);

        // Act
        const dump = oz.dump().values;
        const ozOrder = dump.map((v, i) => ({ i, t: v.treeIndex })).sort((a, b) => b.t - a.t).map((p) => p.i);

        // Assess
        expect(ours.root).toBe(oz.root);
        expect(ours.tree.length).toBe(oz.length);
        for (let i = 0; i < oz.length; i++) {
          expect(ours.tree.at(i)).toEqual(oz.at(i));
          expect(ours.tree.getProof(i)).toEqual(oz.getProof(i));
        }
        expect(ours.headerProof).toEqual(oz.getProof(routes.length));
        expect(ours.tree.leafOrder()).toEqual(ozOrder);
        expect(indicesInTreeOrder(ours)).toEqual(ozOrder.filter((i) => i < routes.length));
      }),
      { numRuns: 60 },
    );
  });

  it("gives OpenZeppelin's multiproofs (leaves in order, proof, flags) for random subsets, empty and whole", () => {
    fc.assert(
      fc.property(routesArb, fc.array(fc.nat(), { maxLength: 500 }), (routes, picks) => {
        // Prepare
        const ours = buildManifestTree(routes);
        const oz = reference(routes, ours.binding);
        const all = [...Array(oz.length).keys()];
        const subset = [...new Set(picks.map((p) => p % oz.length))];

        // Act / Assess
        for (const indices of [subset, [], all, [routes.length], subset.slice(0, 1)]) {
          expect(ours.tree.getMultiProof(indices)).toEqual(oz.getMultiProof(indices));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("encodes the same applyRoutes batches as OpenZeppelin's multiproofs, in tree-order runs and random subsets", () => {
    fc.assert(
      fc.property(routesArb, initArb, fc.integer({ min: 1, max: 150 }), fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), (routes, init, size, picks) => {
        // Prepare
        const ours = buildManifestTree(routes, init);
        const oz = reference(routes, ours.binding);
        const order = indicesInTreeOrder(ours);
        const subset = [...new Set(picks.map((p) => p % routes.length))];

        // Act
        const batches = encodeBatches(ours, size);
        const random = encodeBatch(ours, subset);

        // Assess
        batches.forEach((batch, k) => {
          expect(batch).toEqual({ facets: [...ours.facets], initHash: initializerHash(init), ...referenceBatch(oz, ours.facets, order.slice(k * size, (k + 1) * size)) });
        });
        expect(random).toEqual({ facets: [...ours.facets], initHash: initializerHash(init), ...referenceBatch(oz, ours.facets, subset) });
      }),
      { numRuns: 40 },
    );
  });

  it("keeps each value's spelling, refuses a duplicate or out-of-range index, and refuses short values (OpenZeppelin pads them; a manifest never has one)", () => {
    // Prepare
    const mixed: Value[] = [
      ["0xABCDEF01", "0x" + "Ab".repeat(20), "0x" + "CD".repeat(32)],
      ["0x12345678", ZeroAddress, ZeroHash],
    ];
    const tree = RouteMerkleTree.of(mixed);
    const oz = StandardMerkleTree.of(mixed, [...LEAF_ENCODING]);

    // Assess
    expect(tree.root).toBe(oz.root);
    expect(tree.at(0)).toEqual(mixed[0]);
    expect(tree.at(2)).toBeUndefined();
    expect(() => tree.getMultiProof([1, 1])).toThrow(/twice/);
    expect(() => oz.getMultiProof([1, 1])).toThrow();
    expect(() => tree.getProof(2)).toThrow(RangeError);
    expect(() => RouteMerkleTree.of([["0x1234", ZeroAddress, ZeroHash]])).toThrow(RangeError);
    expect(() => RouteMerkleTree.of([])).toThrow(RangeError);
  });
});

describe("initializerHash, manifestBinding, headerLeaf", () => {
  it("hash what ethers' AbiCoder encodes, on random facet lists, initializers and leaf counts", () => {
    const abi = AbiCoder.defaultAbiCoder();
    fc.assert(
      fc.property(routesArb, initArb, fc.nat(), (routes, init, leafCount) => {
        // Prepare
        const facets = facetPinsOf(routes);
        const i = init ?? { facet: ZeroAddress, codehash: ZeroHash, data: "0x" };
        const initHash = keccak256(abi.encode(["address", "bytes32", "bytes32"], [i.facet, i.codehash, keccak256(i.data)]));
        const facetsHash = keccak256(abi.encode(["tuple(address,bytes32)[]"], [facets.map((f) => [f.facet, f.codehash])]));
        const binding = keccak256(abi.encode(["bytes32", "bytes32"], [facetsHash, initHash]));

        // Act / Assess
        expect(initializerHash(init)).toBe(initHash);
        expect(manifestBinding(facets, init)).toBe(binding);
        expect(headerLeaf(leafCount, binding)).toEqual(["0x00000000", ZeroAddress, keccak256(abi.encode(["uint256", "bytes32"], [leafCount, binding]))]);
      }),
      { numRuns: 100 },
    );
  });

  it("refuse what the coder refuses: a bad checksum, odd-length calldata, a negative count", () => {
    // Prepare
    const good = getAddress("0x" + "ab".repeat(20));
    const badChecksum = good.slice(0, -1) + (good.at(-1) === "B" ? "b" : "B");

    // Act / Assess
    expect(() => initializerHash({ facet: badChecksum, codehash: ZeroHash, data: "0x" })).toThrow(TypeError);
    expect(() => initializerHash({ facet: good, codehash: ZeroHash, data: "0x123" })).toThrow(TypeError);
    expect(() => headerLeaf(-1, ZeroHash)).toThrow(RangeError);
    expect(initializerHash({ facet: good.toLowerCase(), codehash: ZeroHash, data: "0x" })).toBe(initializerHash({ facet: good, codehash: ZeroHash, data: "0x" }));
  });
});
