/**
 * The real `payrox` binary (node packages/cli/bin/payrox.js), spawned per case, offline: build, verify
 * and plan against the compiled example facets, bad input, usage errors. The network commands are in
 * manifest-cli.chain.test.ts.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZeroAddress, ZeroHash } from "ethers";
import { buildManifestTree, manifestInitializer, type Manifest } from "@payrox/core";
import type { PlanFile } from "../src/index.js";
import { buildSpec, payrox, prepare, readJson, spec, stdoutJson, tempLeftovers, writeJson } from "./helpers.js";

const V1 = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const V2 = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const SALT = "0x" + "11".repeat(32);

let dir: string;
/** A valid manifest built once: V1 at an address, BenchFacet predicted with CREATE2, one removal. */
let base: { path: string; json: Record<string, any> };

beforeAll(async () => {
  dir = await prepare();
  base = await validManifest("base");
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Builds `fields` as a spec into `dir/<name>.json`; returns the run. */
function build(name: string, fields: Parameters<typeof spec>[1], extra: string[] = []) {
  return buildSpec(dir, name, fields, extra);
}

/** A valid manifest file's JSON (V1 at an address, BenchFacet predicted with CREATE2, one removal). */
async function validManifest(name: string): Promise<{ path: string; json: Record<string, any> }> {
  const run = await build(name, {
    facets: [{ artifact: "CounterFacetV1", address: V1 }, { artifact: "BenchFacet", create2: { salt: SALT }, functions: ["store", "f00"] }],
    remove: ["0x12345678"],
  });
  expect(run.code, run.stderr).toBe(0);
  const path = join(dir, `${name}.json`);
  return { path, json: await readJson(path) };
}

/** Writes a variant of a manifest and verifies it; returns the run. */
async function verifyVariant(name: string, json: unknown) {
  return payrox(["manifest", "verify", await writeJson(dir, `${name}.json`, json), "--json"], dir);
}

describe("payrox manifest build", () => {
  it("writes a manifest that verifies, from addresses and CREATE2, byte-identical across two builds", async () => {
    const [first, second] = await Promise.all([validManifest("twice-a"), validManifest("twice-b")]);

    expect(await readFile(second.path, "utf8")).toBe(await readFile(first.path, "utf8"));
    const verify = await payrox(["manifest", "verify", first.path], dir);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`manifest "test": epoch 0 → 1`);
    expect(first.json.entries.map((e: { signature: string }) => e.signature).sort()).toEqual(["", "count()", "f00()", "greet()", "increment()", "store(uint256)", "version()"]);
  });

  it("prints parseable JSON with --json", async () => {
    const run = await build("json", { facets: [{ artifact: "CounterFacetV1", address: V1 }] }, ["--json"]);

    expect(run.code, run.stderr).toBe(0);
    const out = stdoutJson<{ root: string; entryCount: number; facets: { facetName: string; routes: number }[] }>(run);
    expect(out.entryCount).toBe(4);
    expect(out.facets).toEqual([expect.objectContaining({ facetName: "CounterFacetV1", routes: 4 })]);
    expect(out.root).toBe((await readJson(join(dir, "json.json"))).root);
  });

  it("rejects malformed JSON with exit 1 and writes nothing", async () => {
    const specPath = await writeJson(dir, "malformed.spec.json", '{ "name": "x", ');

    const run = await payrox(["manifest", "build", "--spec", specPath, "--out", join(dir, "malformed.json")], dir);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not valid JSON/);
    expect(existsSync(join(dir, "malformed.json"))).toBe(false);
  });

  it("names facets[0].address for a bad checksum and leaves an existing output untouched", async () => {
    await writeFile(join(dir, "badsum.json"), "keep me\n");

    const run = await build("badsum", { facets: [{ artifact: "CounterFacetV1", address: V1.replace("F", "f") }] }, ["--json"]);

    expect(run.code).toBe(1);
    expect(stdoutJson<{ error: { issues: { path: string }[] } }>(run).error.issues.map((i) => i.path)).toEqual(["facets[0].address"]);
    expect(run.stderr).toMatch(/facets\[0\]\.address: address checksum \(EIP-55\) is wrong/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await readFile(join(dir, "badsum.json"), "utf8")).toBe("keep me\n");
    expect(tempLeftovers(dir)).toEqual([]);
  });

  it("names remove[0] for a selector of the wrong length", async () => {
    const run = await build("shortsel", { facets: [{ artifact: "CounterFacetV1", address: V1 }], remove: ["0x123456"] });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/remove\[0\]: "0x123456" is neither a selector/);
    expect(existsSync(join(dir, "shortsel.json"))).toBe(false);
  });

  it("removes a signature by its canonical selector even when written loosely (\"greet( )\", \"f(uint)\")", async () => {
    const run = await build("loose", { facets: [], remove: ["greet( )", "f(uint)"] });

    expect(run.code, run.stderr).toBe(0);
    const { entries } = await readJson<{ entries: { selector: string; signature: string }[] }>(join(dir, "loose.json"));
    expect(entries.map((e) => [e.selector, e.signature])).toEqual([["0xb3de648b", "f(uint256)"], ["0xcfae3217", "greet()"]]);
  });

  it("names both facets when CounterFacetV1 and CounterFacetV2 both route version()", async () => {
    const run = await build("clash", { facets: [{ artifact: "CounterFacetV1", address: V1 }, { artifact: "CounterFacetV2", address: V2, functions: ["version"] }] }, ["--json"]);

    expect(run.code).toBe(1);
    const { error } = stdoutJson<{ error: { name: string; message: string } }>(run);
    expect(error.name).toBe("ManifestConflictError");
    expect(error.message).toMatch(new RegExp(`facets\\[1\\]\\.artifact: selector 0x54fd4d50 is claimed twice: CounterFacetV2 ${V2} \\(version\\(\\)\\) and, at facets\\[0\\]\\.artifact, CounterFacetV1 ${V1}`));
    expect(existsSync(join(dir, "clash.json"))).toBe(false);
  });

  it("rejects a facet function that is a dispatcher-protected selector (facets())", async () => {
    const fakeDir = join(dir, "fake-artifacts", "src", "Fake.sol");
    await mkdir(fakeDir, { recursive: true });
    const abi = [{ type: "function", name: "facets", inputs: [], outputs: [], stateMutability: "view" }];
    await writeJson(fakeDir, "FakeLoupe.json", { contractName: "FakeLoupe", abi, bytecode: "0x600a600c600039600a6000f3", deployedBytecode: "0x6000" });

    const run = await build("protected", { artifacts: "fake-artifacts", facets: [{ artifact: "FakeLoupe", address: V2 }] });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/selector 0x7a0ed627 \(facets\(\) of FakeLoupe\) is the dispatcher's own facets\(\)/);
    expect(existsSync(join(dir, "protected.json"))).toBe(false);
  });

  it("names a missing artifact and an ambiguous one", async () => {
    for (const sub of ["a", "b"]) {
      await mkdir(join(dir, "dup-artifacts", sub), { recursive: true });
      await writeJson(join(dir, "dup-artifacts", sub), "Twin.json", { abi: [], bytecode: "0x", deployedBytecode: "0x6000" });
    }

    const [missing, ambiguous] = await Promise.all([
      build("missing", { facets: [{ artifact: "NoSuchFacet", address: V1 }] }),
      build("ambiguous", { artifacts: "dup-artifacts", facets: [{ artifact: "Twin", address: V1 }] }),
    ]);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/facets\[0\]\.artifact: no artifact "NoSuchFacet\.json"/);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/facets\[0\]\.artifact: artifact "Twin" is ambiguous: a\/Twin\.json, b\/Twin\.json/);
    expect(existsSync(join(dir, "missing.json")) || existsSync(join(dir, "ambiguous.json"))).toBe(false);
  });
});

