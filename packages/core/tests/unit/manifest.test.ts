import { readFileSync } from "node:fs";
import fc from "fast-check";
import { ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import {
  buildManifest,
  ManifestInvalidError,
  manifestJsonSchema,
  manifestRoot,
  parseManifest,
  ProtectedSelectorError,
  SelectorCollisionError,
  ManifestConflictError,
  serializeManifest,
  type Manifest,
} from "../../src/index.js";
import { exampleFacet } from "./artifacts.js";

const V1 = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const V2 = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const BENCH = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";

async function sample(): Promise<Manifest> {
  return buildManifest({
    name: "sample",
    baseEpoch: 0,
    previousRoot: ZeroHash,
    facets: [exampleFacet("CounterFacetV1", V1), exampleFacet("BenchFacet", BENCH, ["store", "f07", "f08()"])],
    remove: ["0x12345678"],
  });
}

function expectInvalid(input: unknown, path: string, message?: RegExp) {
  let error: unknown;
  try {
    parseManifest(input);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ManifestInvalidError);
  const issues = (error as ManifestInvalidError).issues;
  const hit = issues.find((i) => i.path === path);
  expect(hit, `no issue at ${path}: ${JSON.stringify(issues)}`).toBeDefined();
  if (message) expect(hit!.message).toMatch(message);
}

describe("serializeManifest", () => {
  it("gives the same bytes and root for any order of the same entries", async () => {
    const manifest = await sample();
    const bytes = serializeManifest(manifest);
    await fc.assert(
      fc.property(fc.shuffledSubarray(manifest.entries, { minLength: manifest.entries.length, maxLength: manifest.entries.length }), (entries) => {
        expect(manifestRoot(entries)).toBe(manifest.root);
        expect(serializeManifest({ ...manifest, entries })).toBe(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips through parseManifest unchanged", async () => {
    const bytes = serializeManifest(await sample());
    expect(serializeManifest(parseManifest(bytes))).toBe(bytes);
  });

  it("ships a JSON Schema identical to the one generated from the zod schema", () => {
    const shipped = readFileSync(new URL("../../schema/manifest-v2.schema.json", import.meta.url), "utf8");
    expect(shipped).toBe(JSON.stringify(manifestJsonSchema(), null, 2) + "\n");
  });
});

describe("parseManifest", () => {
  it("accepts a built manifest", async () => {
    const manifest = await sample();
    expect(parseManifest(JSON.parse(serializeManifest(manifest)))).toEqual(manifest);
  });

  it("rejects malformed JSON", () => {
    expect(() => parseManifest("{ not json")).toThrow(/not valid JSON/);
  });

  it("names the field of a wrong-length selector, hash or address", async () => {
    const m = JSON.parse(serializeManifest(await sample()));
    expectInvalid({ ...m, entries: m.entries.map((e: object, i: number) => (i === 1 ? { ...e, selector: "0x1234" } : e)) }, "entries[1].selector", /8 lowercase hex/);
    expectInvalid({ ...m, root: m.root.slice(0, 60) }, "root", /64 lowercase hex/);
    expectInvalid({ ...m, entries: m.entries.map((e: { facet: string }, i: number) => (i === 2 ? { ...e, facet: e.facet.slice(0, 40) } : e)) }, "entries[2].facet", /40 hex/);
    expectInvalid({ ...m, previousRoot: "0x" + "AB".repeat(32) }, "previousRoot", /lowercase/);
  });

  it("rejects a bad EIP-55 checksum", async () => {
    const m = JSON.parse(serializeManifest(await sample()));
    const i = m.entries.findIndex((e: { facet: string }) => /[a-f]/.test(e.facet.slice(2)));
    const facet: string = m.entries[i].facet;
    const flipped = facet.slice(0, 2) + [...facet.slice(2)].map((c) => (/[a-f]/.test(c) ? c.toUpperCase() : /[A-F]/.test(c) ? c.toLowerCase() : c)).join("");
    expectInvalid({ ...m, entries: m.entries.map((e: object, j: number) => (j === i ? { ...e, facet: flipped } : e)) }, `entries[${i}].facet`, /checksum/);
  });

  it("rejects a wrong root and a tampered entry, naming the root", async () => {
    const m = JSON.parse(serializeManifest(await sample()));
    expectInvalid({ ...m, root: "0x" + "ab".repeat(32) }, "root", /does not match the entries/);
    const tampered = m.entries.map((e: { codehash: string; facet: string }) => (e.facet === V1 ? { ...e, codehash: "0x" + "cd".repeat(32) } : e));
    expectInvalid({ ...m, entries: tampered }, "root", /does not match/);
  });

  it("rejects unknown fields, unsorted entries and a selector that is not its signature's", async () => {
    const m = JSON.parse(serializeManifest(await sample()));
    expectInvalid({ ...m, extra: 1 }, "", /extra/);
    expectInvalid({ ...m, entries: [...m.entries].reverse() }, "entries[1]", /sorted by selector/);
    const i = m.entries.findIndex((e: { signature: string }) => e.signature === "increment()");
    expectInvalid({ ...m, entries: m.entries.map((e: object, j: number) => (j === i ? { ...e, signature: "decrement()" } : e)) }, `entries[${i}].selector`, /not the selector of "decrement\(\)"/);
  });

  it("rejects a selector listed twice and a protected selector with typed errors", async () => {
    const m = JSON.parse(serializeManifest(await sample()));
    const dup = { ...m, entries: [m.entries[0], ...m.entries] };
    expect(() => parseManifest(dup)).toThrow(SelectorCollisionError);
    const guarded = { ...m, entries: [{ selector: "0x01ffc9a7", signature: "supportsInterface(bytes4)", facet: V1, facetName: "CounterFacetV1", codehash: m.entries.find((e: { facet: string }) => e.facet === V1).codehash }, ...m.entries] };
    expect(() => parseManifest(guarded)).toThrow(ProtectedSelectorError);
  });
});

describe("buildManifest", () => {
  it("routes every function of a facet by default, the listed ones otherwise, and removals last", async () => {
    const m = await sample();
    expect(m.entries.filter((e) => e.facet === V1).map((e) => e.signature).sort()).toEqual(["count()", "greet()", "increment()", "version()"]);
    expect(m.entries.filter((e) => e.facet === BENCH).map((e) => e.signature).sort()).toEqual(["f07()", "f08()", "store(uint256)"]);
    expect(m.entries.find((e) => e.selector === "0x12345678")).toMatchObject({ facet: "0x0000000000000000000000000000000000000000", codehash: ZeroHash, facetName: "" });
  });

  it("names both facets of every selector that is in two of them, all in one error", async () => {
    const build = buildManifest({ name: "clash", baseEpoch: 0, previousRoot: ZeroHash, facets: [exampleFacet("CounterFacetV1", V1), exampleFacet("CounterFacetV2", V2)] });
    await expect(build).rejects.toThrow(ManifestConflictError);
    const error = (await build.catch((e: unknown) => e)) as ManifestConflictError;
    expect(error.conflicts.map((i) => [i.path, i.conflict?.kind, i.conflict?.facet.signature, i.conflict?.other?.path]).sort()).toEqual([
      ["facets[1].name", "collision", "count()", "facets[0].name"],
      ["facets[1].name", "collision", "increment()", "facets[0].name"],
      ["facets[1].name", "collision", "version()", "facets[0].name"],
    ]);
    await expect(build).rejects.toThrow(/CounterFacetV2 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512 \(\w+\(\)\) and, at facets\[0\]\.name, CounterFacetV1 0x5FbDB2315678afecb367f032d93F642f64180aa3/);
  });

  it("rejects an unknown function name and a bad address, naming the field", async () => {
    const build = buildManifest({ name: "bad", baseEpoch: 0, previousRoot: ZeroHash, facets: [exampleFacet("CounterFacetV1", V1, ["nope"]), exampleFacet("BenchFacet", BENCH.toLowerCase().replace("e", "E"))] });
    await expect(build).rejects.toThrow(/facets\[0\]\.functions\[0\]: CounterFacetV1 has no function "nope".*facets\[1\]\.address/);
  });
});
