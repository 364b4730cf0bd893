import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import fc from "fast-check";
import { getAddress, id, keccak256, toBeHex, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import {
  assertNotDrifted,
  buildManifestTree,
  cancelChunkSize,
  diffManifest,
  diffRouting,
  DriftError,
  GAS_MODEL,
  HEADER_SELECTOR,
  LEAF_ENCODING,
  MANIFEST_FORMAT,
  manifestRoot,
  nextManifest,
  planBatches,
  PlanError,
  type Manifest,
  type ManifestEntry,
} from "../../src/index.js";

/** A synthetic manifest of `n` routes spread over `facets` facets. */
function synthetic(n: number, facets = 3): Manifest {
  const entries: ManifestEntry[] = Array.from({ length: n }, (_, i) => {
    const signature = `fn${i}(uint256)`;
    const f = i % facets;
    return {
      selector: id(signature).slice(0, 10),
      signature,
      facet: getAddress(toBeHex(0x1000 + f, 20)),
      facetName: `Facet${f}`,
      codehash: keccak256(toBeHex(f + 1, 32)),
    };
  }).sort((a, b) => (a.selector < b.selector ? -1 : 1));
  return { format: MANIFEST_FORMAT, name: "synthetic", baseEpoch: 0, previousRoot: ZeroHash, leafEncoding: [...LEAF_ENCODING], root: manifestRoot(entries), entries };
}

describe("planBatches", () => {
  it("covers every leaf exactly once, within the cap and the size limit", () => {
    const manifest = synthetic(1000);
    const plan = planBatches(manifest, { gasCap: 4_250_000, maxBatchSize: 300 });
    const selectors = plan.batches.flatMap((b) => b.routes.map((r) => r.selector));
    expect(new Set(selectors).size).toBe(1000);
    expect(selectors).toHaveLength(1000);
    for (const b of plan.batches) {
      expect(b.estimatedGas).toBeLessThanOrEqual(4_250_000);
      expect(b.routes.length).toBeLessThanOrEqual(300);
    }
    // 1,000 replacements at ~30k each under 4.25M: about 8 transactions, not 20
    expect(plan.batches.length).toBeGreaterThanOrEqual(7);
    expect(plan.batches.length).toBeLessThanOrEqual(9);
  });

  it("packs more leaves per batch when it knows the selectors are new", () => {
    const manifest = synthetic(1000);
    const worst = planBatches(manifest);
    const fresh = planBatches(manifest, { existingSelectors: new Set() });
    expect(fresh.batches.length).toBeLessThan(worst.batches.length);
    expect(fresh.totalEstimatedGas).toBeLessThan(worst.totalEstimatedGas);
  });

  it("is deterministic and every batch's proof verifies against the root", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 200_000, max: 5_000_000 }), fc.integer({ min: 1, max: 300 }), (n, facets, gasCap, maxBatchSize) => {
        const manifest = synthetic(n, facets);
        const a = planBatches(manifest, { gasCap, maxBatchSize });
        expect(planBatches(manifest, { gasCap, maxBatchSize })).toEqual(a);
        const tree = buildManifestTree(manifest.entries);
        for (const b of a.batches) {
          expect(b.estimatedGas).toBeLessThanOrEqual(gasCap);
          expect(b.routes.length).toBeLessThanOrEqual(maxBatchSize);
          const flags = [...Array(b.routes.length + b.proof.length - 1).keys()].map((i) => ((parseInt(b.proofFlags.slice(2 + 2 * (i >> 3), 4 + 2 * (i >> 3)), 16) >> (i & 7)) & 1) === 1);
          expect(b.routes.map((r) => r.selector)).not.toContain(HEADER_SELECTOR); // the header is proven at commit, never applied
          expect(StandardMerkleTree.verifyMultiProof(tree.root, [...LEAF_ENCODING], { leaves: b.routes.map((r) => [r.selector, r.facet, r.codehash] as [string, string, string]), proof: b.proof, proofFlags: flags })).toBe(true);
        }
        expect(a.batches.reduce((s, b) => s + b.routes.length, 0)).toBe(n);
      }),
      { numRuns: 25 },
    );
  });

  it("plans under the network's per-transaction limit when it is below the gas cap", () => {
    const manifest = synthetic(40, 3);
    const capped = planBatches(manifest, { gasCap: 30_000_000, maxTxGas: 400_000 });
    expect(capped.gasCap).toBe(400_000);
    expect(capped.batches.length).toBeGreaterThan(planBatches(manifest, { gasCap: 30_000_000 }).batches.length);
    for (const b of capped.batches) expect(b.estimatedGas).toBeLessThanOrEqual(400_000);
    expect(planBatches(manifest, { gasCap: 1_000_000, maxTxGas: 16_777_216 }).gasCap).toBe(1_000_000);
  });

  it("sizes cancel chunks by the network's limit: 60,000 fixed + 12,000 per route", () => {
    expect(cancelChunkSize(16_777_216)).toBe(1_393);
    expect(cancelChunkSize(84_000)).toBe(2);
    expect(cancelChunkSize(50_000)).toBe(1);
  });

  it("rejects impossible limits and a root that does not match", () => {
    const manifest = synthetic(5);
    expect(() => planBatches(manifest, { gasCap: 50_000 })).toThrow(PlanError);
    expect(() => planBatches(manifest, { maxBatchSize: 0 })).toThrow(/max batch size/);
    expect(() => planBatches({ ...manifest, root: ZeroHash })).toThrow(/does not match/);
    expect(GAS_MODEL.newLeaf).toBeLessThan(GAS_MODEL.replaceLeaf);
  });
});