describe("payrox manifest verify", () => {
  it("names the field of a wrong-length selector, a bad checksum and malformed JSON", async () => {
    const { json } = base;
    const i = json.entries.findIndex((e: { facet: string }) => e.facet === V1);

    const [shortSelector, badChecksum, malformed] = await Promise.all([
      verifyVariant("v-selector", { ...json, entries: json.entries.map((e: object, j: number) => (j === 1 ? { ...e, selector: "0x1234" } : e)) }),
      verifyVariant("v-checksum", { ...json, entries: json.entries.map((e: object, j: number) => (j === i ? { ...e, facet: V1.replace("F", "f") } : e)) }),
      verifyVariant("v-malformed", "{ nope"),
    ]);

    expect(shortSelector.code).toBe(1);
    expect(stdoutJson<{ error: { issues: { path: string }[] } }>(shortSelector).error.issues.map((x) => x.path)).toContain("entries[1].selector");
    expect(badChecksum.code).toBe(1);
    expect(badChecksum.stderr).toMatch(new RegExp(`entries\\[${i}\\]\\.facet: address checksum`));
    expect(malformed.code).toBe(1);
    expect(stdoutJson<{ error: { name: string } }>(malformed).error.name).toBe("ManifestInvalidError");
  });

  it("names the root for a wrong root and for a tampered entry that kept the root", async () => {
    const { json } = base;
    const i = json.entries.findIndex((e: { facet: string }) => e.facet === V1);

    const runs = await Promise.all([
      verifyVariant("v-root", { ...json, root: "0x" + "ab".repeat(32) }),
      verifyVariant("v-hash", { ...json, entries: json.entries.map((e: { facet: string }) => (e.facet === V1 ? { ...e, codehash: "0x" + "cd".repeat(32) } : e)) }),
      verifyVariant("v-facet", { ...json, entries: json.entries.map((e: object, j: number) => (j === i ? { ...e, facet: V2 } : e)) }),
    ]);

    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(stdoutJson<{ error: { issues: { path: string; message: string }[] } }>(run).error.issues).toEqual([{ path: "root", message: expect.stringMatching(/does not match the entries/) }]);
    }
  });
});

