/**
 * The manifest toolkit against real contracts on anvil, with artifacts the test compiles itself from solc
 * (Foundry out/ layout): import of an EIP-2535 diamond's and of a ManifestDispatcher's live routing, a bare
 * ABI built with --rpc, the diff mass-removal guard, and plans that match the chain — a 300-selector,
 * 30-facet manifest planned against the live dispatcher and applied, every batch's estimate within +10%
 * of the gas it used and never below.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Contract, ContractFactory, keccak256, ZeroAddress, type InterfaceAbi, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTECTED_SELECTORS } from "@payrox/core";
import type { PlanFile } from "../src/index.js";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { payrox, prepare, readJson, stdoutJson, writeJson, ZERO_HASH } from "./helpers.js";
import { compileSolidity, FACETS_SOL, writeFoundryArtifacts, type Compiled } from "./solc-artifacts.js";

/** A minimal EIP-2535 diamond: routes from its constructor, the loupe's facets(), owner() and ERC-165 in itself. */
const DIAMOND_SOL = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;
contract TestDiamond {
  struct Facet { address facetAddress; bytes4[] functionSelectors; }
  Facet[] private _facets;
  mapping(bytes4 => address) private _route;
  address public owner;
  constructor(address[] memory facetList, bytes4[][] memory selectors) {
    owner = msg.sender;
    bytes4[] memory own = new bytes4[](3);
    own[0] = this.facets.selector; own[1] = this.owner.selector; own[2] = this.supportsInterface.selector;
    _facets.push(Facet(address(this), own));
    for (uint256 i; i < facetList.length; i++) {
      _facets.push(Facet(facetList[i], selectors[i]));
      for (uint256 j; j < selectors[i].length; j++) _route[selectors[i][j]] = facetList[i];
    }
  }
  function facets() external view returns (Facet[] memory) { return _facets; }
  function supportsInterface(bytes4) external pure returns (bool) { return true; }
  fallback() external payable {
    address facet = _route[msg.sig];
    require(facet != address(0), "no route");
    assembly {
      calldatacopy(0, 0, calldatasize())
      let ok := delegatecall(gas(), facet, 0, calldatasize(), 0, 0)
      returndatacopy(0, 0, returndatasize())
      switch ok case 0 { revert(0, returndatasize()) } default { return(0, returndatasize()) }
    }
  }
}
`;

/** The same diamond with only the loupe's facetAddresses() and facetFunctionSelectors(address) (no facets()). */
const LITE_DIAMOND_SOL = DIAMOND_SOL.replace("contract TestDiamond", "contract LiteDiamond")
  .replace("own[0] = this.facets.selector;", "own[0] = this.facetAddresses.selector;")
  .replace(
    "function facets() external view returns (Facet[] memory) { return _facets; }",
    `function facetAddresses() external view returns (address[] memory a) { a = new address[](_facets.length); for (uint256 i; i < a.length; i++) a[i] = _facets[i].facetAddress; }
  function facetFunctionSelectors(address f) external view returns (bytes4[] memory) { for (uint256 i; i < _facets.length; i++) if (_facets[i].facetAddress == f) return _facets[i].functionSelectors; return new bytes4[](0); }`,
  );

/** 30 facets of 10 functions each: the 300-selector upgrade of the gas test. */
export const BULK_SOL =
  "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.30;\n" +
  Array.from({ length: 30 }, (_, i) => {
    const n = String(i).padStart(2, "0");
    return `contract Bulk${n}Facet {\n${Array.from({ length: 10 }, (_, j) => `  function bulk${n}_${j}() external pure returns (uint256) { return ${i * 10 + j}; }`).join("\n")}\n}`;
  }).join("\n");

describe("payrox manifest import, bare ABIs, the mass-removal guard and live plans on anvil", () => {
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let wallet: Wallet;
  let dir: string;
  let compiled: Record<string, Compiled>;
  const deployed: Record<string, string> = {};
  let dispatcher: string;
  let router: Contract;
  let loupe: Contract;

  const deploy = async (c: Compiled, args: unknown[] = []) => {
    const contract = await new ContractFactory(c.abi as InterfaceAbi, c.bytecode, wallet).deploy(...args);
    await contract.waitForDeployment();
    return contract.getAddress();
  };

  beforeAll(async () => {
    dir = await prepare();
    compiled = { ...compileSolidity("Facets.sol", FACETS_SOL), ...compileSolidity("Bulk.sol", BULK_SOL), ...compileSolidity("TestDiamond.sol", DIAMOND_SOL), ...compileSolidity("LiteDiamond.sol", LITE_DIAMOND_SOL) };
    await writeFoundryArtifacts(join(dir, "out"), "Facets.sol", { AlphaFacet: compiled.AlphaFacet, BetaFacet: compiled.BetaFacet, GammaFacet: compiled.GammaFacet });
    await writeFoundryArtifacts(join(dir, "out"), "Bulk.sol", Object.fromEntries(Object.entries(compiled).filter(([n]) => n.startsWith("Bulk"))));
    chain = await startLocalChain({ kind: "anvil" });
    ({ provider, wallet } = devWallet(chain));
    for (const name of Object.keys(compiled).filter((n) => n.endsWith("Facet"))) deployed[name] = await deploy(compiled[name]);
    const deployment = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { activationDelay: 1, minActivationDelay: 1 }));
    dispatcher = deployment.address;
    loupe = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as InterfaceAbi, wallet);
    router = new Contract(dispatcher, loadArtifact("ManifestDispatcher").abi as InterfaceAbi, wallet);
    for (const role of [await loupe.COMMIT_ROLE(), await loupe.APPLY_ROLE()]) await (await loupe.grantRole(role, wallet.address)).wait();
  });

  afterAll(async () => {
    provider?.destroy();
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Commits, applies every planned batch and activates; returns each batch's gas used and estimate. */
  async function rollOut(planPath: string) {
    const plan = await readJson<PlanFile>(planPath);
    const { root, leafCount, binding, headerProof } = plan.commit;
    await (await router.commitRoot(root, await loupe.nextEpoch(), leafCount, binding, headerProof)).wait();
    const gas: { used: number; estimated: number }[] = [];
    for (const b of plan.batches) {
      const receipt = await (await router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)).wait();
      gas.push({ used: Number(receipt!.gasUsed), estimated: b.estimatedGas });
    }
    await provider.send("evm_increaseTime", [2]);
    await provider.send("evm_mine", []);
    await (await router.activateCommittedRoot(plan.activate.facets, plan.activate.init)).wait();
    return gas;
  }

  const spec = (name: string, facets: unknown[]) => ({ name, baseEpoch: 0, previousRoot: ZERO_HASH, artifacts: "out", facets });

  it("plans a 300-selector, 30-facet manifest against the live routing; each batch's estimate is within +10% of the gas used, never below", async () => {
    const bulk = Object.keys(deployed).filter((n) => n.startsWith("Bulk")).sort();
    const specPath = await writeJson(dir, "bulk.spec.json", spec("bulk", bulk.map((artifact) => ({ artifact, address: deployed[artifact] }))));
    const built = await payrox(["manifest", "build", "--spec", specPath, "--out", join(dir, "bulk.json"), "--rpc", chain.rpcUrl], dir);
    expect(built.code, built.stderr).toBe(0);

    const [live, offline] = await Promise.all([
      payrox(["manifest", "plan", join(dir, "bulk.json"), "--rpc", chain.rpcUrl, "--dispatcher", dispatcher, "--out", join(dir, "bulk.plan.json"), "--json"], dir),
      payrox(["manifest", "plan", join(dir, "bulk.json"), "--json"], dir),
    ]);
    expect(live.code, live.stderr).toBe(0);
    expect(stdoutJson<{ assumption: string }>(live).assumption).toBe("live-routing");
    const gas = await rollOut(join(dir, "bulk.plan.json"));

    console.log(`300 selectors / 30 facets: live plan ${gas.length} batches, offline plan ${stdoutJson<PlanFile>(offline).batches.length}; ` + gas.map((g) => `estimated ${g.estimated} / used ${g.used} (+${((g.estimated / g.used - 1) * 100).toFixed(1)}%)`).join(", "));
    expect(stdoutJson<PlanFile>(live).batches.reduce((n, b) => n + (b.leaves.length - 2) / 10, 0)).toBe(300);
    for (const g of gas) {
      expect(g.estimated).toBeGreaterThanOrEqual(g.used);
      expect(g.estimated).toBeLessThanOrEqual(Math.floor(g.used * 1.1));
    }
    const routes = (await loupe.facets()).flatMap(([, selectors]: [string, string[]]) => selectors).filter((s: string) => !PROTECTED_SELECTORS.has(s));
    expect(routes).toHaveLength(300);
  });

  it("imports the dispatcher's live routing, named from the Foundry artifacts; diff --desired with it changes nothing", async () => {
    const run = await payrox(["manifest", "import", "--rpc", chain.rpcUrl, "--diamond", dispatcher, "--artifacts", "out", "--out", join(dir, "live.json"), "--json"], dir);

    expect(run.code, run.stderr).toBe(0);
    const out = stdoutJson<{ kind: string; protectedLeftOut: { selector: string }[] }>(run);
    expect(out.kind).toBe("manifest-dispatcher");
    expect(out.protectedLeftOut.map((p) => p.selector).sort()).toEqual([...PROTECTED_SELECTORS.keys()].filter((s) => s !== "0x00000000").sort());
    const live = await readJson<{ baseEpoch: number; previousRoot: string; entries: { facet: string; facetName: string; codehash: string }[] }>(join(dir, "live.json"));
    expect(live.baseEpoch).toBe(Number(await loupe.activeEpoch()));
    expect(live.previousRoot).toBe(await loupe.activeRoot());
    expect(live.entries).toHaveLength(300);
    const first = live.entries.find((e) => e.facet === deployed.Bulk00Facet)!;
    expect(first.facetName).toBe("Bulk00Facet");
    expect(first.codehash).toBe(keccak256(await provider.getCode(deployed.Bulk00Facet)));
    const diff = await payrox(["manifest", "diff", "--desired", join(dir, "live.json"), "--rpc", chain.rpcUrl, "--dispatcher", dispatcher, "--json"], dir);
    expect(diff.code, diff.stderr).toBe(0);
    expect(stdoutJson<{ changed: boolean; unchanged: number }>(diff)).toMatchObject({ changed: false, unchanged: 300 });
  });

  it("refuses a diff that removes more than half of the live selectors unless --allow-mass-removal, naming the count", async () => {
    const specPath = await writeJson(dir, "one.spec.json", spec("one", [{ artifact: "Bulk00Facet", address: deployed.Bulk00Facet }]));
    const diff = (extra: string[]) => payrox(["manifest", "diff", "--spec", specPath, "--rpc", chain.rpcUrl, "--dispatcher", dispatcher, "--out", join(dir, "mass.json"), "--json", ...extra], dir);

    const refused = await diff([]);
    const allowed = await diff(["--allow-mass-removal"]);

    expect(refused.code).toBe(1);
    expect(stdoutJson<{ error: { name: string; message: string } }>(refused).error).toMatchObject({ name: "MassRemovalError", message: expect.stringMatching(/would remove 290 of the 300 live selectors \(more than half\).*--allow-mass-removal/) });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(stdoutJson<{ remove: unknown[]; unchanged: number }>(allowed)).toMatchObject({ unchanged: 10 });
    expect(stdoutJson<{ remove: unknown[] }>(allowed).remove).toHaveLength(290);
  });

  it("imports an EIP-2535 diamond's routing on epoch 0, leaving out its loupe, ownership and ERC-165, and names unknown selectors", async () => {
    const selectorsOf = (c: Compiled, fns: string[]) => fns.map((f) => c.methodIdentifiers[f]).map((s) => "0x" + s);
    const diamond = await deploy(compiled.TestDiamond, [[deployed.AlphaFacet, deployed.GammaFacet], [selectorsOf(compiled.AlphaFacet, ["alpha()", "shared()"]), selectorsOf(compiled.GammaFacet, ["gamma(uint256)"])]]);
    await writeFoundryArtifacts(join(dir, "only-alpha"), "Facets.sol", { AlphaFacet: compiled.AlphaFacet });
    const gamma = new Contract(diamond, compiled.GammaFacet.abi as InterfaceAbi, provider);
    expect(await gamma.gamma(7)).toBe(7n);

    const [ok, unnamed] = await Promise.all([
      payrox(["manifest", "import", "--rpc", chain.rpcUrl, "--diamond", diamond, "--artifacts", "out", "--name", "migrate", "--out", join(dir, "diamond.json"), "--json"], dir),
      payrox(["manifest", "import", "--rpc", chain.rpcUrl, "--diamond", diamond, "--artifacts", "only-alpha", "--out", join(dir, "unnamed.json"), "--json"], dir),
    ]);

    expect(ok.code, ok.stderr).toBe(0);
    const out = stdoutJson<{ kind: string; protectedLeftOut: { selector: string; protectedAs: string }[] }>(ok);
    expect(out.kind).toBe("diamond");
    expect(out.protectedLeftOut.map((p) => p.protectedAs).sort()).toEqual(["facets()", "owner()", "supportsInterface(bytes4)"]);
    const manifest = await readJson<{ name: string; baseEpoch: number; previousRoot: string; entries: { signature: string; facetName: string }[] }>(join(dir, "diamond.json"));
    expect(manifest).toMatchObject({ name: "migrate", baseEpoch: 0, previousRoot: ZERO_HASH });
    expect(manifest.entries.map((e) => `${e.facetName}.${e.signature}`).sort()).toEqual(["AlphaFacet.alpha()", "AlphaFacet.shared()", "GammaFacet.gamma(uint256)"]);
    expect((await payrox(["manifest", "verify", join(dir, "diamond.json")], dir)).code).toBe(0);
    expect(unnamed.code).toBe(1);
    expect(stdoutJson<{ error: { issues: { path: string; message: string }[] } }>(unnamed).error.issues).toEqual([
      { path: `facets.${deployed.GammaFacet}.0x${compiled.GammaFacet.methodIdentifiers["gamma(uint256)"]}`, message: expect.stringMatching(/is not in any ABI given/) },
    ]);
  });

  it("reads a diamond without facets() through facetAddresses() and facetFunctionSelectors()", async () => {
    const selectorsOf = (c: Compiled, fns: string[]) => fns.map((f) => "0x" + c.methodIdentifiers[f]);
    const diamond = await deploy(compiled.LiteDiamond, [[deployed.GammaFacet], [selectorsOf(compiled.GammaFacet, ["gamma(uint256)"])]]);

    const run = await payrox(["manifest", "import", "--rpc", chain.rpcUrl, "--diamond", diamond, "--artifacts", "out", "--out", join(dir, "lite.json"), "--json"], dir);

    expect(run.code, run.stderr).toBe(0);
    expect(stdoutJson<{ protectedLeftOut: { protectedAs: string }[] }>(run).protectedLeftOut.map((p) => p.protectedAs).sort()).toEqual(["facetAddresses()", "owner()", "supportsInterface(bytes4)"]);
    const manifest = await readJson<{ entries: { signature: string; facet: string; facetName: string }[] }>(join(dir, "lite.json"));
    expect(manifest.entries).toEqual([expect.objectContaining({ signature: "gamma(uint256)", facet: deployed.GammaFacet, facetName: "GammaFacet" })]);
  });

  it("builds from a bare ABI array with --rpc, pinning the deployed code's hash", async () => {
    await writeJson(join(dir, "out"), "GammaAbi.json", compiled.GammaFacet.abi);
    const specPath = await writeJson(dir, "abi.spec.json", spec("abi", [{ artifact: "GammaAbi", address: deployed.GammaFacet }]));

    const run = await payrox(["manifest", "build", "--spec", specPath, "--out", join(dir, "abi.json"), "--rpc", chain.rpcUrl, "--json"], dir);

    expect(run.code, run.stderr).toBe(0);
    expect(stdoutJson<{ artifacts: { kind: string }[] }>(run).artifacts).toEqual([expect.objectContaining({ kind: "abi" })]);
    const manifest = await readJson<{ entries: { signature: string; codehash: string }[] }>(join(dir, "abi.json"));
    expect(manifest.entries).toEqual([expect.objectContaining({ signature: "gamma(uint256)", codehash: keccak256(await provider.getCode(deployed.GammaFacet)) })]);
  });

  it("replaces all 300 routes with new deployments of the 30 facets: each live-planned batch within +10% of the gas used, never below", async () => {
    const bulk = Object.keys(deployed).filter((n) => n.startsWith("Bulk")).sort();
    const again: Record<string, string> = {};
    for (const name of bulk) again[name] = await deploy(compiled[name]);
    const specPath = await writeJson(dir, "bulk2.spec.json", { ...spec("bulk2", bulk.map((artifact) => ({ artifact, address: again[artifact] }))), baseEpoch: Number(await loupe.activeEpoch()), previousRoot: await loupe.activeRoot() });
    const built = await payrox(["manifest", "build", "--spec", specPath, "--out", join(dir, "bulk2.json"), "--rpc", chain.rpcUrl], dir);
    expect(built.code, built.stderr).toBe(0);

    const [live, offline] = await Promise.all([
      payrox(["manifest", "plan", join(dir, "bulk2.json"), "--rpc", chain.rpcUrl, "--dispatcher", dispatcher, "--out", join(dir, "bulk2.plan.json"), "--json"], dir),
      payrox(["manifest", "plan", join(dir, "bulk2.json"), "--json"], dir),
    ]);
    expect(live.code, live.stderr).toBe(0);
    const gas = await rollOut(join(dir, "bulk2.plan.json"));

    console.log(`300 replacements / 30 facets: live plan ${gas.length} batches, offline plan ${stdoutJson<PlanFile>(offline).batches.length}; ` + gas.map((g) => `estimated ${g.estimated} / used ${g.used} (+${((g.estimated / g.used - 1) * 100).toFixed(1)}%)`).join(", "));
    expect(stdoutJson<PlanFile>(offline).batches.length).toBe(gas.length); // every leaf replaces: the offline assumption holds
    for (const g of gas) {
      expect(g.estimated).toBeGreaterThanOrEqual(g.used);
      expect(g.estimated).toBeLessThanOrEqual(Math.floor(g.used * 1.1));
    }
    const routes = (await loupe.facets()).filter(([facet]: [string]) => Object.values(again).includes(facet)).flatMap(([, selectors]: [string, string[]]) => selectors);
    expect(routes).toHaveLength(300);
  });
});