describe("diffRouting", () => {
  const facetA = getAddress(toBeHex(0xa, 20));
  const facetB = getAddress(toBeHex(0xb, 20));
  const entry = (signature: string, facet: string): ManifestEntry => ({ selector: id(signature).slice(0, 10), signature, facet, facetName: facet === facetA ? "A" : "B", codehash: keccak256(facet) });

  it("splits desired vs live into add, replace, remove and unchanged, ignoring protected selectors", () => {
    const live = {
      activeEpoch: 3n,
      activeRoot: keccak256("0x01"),
      routes: new Map([
        [entry("keep()", facetA).selector, facetA],
        [entry("move()", facetA).selector, facetA],
        [entry("drop()", facetA).selector, facetA],
        ["0x7a0ed627", getAddress(toBeHex(0xad, 20))], // facets(): the dispatcher's own
      ]),
    };
    const desired = [entry("keep()", facetA), entry("move()", facetB), entry("new()", facetB)];
    const diff = diffRouting(desired, live);
    expect(diff.add.map((e) => e.signature)).toEqual(["new()"]);
    expect(diff.replace.map((r) => [r.entry.signature, r.from])).toEqual([["move()", facetA]]);
    expect(diff.remove.map((e) => e.selector)).toEqual([entry("drop()", facetA).selector]);
    expect(diff.unchanged).toBe(1);

    const next = nextManifest("next", desired, live, new Map([[entry("drop()", facetA).selector, "drop()"]]))!;
    expect(next.baseEpoch).toBe(3);
    expect(next.previousRoot).toBe(live.activeRoot);
    expect(next.entries.map((e) => e.signature).sort()).toEqual(["drop()", "move()", "new()"]);
    expect(nextManifest("same", [entry("keep()", facetA), entry("move()", facetA), entry("drop()", facetA)], live)).toBeUndefined();
  });

  it("diffManifest gives a manifest's own changes on a live routing: what diffRouting gave for the routing it was built from", () => {
    // Prepare
    const live = {
      activeEpoch: 3n,
      activeRoot: keccak256("0x01"),
      routes: new Map([
        [entry("keep()", facetA).selector, facetA],
        [entry("move()", facetA).selector, facetA],
        [entry("drop()", facetA).selector, facetA],
        [entry("other()", facetA).selector, facetA],
      ]),
    };
    const desired = [entry("keep()", facetA), entry("move()", facetB), entry("new()", facetB), entry("other()", facetA)];
    const next = nextManifest("next", desired, live, new Map([[entry("drop()", facetA).selector, "drop()"]]))!;
    const notLive = { ...entry("gone()", facetA), facet: ZeroAddress, facetName: "", codehash: ZeroHash };
    // Act
    const changes = diffManifest([...next.entries, notLive, entry("keep()", facetA)], live);
    // Assess
    const routed = diffRouting(desired, live);
    expect(changes.add).toEqual(routed.add);
    expect(changes.replace).toEqual(routed.replace);
    expect(changes.remove.map((e) => [e.selector, e.signature])).toEqual([[entry("drop()", facetA).selector, "drop()"]]);
    expect(changes.unchanged).toBe(1);
    expect(changes.removeNotLive.map((e) => e.selector)).toEqual([notLive.selector]);
  });

  it("reports a dispatcher that is not at the manifest's base epoch and root as drifted", () => {
    const manifest = { baseEpoch: 2, previousRoot: keccak256("0x02") };
    expect(() => assertNotDrifted(manifest, { activeEpoch: 2n, activeRoot: keccak256("0x02") })).not.toThrow();
    expect(() => assertNotDrifted(manifest, { activeEpoch: 3n, activeRoot: keccak256("0x02") })).toThrow(DriftError);
    expect(() => assertNotDrifted(manifest, { activeEpoch: 2n, activeRoot: keccak256("0x03") })).toThrow(/drifted: manifest expects epoch 2/);
  });
});