describe("payrox manifest plan", () => {
  it("splits a manifest into batches of at most --max-batch leaves and writes the applyRoutes arguments", async () => {
    const { path, json } = base;

    const run = await payrox(["manifest", "plan", path, "--max-batch", "3", "--gas-cap", "4_250_000", "--out", join(dir, "plan.out.json")], dir);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/batch\s+leaves\s+facets\s+proof hashes\s+estimated gas/);
    const plan = await readJson<PlanFile>(join(dir, "plan.out.json"));
    expect(plan).toMatchObject({ root: json.root, leafCount: 7, gasCap: 4_250_000, maxBatchSize: 3 });
    expect(plan.batches.map((b) => (b.leaves.length - 2) / 10)).toEqual([3, 3, 1]);
    // The header leaf is proven at commit, never applied; activation gets the facet list and no initializer.
    const tree = buildManifestTree(json.entries, manifestInitializer(json as Manifest));
    expect(plan.commit).toEqual({ root: json.root, leafCount: 7, binding: tree.binding, headerProof: [...tree.headerProof] });
    expect(plan.activate).toMatchObject({ facets: tree.facets, init: { facet: ZeroAddress, codehash: ZeroHash, data: "0x" } });
    expect(run.stdout).toMatch(/commit: header leaf leafCount 7, binding 0x[0-9a-f]{64}/);
    expect(run.stdout).toMatch(/activate: re-verifies 2 facets \(~\d[\d,]* gas\), no initializer/);
  });

  it("rejects a gas cap no leaf fits under (PlanError, exit 1, nothing written)", async () => {
    const { path } = base;

    const run = await payrox(["manifest", "plan", path, "--gas-cap", "1000", "--out", join(dir, "plan-cap.out.json")], dir);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/above the cap of 1000/);
    expect(existsSync(join(dir, "plan-cap.out.json"))).toBe(false);
  });
});

describe("payrox (usage)", () => {
  it("exits 2 for an unknown command, an unknown flag, a missing --out and a missing manifest argument", async () => {
    const runs = await Promise.all([
      payrox(["manifest", "frobnicate"], dir),
      payrox(["manifest", "build", "--spec", "x.json", "--out", "y.json", "--bogus"], dir),
      payrox(["manifest", "build", "--spec", "x.json"], dir),
      payrox(["manifest", "verify", "--json"], dir),
    ]);

    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs[0].stderr).toMatch(/unknown command "manifest frobnicate"/);
    expect(runs[1].stderr).toMatch(/unknown flag --bogus/);
    expect(runs[2].stderr).toMatch(/missing required flag --out/);
    expect(stdoutJson<{ error: { name: string } }>(runs[3]).error.name).toBe("UsageError");
  });

  it("prints --help for every command with exit 0", async () => {
    const commands = [[], ["manifest"], ["manifest", "build"], ["manifest", "verify"], ["manifest", "diff"], ["manifest", "plan"], ["manifest", "rollback"]];

    const runs = await Promise.all(commands.map((c) => payrox([...c, "--help"], dir)));

    expect(runs.map((r) => r.code)).toEqual(commands.map(() => 0));
    for (const name of ["manifest build", "manifest verify", "manifest diff", "manifest plan", "manifest rollback"]) expect(runs[0].stdout).toContain(name);
    expect(runs[2].stdout).toMatch(/"previousRoot"/);
    runs.slice(2).forEach((r, i) => expect(r.stdout).toContain(`usage: payrox ${commands[i + 2].join(" ")}`));
  });
});
