/**
 * The toolkit against the real contract (Hardhat's in-process network): a manifest built and planned
 * by @payrox/core is committed (header proof), applied batch by batch and activated (facet list and
 * initializer), and the loupe equals the manifest's routing; planned batches never exceed their gas cap
 * by the gas the chain reports; activation's gas per facet stays within ACTIVATION_GAS (the plan's
 * activation estimate); an initializer built by the toolkit runs at activation.
 */
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import { Contract, Interface, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import {
  ACTIVATION_GAS,
  activateArgs,
  buildManifest,
  buildManifestTree,
  commitArgs,
  manifestInitializer,
  planBatches,
  PROTECTED_SELECTORS,
  type Manifest,
} from "../../src/index.js";
import { exampleArtifact, exampleFacet } from "../unit/artifacts.js";

const ethers = hre.ethers;

async function fixture() {
  const [admin] = (await ethers.getSigners()) as HardhatEthersSigner[];
  const router = (await (await ethers.getContractFactory("ManifestDispatcher")).deploy(admin.address, 3600, 1, 10, 3600, 300)) as unknown as Contract;
  const address = await router.getAddress();
  const dispatcher = (await ethers.getContractAt("DispatcherAdminFacet", address)) as unknown as Contract;
  await (await dispatcher.grantRole(await dispatcher.COMMIT_ROLE(), admin.address)).wait();
  await (await dispatcher.grantRole(await dispatcher.APPLY_ROLE(), admin.address)).wait();
  const deploy = async (name: string) => {
    const c = await (await ethers.getContractFactory(name)).deploy();
    await c.waitForDeployment();
    return c.getAddress();
  };
  const benches = [await deploy("BenchFacet"), await deploy("BenchFacet"), await deploy("BenchFacet")];
  return { admin, router, dispatcher, address, v1: await deploy("CounterFacetV1"), v2: await deploy("CounterFacetV2"), benches };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** Commits (at nextEpoch()), applies the plan's batches and activates; returns the gasUsed of each apply. */
async function run(f: Fixture, manifest: Manifest, plan: ReturnType<typeof planBatches>): Promise<number[]> {
  return (await runWithActivation(f, manifest, plan)).applyGas;
}

/** {@link run}, also returning the activation's gasUsed. */
async function runWithActivation(f: Fixture, manifest: Manifest, plan: ReturnType<typeof planBatches>) {
  const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
  const commit = commitArgs(tree);
  await (await f.router.commitRoot(commit.root, await f.dispatcher.nextEpoch(), commit.leafCount, commit.binding, commit.headerProof)).wait();
  const applyGas: number[] = [];
  for (const b of plan.batches) {
    const receipt = await (await f.router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags, { gasLimit: plan.gasCap })).wait();
    applyGas.push(Number(receipt.gasUsed));
  }
  await time.increase(10);
  const activate = activateArgs(tree);
  const receipt = await (await f.router.activateCommittedRoot(activate.facets, activate.init)).wait();
  return { applyGas, activationGas: Number(receipt.gasUsed) };
}

/** The live, non-protected routing of the dispatcher according to its loupe. */
async function loupeRouting(f: Fixture): Promise<Map<string, string>> {
  const routing = new Map<string, string>();
  for (const [facet, selectors] of await f.dispatcher.facets()) {
    for (const s of selectors) if (!PROTECTED_SELECTORS.has(s)) routing.set(s, facet);
  }
  return routing;
}

describe("manifest toolkit on-chain", () => {
  it("builds, plans, commits, applies and activates; the loupe equals the manifest's routing", async () => {
    const f = await loadFixture(fixture);
    const epoch1 = await buildManifest({
      name: "epoch-1",
      baseEpoch: 0,
      previousRoot: ZeroHash,
      facets: [exampleFacet("CounterFacetV1", f.v1), exampleFacet("BenchFacet", f.benches[0])],
    }, { readCode: (a) => ethers.provider.getCode(a) });
    const plan1 = planBatches(epoch1, { gasCap: 700_000 });
    expect(plan1.batches.length).toBeGreaterThanOrEqual(3);
    await run(f, epoch1, plan1);
    expect(await loupeRouting(f)).toEqual(new Map(epoch1.entries.map((e) => [e.selector, e.facet])));
    expect(await f.dispatcher.activeRoot()).toBe(epoch1.root);

    // epoch 2: V2 replaces V1's overlapping functions, greet() is removed
    const epoch2 = await buildManifest({
      name: "epoch-2",
      baseEpoch: 1,
      previousRoot: epoch1.root,
      facets: [exampleFacet("CounterFacetV2", f.v2)],
      remove: ["greet()"],
    });
    await run(f, epoch2, planBatches(epoch2));
    const expected = new Map(epoch1.entries.map((e) => [e.selector, e.facet]));
    for (const e of epoch2.entries) e.facet === ZeroHash.slice(0, 42) ? expected.delete(e.selector) : expected.set(e.selector, e.facet);
    expect(await loupeRouting(f)).toEqual(expected);
    const counter = new Contract(f.address, new Interface(exampleArtifact("CounterFacetV2").abi as never), f.admin);
    expect(await counter.version()).toBe(2n);
  });

  it("never lets a planned batch exceed its gas cap or its estimate (random manifests and caps)", async () => {
    const bench = new Interface(exampleArtifact("BenchFacet").abi as never);
    const signatures = bench.fragments.filter((x) => x.type === "function").map((x) => (x as unknown as { format(f: string): string }).format("sighash"));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...signatures), { minLength: 1, maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 64, maxLength: 64 }),
        fc.integer({ min: 250_000, max: 1_500_000 }),
        fc.boolean(),
        async (chosen, facetOf, gasCap, twoEpochs) => {
          const f = await loadFixture(fixture);
          const facets = (sigs: string[], shift: number) =>
            [0, 1, 2]
              .map((k) => ({ k, fns: sigs.filter((_, i) => (facetOf[i] + shift) % 3 === k) }))
              .filter((g) => g.fns.length)
              .map((g) => exampleFacet("BenchFacet", f.benches[g.k], g.fns));
          let base = { epoch: 0, root: ZeroHash };
          if (twoEpochs) {
            // a first epoch routes the same selectors elsewhere, so the second replaces them
            const first = await buildManifest({ name: "first", baseEpoch: 0, previousRoot: ZeroHash, facets: facets(chosen, 1) });
            await run(f, first, planBatches(first));
            base = { epoch: 1, root: first.root };
          }
          const manifest = await buildManifest({ name: "random", baseEpoch: base.epoch, previousRoot: base.root, facets: facets(chosen, 0) });
          const plan = planBatches(manifest, { gasCap });
          const used = await run(f, manifest, plan);
          used.forEach((gas, i) => {
            expect(gas).toBeLessThanOrEqual(gasCap);
            expect(gas).toBeLessThanOrEqual(plan.batches[i].estimatedGas);
          });
          expect((await loupeRouting(f)).size).toBe(chosen.length);
        },
      ),
      { numRuns: 20 },
    );
  });

  it("keeps PROTECTED_SELECTORS equal to what the dispatcher routes at construction", async () => {
    const f = await loadFixture(fixture);
    const live = new Set<string>();
    for (const [, selectors] of await f.dispatcher.facets()) for (const s of selectors) live.add(s);
    expect([...live].sort()).toEqual([...PROTECTED_SELECTORS.keys()].filter((s) => s !== "0x00000000").sort());
  });

  it("keeps activation's gas within ACTIVATION_GAS when a manifest pins 1 or 40 distinct facets", async () => {
    // Prepare: one BenchFacet per route, so every facet is distinct and re-verified at activation.
    const bench = exampleArtifact("BenchFacet");
    const deployBenches = async (n: number) => {
      const factory = await ethers.getContractFactory("BenchFacet");
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(await (await factory.deploy()).getAddress());
      return out;
    };
    const activationGas = async (n: number) => {
      const f = await loadFixture(fixture);
      const addresses = await deployBenches(n);
      const facets = addresses.map((address, i) => exampleFacet("BenchFacet", address, [`f${String(i).padStart(2, "0")}`]));
      const manifest = await buildManifest({ name: `facets-${n}`, baseEpoch: 0, previousRoot: ZeroHash, facets });
      return (await runWithActivation(f, manifest, planBatches(manifest))).activationGas;
    };
    expect(bench.abi.length).toBeGreaterThan(40);

    // Act
    const one = await activationGas(1);
    const forty = await activationGas(40);

    // Assess: the measured marginal cost per facet and the fixed part stay under the model.
    const perFacet = (forty - one) / 39;
    expect(perFacet).toBeLessThanOrEqual(ACTIVATION_GAS.perFacet);
    expect(one - perFacet).toBeLessThanOrEqual(ACTIVATION_GAS.fixed);
  });

  it("runs the manifest's initializer at activation (BenchFacet.store(42) writes the dispatcher's storage)", async () => {
    // Prepare
    const f = await loadFixture(fixture);
    const bench = exampleFacet("BenchFacet", f.benches[0], ["stored"]);
    const manifest = await buildManifest(
      { name: "with-init", baseEpoch: 0, previousRoot: ZeroHash, facets: [bench], init: { ...exampleFacet("BenchFacet", f.benches[1]), call: "store", args: [42] } },
      { readCode: (a) => ethers.provider.getCode(a) },
    );
    const stored = new Contract(f.address, new Interface(exampleArtifact("BenchFacet").abi as never), f.admin);

    // Act
    await run(f, manifest, planBatches(manifest));

    // Assess
    expect(manifest.init).toMatchObject({ facet: f.benches[1], facetName: "BenchFacet", calldata: new Interface(exampleArtifact("BenchFacet").abi as never).encodeFunctionData("store", [42]) });
    expect(await stored.stored()).toBe(42n);
    expect(await f.dispatcher.activeRoot()).toBe(manifest.root);
  });
});
