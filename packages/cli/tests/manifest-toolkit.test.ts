/**
 * The manifest toolkit on artifacts the test makes itself from solc output — Foundry's out/ layout and
 * Hardhat's artifacts/ layout — through the real `payrox` binary, offline: artifact kinds, bare ABIs,
 * invalid ABI fragments, every conflict in one run, exclude, the input guards. The network cases
 * (import, bare ABI with --rpc, mass removal, live plans) are in manifest-toolkit.chain.test.ts.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payrox, prepare, readJson, stdoutJson, writeJson, ZERO_HASH } from "./helpers.js";
import { compileSolidity, FACETS_SOL, writeFoundryArtifacts, writeHardhatArtifacts, type Compiled } from "./solc-artifacts.js";

const A = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const B = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const C = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";


let dir: string;
let compiled: Record<string, Compiled>;

/** A build spec over `artifacts` (relative to `dir`). */
const spec = (artifacts: string, facets: unknown[], extra: Record<string, unknown> = {}) => ({ name: "toolkit", baseEpoch: 0, previousRoot: ZERO_HASH, artifacts, facets, ...extra });

/** Writes the spec as `<name>.spec.json` and builds `<name>.json` with `--json`. */
async function build(name: string, value: unknown, extra: string[] = []) {
  const specPath = await writeJson(dir, `${name}.spec.json`, value);
  return payrox(["manifest", "build", "--spec", specPath, "--out", join(dir, `${name}.json`), "--json", ...extra], dir);
}

type ErrorJson = { error: { name: string; message: string; issues?: { path: string; message: string; conflict?: Record<string, any> }[] } };

