/**
 * The real `payrox` binary, offline, on format v2: the initializer (flags and spec), the header and
 * initializer in verify/plan, a v1 file refused, and `manifest rollback` from stored manifests.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Interface, ZeroAddress } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildManifestTree, manifestInitializer, type Manifest } from "@payrox/core";
import type { PlanFile } from "../src/index.js";
import { ARTIFACTS, buildSpec, payrox, prepare, readJson, spec, stdoutJson, tempLeftovers, writeJson } from "./helpers.js";

const V1 = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const V2 = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const BENCH = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const benchAbi = new Interface(JSON.parse(readFileSync(join(ARTIFACTS, "src/examples/BenchFacet.sol/BenchFacet.json"), "utf8")).abi);

let dir: string;

beforeAll(async () => {
  dir = await prepare();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const counterV1 = [{ artifact: "CounterFacetV1", address: V1 }];
const initFlags = (value: string) => ["--init", "BenchFacet", "--init-address", BENCH, "--init-call", "store(uint256)", "--init-args", `[${value}]`];

describe("payrox manifest build (initializer)", () => {
  it("writes the initializer from --init flags, the same as from the spec's init, and verify shows it with the header", async () => {
    // Act
    const fromFlags = await buildSpec(dir, "init-flags", { facets: counterV1 }, initFlags('"7"'));
    const fromSpec = await buildSpec(dir, "init-spec", { facets: counterV1, init: { artifact: "BenchFacet", address: BENCH, call: "store", args: [7] } });
    const verify = await payrox(["manifest", "verify", join(dir, "init-flags.json"), "--json"], dir);
    const human = await payrox(["manifest", "verify", join(dir, "init-flags.json")], dir);

    // Assess
    expect(fromFlags.code, fromFlags.stderr).toBe(0);
    expect(fromSpec.code, fromSpec.stderr).toBe(0);
    const manifest = await readJson<Manifest>(join(dir, "init-flags.json"));
    expect(await readJson(join(dir, "init-spec.json"))).toEqual(manifest);
    expect(manifest.init).toMatchObject({ facet: BENCH, facetName: "BenchFacet", calldata: benchAbi.encodeFunctionData("store", [7]) });
    const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
    expect(stdoutJson(verify)).toMatchObject({ valid: true, header: { leafCount: 4, binding: tree.binding }, init: manifest.init });
    expect(human.stdout).toContain(`header leaf: leafCount 4, binding ${tree.binding}`);
    expect(human.stdout).toMatch(/initializer: BenchFacet 0x9fE4\w+ calls 0x6057361d with 36 bytes of calldata, codehash 0x[0-9a-f]{64}/);
  });

  it("changes the root with the initializer's calldata, and plan hands activation the initializer", async () => {
    // Act
    const [one, two, none] = await Promise.all([
      buildSpec(dir, "calldata-1", { facets: counterV1 }, ["--init", "BenchFacet", "--init-address", BENCH, "--init-calldata", benchAbi.encodeFunctionData("store", [1])]),
      buildSpec(dir, "calldata-2", { facets: counterV1 }, initFlags("2")),
      buildSpec(dir, "calldata-none", { facets: counterV1 }),
    ]);
    const plan = await payrox(["manifest", "plan", join(dir, "calldata-1.json"), "--out", join(dir, "calldata-1.plan.json")], dir);

    // Assess
    for (const run of [one, two, none, plan]) expect(run.code, run.stderr).toBe(0);
    const roots = await Promise.all(["calldata-1", "calldata-2", "calldata-none"].map(async (n) => (await readJson<Manifest>(join(dir, `${n}.json`))).root));
    expect(new Set(roots).size).toBe(3);
    const file = await readJson<PlanFile>(join(dir, "calldata-1.plan.json"));
    expect(file.activate.init).toEqual({ facet: BENCH, codehash: expect.stringMatching(/^0x[0-9a-f]{64}$/), data: benchAbi.encodeFunctionData("store", [1]) });
    expect(plan.stdout).toMatch(/then runs the initializer BenchFacet/);
  });

  it("rejects bad initializer flags with exit 2 and a bad initializer call with exit 1, writing nothing", async () => {
    // Prepare
    const specPath = await writeJson(dir, "init-bad.spec.json", spec(dir, { facets: counterV1 }));
    const out = join(dir, "init-bad.json");
    const buildWith = (flags: string[]) => payrox(["manifest", "build", "--spec", specPath, "--out", out, ...flags], dir);

    // Act
    const [stray, notArray, both, noAddress, unknownFn, badArgs, twice] = await Promise.all([
      buildWith(["--init-call", "store"]),
      buildWith([...initFlags("1").slice(0, 6), "--init-args", "1"]),
      buildWith([...initFlags("1"), "--init-calldata", "0x12"]),
      buildWith(["--init", "BenchFacet", "--init-call", "store"]),
      buildWith(["--init", "BenchFacet", "--init-address", BENCH, "--init-call", "migrate", "--json"]),
      buildWith([...initFlags('"x"'), "--json"]),
      payrox(["manifest", "build", "--spec", await writeJson(dir, "init-twice.spec.json", spec(dir, { facets: counterV1, init: { artifact: "BenchFacet", address: BENCH, calldata: "0x" } })), "--out", out, ...initFlags("1")], dir),
    ]);

    // Assess
    expect([stray, notArray, both, noAddress].map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(stray.stderr).toMatch(/--init-call needs --init <Artifact>/);
    expect(notArray.stderr).toMatch(/--init-args must be a JSON array/);
    expect(both.stderr).toMatch(/exactly one of --init-call \(with --init-args\) and --init-calldata/);
    expect(noAddress.stderr).toMatch(/--init-address/);
    expect(unknownFn.code).toBe(1);
    expect(stdoutJson<{ error: { name: string; issues: unknown[] } }>(unknownFn).error).toMatchObject({ name: "BuildSpecInvalidError", issues: [{ path: "init.call", message: 'BenchFacet has no function "migrate"' }] });
    expect(badArgs.code).toBe(1);
    expect(stdoutJson<{ error: { issues: { path: string }[] } }>(badArgs).error.issues[0].path).toBe("init.args");
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/init: the spec has an initializer and the command line gives one/);
    expect(existsSync(out)).toBe(false);
    expect(tempLeftovers(dir)).toEqual([]);
  });
});

describe("payrox manifest verify (format v2)", () => {
  it("refuses a v1 manifest with exit 1 and says to rebuild it as v2", async () => {
    // Prepare
    const built = await buildSpec(dir, "as-v1", { facets: counterV1 });
    expect(built.code, built.stderr).toBe(0);
    const v1 = { ...(await readJson(join(dir, "as-v1.json"))), format: "payrox-manifest/v1" };

    // Act
    const run = await payrox(["manifest", "verify", await writeJson(dir, "old-v1.json", v1), "--json"], dir);
    const plan = await payrox(["manifest", "plan", join(dir, "old-v1.json")], dir);

    // Assess
    expect(run.code).toBe(1);
    expect(stdoutJson<{ error: { name: string; message: string } }>(run).error).toMatchObject({ name: "ManifestFormatVersionError", message: expect.stringMatching(/payrox-manifest\/v1" is not supported.*rebuild it as v2/) });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/rebuild it as v2/);
  });
});

describe("payrox manifest rollback (offline)", () => {
  /** v1: CounterFacetV1 (4 routes) from epoch 0; v2: CounterFacetV2 replaces 3, adds decrement(), removes greet(). */
  async function history(sub: string) {
    const at = join(dir, sub);
    await mkdir(at, { recursive: true });
    const v1 = await buildSpec(at, "v1", { name: "v1", facets: counterV1 });
    expect(v1.code, v1.stderr).toBe(0);
    const v1Root = (await readJson<Manifest>(join(at, "v1.json"))).root;
    const v2 = await buildSpec(at, "v2", { name: "v2", baseEpoch: 1, previousRoot: v1Root, facets: [{ artifact: "CounterFacetV2", address: V2 }], remove: ["greet()"] });
    expect(v2.code, v2.stderr).toBe(0);
    return { at, v1: join(at, "v1.json"), v2: join(at, "v2.json"), v1Root };
  }

  it("writes the manifest that restores v1's routes after v2 (adds back greet(), points back 3, removes decrement())", async () => {
    // Prepare
    const h = await history("rb");

    // Act
    const run = await payrox(["manifest", "rollback", "--to", h.v1, "--applied", h.v1, h.v2, "--out", join(h.at, "back.json"), "--json"], dir);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const out = stdoutJson<{ add: { signature: string }[]; replace: { signature: string; from: string; facet: string }[]; remove: { signature: string }[]; next: { baseEpoch: number; previousRoot: string; name: string } }>(run);
    expect(out.add.map((a) => a.signature)).toEqual(["greet()"]);
    expect(out.replace.map((r) => [r.signature, r.from, r.facet]).sort()).toEqual([["count()", V2, V1], ["increment()", V2, V1], ["version()", V2, V1]]);
    expect(out.remove).toEqual([{ selector: "0x2baeceb7", signature: "decrement()" }]);
    const [v1, v2, back] = await Promise.all([h.v1, h.v2, join(h.at, "back.json")].map((p) => readJson<Manifest>(p)));
    expect(back).toMatchObject({ name: "rollback-to-v1", baseEpoch: 2, previousRoot: v2.root });
    const routes = new Map<string, string>();
    for (const m of [v1, v2, back]) for (const e of m.entries) e.facet === ZeroAddress ? routes.delete(e.selector) : routes.set(e.selector, `${e.facet}:${e.codehash}`);
    expect(routes).toEqual(new Map(v1.entries.map((e) => [e.selector, `${e.facet}:${e.codehash}`])));
    expect((await payrox(["manifest", "verify", join(h.at, "back.json")], dir)).code).toBe(0);
  });

  it("reads the applied manifests from --applied-dir, skipping other JSON, and gives the same manifest", async () => {
    // Prepare
    const h = await history("rb-dir");
    await writeJson(h.at, "notes.json", { hello: "not a manifest" });
    const listed = await payrox(["manifest", "rollback", "--to", h.v1, "--applied", h.v1, h.v2, "--json"], dir);

    // Act
    const fromDir = await payrox(["manifest", "rollback", "--to", h.v1, "--applied-dir", h.at, "--json"], dir);

    // Assess
    expect(fromDir.code, fromDir.stderr).toBe(0);
    expect(stdoutJson<{ next: unknown }>(fromDir).next).toEqual(stdoutJson<{ next: unknown }>(listed).next);
  });

  it("refuses manifests out of order or a target not applied (exit 1) and bad flags (exit 2), writing nothing", async () => {
    // Prepare
    const h = await history("rb-bad");
    const other = await buildSpec(h.at, "other", { name: "other", facets: [{ artifact: "CounterFacetV2", address: V2 }] });
    expect(other.code, other.stderr).toBe(0);
    const out = join(h.at, "never.json");
    const rollback = (args: string[]) => payrox(["manifest", "rollback", ...args, "--out", out], dir);

    // Act
    const [reversed, notApplied, both, neither, rpcAlone] = await Promise.all([
      rollback(["--to", h.v1, "--applied", h.v2, h.v1]),
      rollback(["--to", join(h.at, "other.json"), "--applied", h.v1, h.v2]),
      rollback(["--to", h.v1, "--applied", h.v1, "--applied-dir", h.at]),
      rollback(["--to", h.v1]),
      rollback(["--to", h.v1, "--applied", h.v1, "--rpc", "http://127.0.0.1:1"]),
    ]);

    // Assess
    expect([reversed.code, notApplied.code]).toEqual([1, 1]);
    expect(reversed.stderr).toMatch(/list the activated manifests in order, none missing/);
    expect(notApplied.stderr).toMatch(/is not among the 2 applied manifests/);
    expect([both.code, neither.code, rpcAlone.code]).toEqual([2, 2, 2]);
    expect(rpcAlone.stderr).toMatch(/--rpc and --dispatcher go together/);
    expect(existsSync(out)).toBe(false);
  });

  it("says there is nothing to change when the target is the last applied manifest", async () => {
    // Prepare
    const h = await history("rb-none");

    // Act
    const run = await payrox(["manifest", "rollback", "--to", h.v2, "--applied", h.v1, h.v2, "--out", join(h.at, "none.json")], dir);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/nothing to change/);
    expect(existsSync(join(h.at, "none.json"))).toBe(false);
  });
});
