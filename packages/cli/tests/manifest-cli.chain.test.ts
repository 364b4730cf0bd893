/**
 * The real `payrox` binary against a ManifestDispatcher (v2) on anvil: build with --rpc, plan with the
 * dispatcher's limits, roll the plan out (commit at nextEpoch() with the header proof → apply batches →
 * activate with the facet list and initializer), diff to the next epoch, verify with drift, facet code
 * checks, and rollback: V1 → V2 → back to V1's routes, then the very root of V1 committed again.
 */
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Contract, ContractFactory, ZeroAddress, type InterfaceAbi, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTECTED_SELECTORS } from "@payrox/core";
import type { PlanFile } from "../src/index.js";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { ARTIFACTS, buildSpec, payrox, prepare, readJson, spec, stdoutJson, writeJson } from "./helpers.js";

/** An address with no code on the fresh chain. */
const NO_CODE = "0x000000000000000000000000000000000000dEaD";

describe("payrox manifest diff, plan and verify against a dispatcher on anvil", () => {
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let wallet: Wallet;
  let dispatcher: string;
  let router: Contract;
  let loupe: Contract;
  let v1: string;
  let v2: string;
  let migration: string;
  const network = () => ["--rpc", chain.rpcUrl, "--dispatcher", dispatcher];

  let dir: string;
  const build = (name: string, fields: Parameters<typeof spec>[1], extra: string[] = []) => buildSpec(dir, name, fields, extra);

  beforeAll(async () => {
    dir = await prepare();
    chain = await startLocalChain({ kind: "anvil" });
    ({ provider, wallet } = devWallet(chain));
    const deployment = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { activationDelay: 1, minActivationDelay: 1, maxBatchSize: 3 }));
    dispatcher = deployment.address;
    loupe = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as InterfaceAbi, wallet);
    router = new Contract(dispatcher, loadArtifact("ManifestDispatcher").abi as InterfaceAbi, wallet);
    for (const role of [await loupe.COMMIT_ROLE(), await loupe.APPLY_ROLE()]) await (await loupe.grantRole(role, wallet.address)).wait();
    const deploy = async (name: string) => {
      const artifact = loadArtifact(name);
      const contract = await new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, wallet).deploy();
      await contract.waitForDeployment();
      return contract.getAddress();
    };
    v1 = await deploy("CounterFacetV1");
    v2 = await deploy("CounterFacetV2");
    // Not in contracts/lib's artifact list: read from the Hardhat artifacts.
    const migrationArtifact = JSON.parse(readFileSync(join(ARTIFACTS, "src/examples/CounterMigrationV2.sol/CounterMigrationV2.json"), "utf8"));
    const deployed = await new ContractFactory(migrationArtifact.abi as InterfaceAbi, migrationArtifact.bytecode, wallet).deploy();
    await deployed.waitForDeployment();
    migration = await deployed.getAddress();
  });

  afterAll(async () => {
    provider?.destroy();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Commits (at nextEpoch()), applies (the plan's batches) and activates a planned manifest; returns gas used vs estimated per batch. */
  async function rollOut(planPath: string) {
    const plan = await readJson<PlanFile>(planPath);
    const { root, leafCount, binding, headerProof } = plan.commit;
    await (await router.commitRoot(root, await loupe.nextEpoch(), leafCount, binding, headerProof)).wait();
    const gas: { used: bigint; estimated: number }[] = [];
    for (const b of plan.batches) {
      const receipt = await (await router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)).wait();
      gas.push({ used: receipt!.gasUsed, estimated: b.estimatedGas });
    }
    await provider.send("evm_increaseTime", [2]);
    await provider.send("evm_mine", []);
    const receipt = await (await router.activateCommittedRoot(plan.activate.facets, plan.activate.init)).wait();
    // The estimate covers the facet list; an initializer's own gas comes on top.
    if (plan.activate.init.facet === ZeroAddress) expect(receipt!.gasUsed).toBeLessThanOrEqual(BigInt(plan.activate.estimatedGas));
    return gas;
  }

  /** Plans `name`.json against the dispatcher into `name`.plan.json and rolls it out. */
  async function planAndRollOut(name: string) {
    const planned = await payrox(["manifest", "plan", join(dir, `${name}.json`), ...network(), "--out", join(dir, `${name}.plan.json`)], dir);
    expect(planned.code, planned.stderr).toBe(0);
    return rollOut(join(dir, `${name}.plan.json`));
  }

  /** The loupe's live routes outside the protected ones, as selector → facet. */
  async function liveRoutes(): Promise<Record<string, string>> {
    const routes: Record<string, string> = {};
    for (const [facet, selectors] of await loupe.facets()) for (const s of selectors) if (!PROTECTED_SELECTORS.has(s)) routes[s] = facet;
    return routes;
  }

  async function manifestRoutes(path: string): Promise<Record<string, string>> {
    const { entries } = await readJson<{ entries: { selector: string; facet: string }[] }>(path);
    return Object.fromEntries(entries.filter((e) => e.facet !== ZeroAddress).map((e) => [e.selector, e.facet]));
  }

  it("builds epoch 1 with --rpc, plans it with the dispatcher's limits, and the plan rolls out on chain", async () => {
    const built = await build("chain-e1", { name: "counter-v1", facets: [{ artifact: "CounterFacetV1", address: v1 }] }, ["--rpc", chain.rpcUrl]);
    expect(built.code, built.stderr).toBe(0);

    const [planned, capped, offline] = await Promise.all([
      payrox(["manifest", "plan", join(dir, "chain-e1.json"), ...network(), "--out", join(dir, "chain-e1.plan.json"), "--json"], dir),
      payrox(["manifest", "plan", join(dir, "chain-e1.json"), ...network(), "--max-batch", "100", "--json"], dir),
      payrox(["manifest", "plan", join(dir, "chain-e1.json"), "--max-batch", "3", "--json"], dir),
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    // The dispatcher's maxBatchSize() (3) caps the batches, and its live selectors make new leaves cheaper
    // than the offline upper bound (every leaf costed as a replacement).
    const plan = stdoutJson<{ maxBatchSize: number; leafCount: number; totalEstimatedGas: number }>(planned);
    expect(plan).toMatchObject({ leafCount: 4, maxBatchSize: 3 });
    expect(stdoutJson(capped)).toMatchObject({ maxBatchSize: 3 });
    expect(plan.totalEstimatedGas).toBeLessThan(stdoutJson<{ totalEstimatedGas: number }>(offline).totalEstimatedGas);
    const gas = await rollOut(join(dir, "chain-e1.plan.json"));

    expect(gas).toHaveLength(2);
    for (const g of gas) expect(g.used).toBeLessThanOrEqual(BigInt(g.estimated));
    expect(await loupe.activeEpoch()).toBe(1n);
    expect(await liveRoutes()).toEqual(await manifestRoutes(join(dir, "chain-e1.json")));
  });

  it("diff --spec with CounterFacetV2 gives exactly add decrement, replace version/count/increment, remove greet, and carries the spec's initializer", async () => {
    const init = { artifact: "CounterMigrationV2", address: migration, call: "migrate", args: [41] };
    const specPath = await writeJson(dir, "chain-v2.spec.json", spec(dir, { name: "counter-v2", baseEpoch: 1, facets: [{ artifact: "CounterFacetV2", address: v2 }], init }));

    const run = await payrox(["manifest", "diff", "--spec", specPath, ...network(), "--expect-epoch", "1", "--out", join(dir, "chain-e2.json"), "--json"], dir);

    expect(run.code, run.stderr).toBe(0);
    const diff = stdoutJson<{ add: any[]; replace: any[]; remove: any[]; next: { baseEpoch: number; previousRoot: string } }>(run);
    expect(diff.add).toEqual([{ selector: "0x2baeceb7", signature: "decrement()", facet: v2, facetName: "CounterFacetV2" }]);
    expect(diff.replace.map((r) => [r.signature, r.from, r.facet]).sort()).toEqual([["count()", v1, v2], ["increment()", v1, v2], ["version()", v1, v2]]);
    expect(diff.remove).toEqual([{ selector: "0xcfae3217", signature: "greet()" }]);
    expect(diff.next).toMatchObject({ baseEpoch: 1, previousRoot: await loupe.activeRoot() });
    expect((await readJson<{ entries: unknown[] }>(join(dir, "chain-e2.json"))).entries).toHaveLength(5);
    expect(diff.next).toMatchObject({ init: { facet: migration, facetName: "CounterMigrationV2", calldata: expect.stringMatching(/^0x[0-9a-f]{8}0{62}29$/) } });
  });

  it("verify --dispatcher passes for the next manifest and reports drift for the epoch-1 manifest", async () => {
    const next = await payrox(["manifest", "verify", join(dir, "chain-e2.json"), ...network()], dir);
    const old = await payrox(["manifest", "verify", join(dir, "chain-e1.json"), ...network(), "--json"], dir);

    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/CounterFacetV2 .*: \+4 routes \(1 added, 3 replaced, 0 unchanged\)/);
    expect(old.code).toBe(1);
    expect(stdoutJson<{ error: { name: string } }>(old).error.name).toBe("DriftError");
    expect(old.stderr).toMatch(/dispatcher drifted: manifest expects epoch 0/);
  });

  it("diff reports drift for a wrong --expect-epoch or --expect-root and writes nothing", async () => {
    const desired = ["manifest", "diff", "--desired", join(dir, "chain-e2.json"), ...network()];

    const epoch = await payrox([...desired, "--expect-epoch", "0", "--out", join(dir, "drift-a.json")], dir);
    const root = await payrox([...desired, "--expect-root", "0x" + "ab".repeat(32), "--out", join(dir, "drift-b.json")], dir);

    for (const run of [epoch, root]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/drifted/);
    }
    expect(existsSync(join(dir, "drift-a.json")) || existsSync(join(dir, "drift-b.json"))).toBe(false);
  });

  it("diff --desired with the live routing says there is nothing to change and writes nothing", async () => {
    const run = await payrox(["manifest", "diff", "--desired", join(dir, "chain-e1.json"), ...network(), "--out", join(dir, "unchanged.json")], dir);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/nothing to change/);
    expect(existsSync(join(dir, "unchanged.json"))).toBe(false);
  });

  it("the next manifest plans and rolls out: the loupe then equals CounterFacetV2's routing and the initializer ran (count() = 41)", async () => {
    const planned = await payrox(["manifest", "plan", join(dir, "chain-e2.json"), ...network(), "--out", join(dir, "chain-e2.plan.json")], dir);
    expect(planned.code, planned.stderr).toBe(0);

    const gas = await rollOut(join(dir, "chain-e2.plan.json"));

    for (const g of gas) expect(g.used).toBeLessThanOrEqual(BigInt(g.estimated));
    expect(await liveRoutes()).toEqual(Object.fromEntries(Object.entries(await manifestRoutes(join(dir, "chain-e2.json")))));
    expect(Object.values(await liveRoutes())).toEqual([v2, v2, v2, v2]);
    const counter = new Contract(dispatcher, loadArtifact("CounterFacetV2").abi as InterfaceAbi, wallet);
    expect(await counter.count()).toBe(41n);
  });

  it("rollback --rpc to epoch 1 after epoch 2 (which added, replaced and removed) rolls out and the loupe equals epoch 1's routes", async () => {
    // Act
    const run = await payrox(["manifest", "rollback", "--to", join(dir, "chain-e1.json"), "--applied", join(dir, "chain-e1.json"), join(dir, "chain-e2.json"), ...network(), "--out", join(dir, "chain-e3.json"), "--json"], dir);
    expect(run.code, run.stderr).toBe(0);
    await planAndRollOut("chain-e3");

    // Assess
    const out = stdoutJson<{ add: { signature: string }[]; replace: unknown[]; remove: { signature: string }[]; next: { baseEpoch: number; previousRoot: string } }>(run);
    expect(out.add.map((a) => a.signature)).toEqual(["greet()"]);
    expect(out.replace).toHaveLength(3);
    expect(out.remove.map((r) => r.signature)).toEqual(["decrement()"]);
    expect(out.next).toMatchObject({ baseEpoch: 2, previousRoot: (await readJson<{ root: string }>(join(dir, "chain-e2.json"))).root });
    expect(await loupe.activeEpoch()).toBe(3n);
    expect(await liveRoutes()).toEqual(await manifestRoutes(join(dir, "chain-e1.json")));
  });

  it("a rollback with the same routes as epoch 1 has epoch 1's root, and the dispatcher commits that root again as a new epoch", async () => {
    // Prepare: epoch 4 moves every epoch-1 selector to a second CounterFacetV1 (replaces only).
    const artifact = loadArtifact("CounterFacetV1");
    const twin = await new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, wallet).deploy();
    await twin.waitForDeployment();
    const specPath = await writeJson(dir, "chain-twin.spec.json", spec(dir, { name: "twin", baseEpoch: 3, facets: [{ artifact: "CounterFacetV1", address: await twin.getAddress() }] }));
    const diff = await payrox(["manifest", "diff", "--spec", specPath, ...network(), "--out", join(dir, "chain-e4.json")], dir);
    expect(diff.code, diff.stderr).toBe(0);
    await planAndRollOut("chain-e4");
    const applied = ["chain-e1", "chain-e2", "chain-e3", "chain-e4"].map((n) => join(dir, `${n}.json`));
    const e1Root = (await readJson<{ root: string }>(applied[0])).root;

    // Act
    const run = await payrox(["manifest", "rollback", "--to", applied[0], "--applied", ...applied, ...network(), "--out", join(dir, "chain-e5.json"), "--json"], dir);
    expect(run.code, run.stderr).toBe(0);
    await planAndRollOut("chain-e5");

    // Assess
    expect(stdoutJson<{ next: { root: string }; sameRootAs: string }>(run)).toMatchObject({ next: { root: e1Root }, sameRootAs: expect.stringMatching(/chain-e1\.json$/) });
    expect(await loupe.activeRoot()).toBe(e1Root);
    expect(await loupe.activeEpoch()).toBe(5n);
    expect(await liveRoutes()).toEqual(await manifestRoutes(applied[0]));
  });

  it("rollback --rpc refuses an applied list that does not end at the live root, writing nothing", async () => {
    // Act
    const run = await payrox(["manifest", "rollback", "--to", join(dir, "chain-e1.json"), "--applied", join(dir, "chain-e1.json"), join(dir, "chain-e2.json"), ...network(), "--out", join(dir, "stale.json")], dir);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the dispatcher's active root is 0x[0-9a-f]{64} \(epoch 5\), but the last applied manifest "counter-v2"/);
    expect(existsSync(join(dir, "stale.json"))).toBe(false);
  });

  it("rejects a facet whose code differs from the pinned codehash or that has no code (FacetCodeError)", async () => {
    const wrongCode = await build("wrong-code", { facets: [{ artifact: "CounterFacetV1", address: v2 }] });
    expect(wrongCode.code, wrongCode.stderr).toBe(0);

    const mismatch = await payrox(["manifest", "verify", join(dir, "wrong-code.json"), "--rpc", chain.rpcUrl, "--json"], dir);
    const noCode = await build("no-code", { facets: [{ artifact: "CounterFacetV1", address: NO_CODE }] }, ["--rpc", chain.rpcUrl]);

    expect(mismatch.code).toBe(1);
    expect(stdoutJson<{ error: { name: string; message: string } }>(mismatch).error).toMatchObject({ name: "FacetCodeError", message: expect.stringMatching(/hashes to 0x[0-9a-f]{64} but the manifest pins/) });
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toMatch(/has no code on the network/);
    expect(existsSync(join(dir, "no-code.json"))).toBe(false);
  });

  it("build --rpc checks the initializer's code like a facet's: no code or other code is a FacetCodeError and nothing is written", async () => {
    // Prepare
    const init = (address: string) => ["--rpc", chain.rpcUrl, "--init", "BenchFacet", "--init-address", address, "--init-call", "store", "--init-args", "[1]", "--json"];

    // Act
    const noCode = await build("init-no-code", { facets: [{ artifact: "CounterFacetV1", address: v1 }] }, init(NO_CODE));
    const otherCode = await build("init-other-code", { facets: [{ artifact: "CounterFacetV1", address: v1 }] }, init(v2));

    // Assess
    expect(stdoutJson<{ error: { name: string; message: string } }>(noCode).error).toMatchObject({ name: "FacetCodeError", message: expect.stringMatching(/BenchFacet at 0x000000000000000000000000000000000000dEaD has no code on the network/) });
    expect(stdoutJson<{ error: { name: string; message: string } }>(otherCode).error).toMatchObject({ name: "FacetCodeError", message: expect.stringMatching(/the network's code hashes to .* but the artifact's runtime bytecode/) });
    expect([noCode.code, otherCode.code]).toEqual([1, 1]);
    expect(existsSync(join(dir, "init-no-code.json")) || existsSync(join(dir, "init-other-code.json"))).toBe(false);
  });
});
