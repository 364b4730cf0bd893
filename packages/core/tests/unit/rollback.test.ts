/**
 * rollbackManifest: V1 → V2 (adds, replaces and removes) → back to V1's route set, offline and against a
 * live routing, and the refusals when the applied manifests can't describe the way back.
 */
import { getAddress, id, keccak256, toBeHex, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import {
  compareEntries,
  isRemoval,
  LEAF_ENCODING,
  MANIFEST_FORMAT,
  manifestRoot,
  parseManifest,
  removal,
  RollbackError,
  rollbackManifest,
  serializeManifest,
  type LiveRouting,
  type Manifest,
  type ManifestEntry,
} from "../../src/index.js";

const A = getAddress(toBeHex(0xa, 20));
const B = getAddress(toBeHex(0xb, 20));
const C = getAddress(toBeHex(0xc, 20));

function route(signature: string, facet: string): ManifestEntry {
  return { selector: id(signature).slice(0, 10), signature, facet, facetName: `Facet${facet.slice(-1)}`, codehash: keccak256(facet) };
}

function remove(signature: string): ManifestEntry {
  return { ...removal(id(signature).slice(0, 10)), signature, facetName: "" };
}

function manifest(name: string, base: { epoch: number; root: string }, entries: ManifestEntry[]): Manifest {
  const sorted = [...entries].sort(compareEntries);
  return { format: MANIFEST_FORMAT, name, baseEpoch: base.epoch, previousRoot: base.root, leafEncoding: [...LEAF_ENCODING], root: manifestRoot(sorted), entries: sorted };
}

/** The route set (selector → facet:codehash) after applying `manifests` in order to an empty dispatcher. */
function routeSet(manifests: readonly Manifest[]): Map<string, string> {
  const routes = new Map<string, string>();
  for (const m of manifests) for (const e of m.entries) isRemoval(e) ? routes.delete(e.selector) : routes.set(e.selector, `${e.facet}:${e.codehash}`);
  return routes;
}

/** The live routing after `manifests`, at `epoch`. */
function liveAfter(manifests: readonly Manifest[], epoch: number): LiveRouting {
  return { activeEpoch: BigInt(epoch), activeRoot: manifests[manifests.length - 1].root, routes: new Map([...routeSet(manifests)].map(([s, v]) => [s, v.split(":")[0]])) };
}

const v1 = manifest("v1", { epoch: 0, root: ZeroHash }, [route("keep()", A), route("swap()", A), route("drop()", A), route("swap2()", A)]);
// V2 adds fresh() on B, replaces swap() and swap2() with B, removes drop().
const v2 = manifest("v2", { epoch: 1, root: v1.root }, [route("fresh()", B), route("swap()", B), route("swap2()", B), remove("drop()")]);

describe("rollbackManifest", () => {
  it("restores V1's route set exactly after V2 added, replaced and removed selectors", () => {
    // Act
    const { manifest: back, diff, touched } = rollbackManifest({ name: "back-to-v1", applied: [v1, v2], to: v1.root });

    // Assess
    expect(back).toBeDefined();
    expect(routeSet([v1, v2, back!])).toEqual(routeSet([v1]));
    expect(diff.add.map((e) => e.signature)).toEqual(["drop()"]);
    expect(diff.replace.map((r) => [r.entry.signature, r.from, r.entry.facet]).sort()).toEqual([["swap()", B, A], ["swap2()", B, A]]);
    expect(back!.entries.filter(isRemoval)).toEqual([remove("fresh()")]);
    expect(back!.entries.find((e) => e.signature === "swap()")).toEqual(route("swap()", A)); // facet and codehash of V1
    expect(touched).toHaveLength(4);
    expect(back).toMatchObject({ name: "back-to-v1", baseEpoch: 2, previousRoot: v2.root });
    expect(parseManifest(serializeManifest(back!))).toEqual(back);
  });

  it("builds on the live epoch and root, and routes back a touched selector the emergency role disabled", () => {
    // Prepare: committed at epoch 4 (two cancelled commitments since V1), fresh() disabled live.
    const live = liveAfter([v1, v2], 4);
    (live.routes as Map<string, string>).delete(route("fresh()", B).selector);
    (live.routes as Map<string, string>).delete(route("swap()", B).selector);

    // Act
    const { manifest: back } = rollbackManifest({ name: "back", applied: [v1, v2], to: 0, live });

    // Assess
    expect(back).toMatchObject({ baseEpoch: 4, previousRoot: v2.root });
    expect(back!.entries.map((e) => e.signature)).not.toContain("fresh()"); // not live: nothing to remove
    expect(back!.entries).toContainEqual(route("swap()", A)); // disabled: added back
    expect(routeSet([v1])).toEqual(new Map([...routeSet([v1, v2, back!])].filter(([s]) => s !== route("fresh()", B).selector)));
  });

  it("gives V1's own root when V2 replaced every V1 route and nothing else", () => {
    // Prepare
    const all = manifest("all-b", { epoch: 1, root: v1.root }, v1.entries.map((e) => route(e.signature, B)));

    // Act
    const { manifest: back } = rollbackManifest({ name: "v1", applied: [v1, all], to: v1.root });

    // Assess
    expect(back!.entries).toEqual(v1.entries);
    expect(back!.root).toBe(v1.root);
  });

  it("returns the route set of a middle manifest when more were applied after it, and nothing when the target is the last", () => {
    // Prepare
    const v3 = manifest("v3", { epoch: 2, root: v2.root }, [route("swap()", C), route("drop()", C), remove("keep()")]);

    // Act
    const toV2 = rollbackManifest({ name: "to-v2", applied: [v1, v2, v3], to: v2.root });
    const toV3 = rollbackManifest({ name: "to-v3", applied: [v1, v2, v3], to: 2 });

    // Assess
    expect(routeSet([v1, v2, v3, toV2.manifest!])).toEqual(routeSet([v1, v2]));
    expect(toV2.manifest!.entries).toHaveLength(3);
    expect(toV3.manifest).toBeUndefined();
  });

  it("refuses manifests out of order, a target not applied, an unknown earlier route and a live state elsewhere (RollbackError)", () => {
    // Prepare
    const v3 = manifest("v3", { epoch: 2, root: v2.root }, [route("other()", C)]);
    const cases: [Parameters<typeof rollbackManifest>[0], string, RegExp][] = [
      [{ name: "x", applied: [], to: 0 }, "no-applied", /no applied manifests/],
      [{ name: "x", applied: [v2, v1], to: 0 }, "broken-chain", /applied\[1\] "v1" was built on epoch 0.*list the activated manifests in order, none missing/],
      [{ name: "x", applied: [v1, v3], to: 0 }, "broken-chain", /applied\[1\] "v3"/],
      [{ name: "x", applied: [v1, v2], to: "0x" + "ab".repeat(32) }, "target-not-applied", /is not among the 2 applied manifests/],
      [{ name: "x", applied: [v1, v2], to: 2 }, "target-not-applied", /#2/],
      [{ name: "x", applied: [v2, v3], to: 0 }, "unknown-earlier-route", /selector 0x[0-9a-f]{8} \(other\(\)\) was first changed by "v3".*list the applied manifests from epoch 0/],
      [{ name: "x", applied: [v1, v2], to: 0, live: liveAfter([v1], 1) }, "live-mismatch", /active root is 0x[0-9a-f]{64} \(epoch 1\), but the last applied manifest "v2"/],
    ];

    for (const [params, problem, message] of cases) {
      // Act
      const run = () => rollbackManifest(params);

      // Assess
      expect(run, problem).toThrow(RollbackError);
      expect(run).toThrow(message);
      expect(() => run()).toThrow(expect.objectContaining({ problem }));
    }
  });

  it("restores a selector V2 removed and V3 added back elsewhere to V1's facet (the last entry before the target wins)", () => {
    // Prepare
    const v3 = manifest("v3", { epoch: 2, root: v2.root }, [route("drop()", C)]);

    // Act
    const { manifest: back } = rollbackManifest({ name: "x", applied: [v1, v2, v3], to: 0 });

    // Assess
    expect(back!.entries.find((e) => e.signature === "drop()")).toEqual(route("drop()", A));
    expect(routeSet([v1, v2, v3, back!])).toEqual(routeSet([v1]));
    expect(back!.entries.every((e) => e.facet !== ZeroAddress || e.signature !== "")).toBe(true);
  });
});