beforeAll(async () => {
  dir = await prepare();
  compiled = compileSolidity("Facets.sol", FACETS_SOL);
  await writeFoundryArtifacts(join(dir, "out"), "Facets.sol", compiled);
  await writeHardhatArtifacts(join(dir, "artifacts"), "Facets.sol", compiled);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("payrox manifest build (Foundry and Hardhat artifacts)", () => {
  it("builds the same manifest from Foundry out/ and Hardhat artifacts/, and says which kind it read", async () => {
    const facets = [{ artifact: "GammaFacet", address: C }, { artifact: "AlphaFacet", address: A, functions: ["alpha"] }];

    const [foundry, hardhat] = await Promise.all([build("foundry", spec("out", facets)), build("hardhat", spec("artifacts", facets))]);

    expect(foundry.code, foundry.stderr).toBe(0);
    expect(hardhat.code, hardhat.stderr).toBe(0);
    const kinds = (run: typeof foundry) => stdoutJson<{ artifacts: { path: string; kind: string; file: string }[] }>(run).artifacts.map((a) => [a.path, a.kind]);
    expect(kinds(foundry)).toEqual([["facets[0].artifact", "foundry"], ["facets[1].artifact", "foundry"]]);
    expect(kinds(hardhat)).toEqual([["facets[0].artifact", "hardhat"], ["facets[1].artifact", "hardhat"]]);
    expect(await readFile(join(dir, "foundry.json"), "utf8")).toBe(await readFile(join(dir, "hardhat.json"), "utf8"));
    const manifest = await readJson<{ entries: { signature: string; codehash: string }[] }>(join(dir, "foundry.json"));
    expect(manifest.entries.map((e) => e.signature).sort()).toEqual(["alpha()", "gamma(uint256)"]);
    const human = await payrox(["manifest", "build", "--spec", join(dir, "foundry.spec.json"), "--out", join(dir, "foundry-h.json")], dir);
    expect(human.stdout).toMatch(/facets\[0\]\.artifact: GammaFacet — Foundry artifact .*out\/Facets\.sol\/GammaFacet\.json/);
  });

  it("refuses a bare ABI array without --rpc, naming the field and what to do", async () => {
    await mkdir(join(dir, "abis"), { recursive: true });
    await writeJson(join(dir, "abis"), "Diamond.json", compiled.GammaFacet.abi);

    const run = await build("bare", spec("abis", [{ artifact: "Diamond", address: C }]));

    expect(run.code).toBe(1);
    const { error } = stdoutJson<ErrorJson>(run);
    expect(error.issues).toEqual([{ path: "facets[0].artifact", message: expect.stringMatching(/Diamond\.json is a bare ABI \(no bytecode\).*give --rpc <url>/) }]);
    expect(existsSync(join(dir, "bare.json"))).toBe(false);
  });

  it.each([
    ["Foundry", "broken-out", writeFoundryArtifacts],
    ["Hardhat", "broken-artifacts", writeHardhatArtifacts],
  ] as const)("makes an invalid ABI fragment of a %s artifact an error naming the file and the fragment, with nothing but the JSON on stdout", async (kind, artifacts, write) => {
    const broken = structuredClone(compiled.GammaFacet);
    broken.abi.push({ type: "function", name: "broken", inputs: [{ name: "x", type: "uint257" }], outputs: [], stateMutability: "view" });
    await write(join(dir, artifacts), "Broken.sol", { BrokenFacet: broken });

    const run = await build(`broken-${kind}`, spec(artifacts, [{ artifact: "BrokenFacet", address: C }]));

    expect(run.code).toBe(1);
    const { error } = stdoutJson<ErrorJson>(run); // throws if anything else reached stdout
    expect(run.stdout).not.toMatch(/Warning/);
    expect(error.issues).toEqual([{ path: "facets[0].artifact", message: expect.stringMatching(new RegExp(`BrokenFacet\\.json \\(${kind}\\): abi\\[1\\] is not a valid ABI fragment: \\{"type":"function","name":"broken".*uint257`)) }]);
  });
});

describe("payrox manifest build (conflicts)", () => {
  it.each(["out", "artifacts"])("reports every collision and protected selector of a build in one run, each with its spec path (%s/)", async (artifacts) => {
    const run = await build(`conflicts-${artifacts}`, spec(artifacts, [{ artifact: "AlphaFacet", address: A }, { artifact: "BetaFacet", address: B }]));

    expect(run.code).toBe(1);
    const { error } = stdoutJson<ErrorJson>(run);
    expect(error.name).toBe("ManifestConflictError");
    const conflicts = error.issues!.map((i) => [i.path, i.conflict!.kind, i.conflict!.selector, i.conflict!.facet.signature, i.conflict!.other?.path ?? null]);
    expect(conflicts).toEqual([
      ["facets[0].artifact", "protected", "0x01ffc9a7", "supportsInterface(bytes4)", null],
      ["facets[1].artifact", "protected", "0x8da5cb5b", "owner()", null],
      ["facets[1].artifact", "collision", "0x7126be5f", "shared()", "facets[0].artifact"],
    ]);
    expect(error.issues![2].message).toMatch(new RegExp(`BetaFacet ${B} \\(shared\\(\\)\\) and, at facets\\[0\\]\\.artifact, AlphaFacet ${A} \\(shared\\(\\)\\)`));
    expect(error.issues![0].message).toMatch(/Migrating a diamond\? Drop its loupe \(DiamondLoupeFacet\), ERC-165 and ownership \(OwnershipFacet\) facets/);
    expect(existsSync(join(dir, `conflicts-${artifacts}.json`))).toBe(false);
  });

  it("routes every function but the excluded ones, and names an exclusion that matches nothing", async () => {
    const facets = [
      { artifact: "AlphaFacet", address: A, exclude: ["supportsInterface(bytes4)", "shared"] },
      { artifact: "BetaFacet", address: B, exclude: ["owner()"] },
    ];

    const [ok, unknown, both] = await Promise.all([
      build("exclude", spec("out", facets)),
      build("exclude-unknown", spec("out", [{ artifact: "GammaFacet", address: C, exclude: ["nope()"] }])),
      build("exclude-both", spec("out", [{ artifact: "GammaFacet", address: C, functions: ["gamma"], exclude: ["gamma"] }])),
    ]);

    expect(ok.code, ok.stderr).toBe(0);
    const manifest = await readJson<{ entries: { signature: string; facetName: string }[] }>(join(dir, "exclude.json"));
    expect(manifest.entries.map((e) => `${e.facetName}.${e.signature}`).sort()).toEqual(["AlphaFacet.alpha()", "BetaFacet.beta()", "BetaFacet.shared()"]);
    expect(stdoutJson<ErrorJson>(unknown).error.issues).toEqual([{ path: "facets[0].exclude[0]", message: 'GammaFacet has no function "nope()"' }]);
    expect(stdoutJson<ErrorJson>(both).error.issues).toEqual([{ path: "facets[0].exclude", message: expect.stringMatching(/not both/) }]);
  });

  it("makes a facet at the zero address one error naming facets[i].address", async () => {
    const run = await build("zero", spec("out", [{ artifact: "GammaFacet", address: "0x0000000000000000000000000000000000000000" }]));

    expect(run.code).toBe(1);
    expect(stdoutJson<ErrorJson>(run).error.issues).toEqual([{ path: "facets[0].address", message: expect.stringMatching(/zero address is not a facet.*"remove"/) }]);
  });
});

describe("payrox manifest (input guards)", () => {
  it("refuses --out equal to an input (spec, manifest) with exit 2 and leaves the input as it was", async () => {
    const specPath = await writeJson(dir, "same.spec.json", spec("out", [{ artifact: "GammaFacet", address: C }]));
    const before = await readFile(specPath, "utf8");

    const [buildRun, built] = [await payrox(["manifest", "build", "--spec", specPath, "--out", "./same.spec.json"], dir), await build("same-m", spec("out", [{ artifact: "GammaFacet", address: C }]))];
    const planRun = await payrox(["manifest", "plan", join(dir, "same-m.json"), "--out", join(dir, "same-m.json")], dir);

    expect(buildRun.code).toBe(2);
    expect(buildRun.stderr).toMatch(/--out \S*\/same\.spec\.json is also the input --spec/);
    expect(await readFile(specPath, "utf8")).toBe(before);
    expect(built.code, built.stderr).toBe(0);
    expect(planRun.code).toBe(2);
    expect(planRun.stderr).toMatch(/is also the input <manifest\.json>/);
    expect(await readJson(join(dir, "same-m.json"))).toHaveProperty("entries");
  });

  it("says a negative numeric flag must be a positive integer", async () => {
    await build("neg", spec("out", [{ artifact: "GammaFacet", address: C }]));

    const [gasCap, maxBatch] = await Promise.all([
      payrox(["manifest", "plan", join(dir, "neg.json"), "--gas-cap", "-5"], dir),
      payrox(["manifest", "plan", join(dir, "neg.json"), "--max-batch", "-1"], dir),
    ]);

    expect(gasCap.code).toBe(2);
    expect(gasCap.stderr).toMatch(/--gas-cap must be a positive integer, got "-5"/);
    expect(maxBatch.stderr).toMatch(/--max-batch must be a positive integer, got "-1"/);
  });

  it("refuses control characters and invalid UTF-8 in a manifest, accepts a byte-order mark", async () => {
    await build("names", spec("out", [{ artifact: "GammaFacet", address: C }]));
    const text = await readFile(join(dir, "names.json"), "utf8");
    const withNul = text.replace('"facetName": "GammaFacet"', '"facetName": "Gamma\\u0000Facet"');
    const withEscape = text.replace('"facetName": "GammaFacet"', '"facetName": "Gamma\\u001b[31mFacet"');
    const invalidUtf8 = Buffer.concat([Buffer.from(text.slice(0, text.indexOf("GammaFacet"))), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(text.indexOf("GammaFacet")))]);
    await writeFile(join(dir, "nul.json"), withNul);
    await writeFile(join(dir, "esc.json"), withEscape);
    await writeFile(join(dir, "bad-utf8.json"), invalidUtf8);
    await writeFile(join(dir, "bom.json"), "\uFEFF" + text);

    const [nul, esc, bad, bom] = await Promise.all(["nul", "esc", "bad-utf8", "bom"].map((n) => payrox(["manifest", "verify", join(dir, `${n}.json`), "--json"], dir)));

    expect(nul.code).toBe(1);
    expect(stdoutJson<ErrorJson>(nul).error.issues).toEqual([{ path: "entries[0].facetName", message: expect.stringMatching(/must not contain control or format characters/) }]);
    expect(esc.code).toBe(1);
    expect(bad.code).toBe(1);
    expect(stdoutJson<ErrorJson>(bad).error.message).toMatch(/bad-utf8\.json: it is not valid UTF-8 \(byte 0xff at offset \d+\)/);
    expect(bom.code, bom.stderr).toBe(0);
  });

  it("refuses a FIFO, /dev/zero and a file over 32 MiB before reading them", async () => {
    const fifo = join(dir, "fifo.json");
    execFileSync("mkfifo", [fifo]);
    const big = join(dir, "big.json");
    await writeFile(big, "");
    await truncate(big, 32 * 1024 * 1024 + 1);

    const started = Date.now();
    const [fromFifo, fromZero, fromBig] = await Promise.all([
      payrox(["manifest", "verify", fifo], dir),
      payrox(["manifest", "build", "--spec", "/dev/zero", "--out", join(dir, "zero-out.json")], dir),
      payrox(["manifest", "plan", big], dir),
    ]);

    expect(Date.now() - started).toBeLessThan(30_000);
    expect(fromFifo.code).toBe(1);
    expect(fromFifo.stderr).toMatch(/fifo\.json: it is not a regular file \(a FIFO\)/);
    expect(fromZero.code).toBe(1);
    expect(fromZero.stderr).toMatch(/\/dev\/zero: it is not a regular file \(a character device\)/);
    expect(fromBig.code).toBe(1);
    expect(fromBig.stderr).toMatch(/big\.json: it is 33554433 bytes, over the 33554432-byte \(32 MiB\) input limit/);
  });
});

describe("payrox manifest plan (offline)", () => {
  it("says which assumption an offline plan made", async () => {
    await build("assume", spec("out", [{ artifact: "GammaFacet", address: C }]));

    const [human, json] = await Promise.all([payrox(["manifest", "plan", join(dir, "assume.json")], dir), payrox(["manifest", "plan", join(dir, "assume.json"), "--json"], dir)]);

    expect(human.stdout).toMatch(/assumption \(offline\): no live routing read, so every leaf is costed as replacing a live route/);
    expect(stdoutJson<{ assumption: string }>(json).assumption).toBe("every-leaf-replaces");
  });
});
