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
    compiled = { ...compileSolidity("Facets.sol", FACETS_SOL), ...compileSolidity("Bulk.sol", BULK_SOL), ...compileSolidity("TestDiamond.sol", DIAMOND_SOL) };
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
});
