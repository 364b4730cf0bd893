/**
 * Measures applyRoutes gas on anvil for the planner's gas model (packages/core GAS_MODEL): deploys 70
 * generated 10-function facets (compiled with npm solc), then plans and applies manifests of new
 * selectors, replacements and removals with 1–30 listed facets and batch sizes 1–1000, and prints one
 * JSON row per transaction { label, listed, used (facets in the batch), nNew, nRep, nRem, proof, gas,
 * est } for a least-squares fit. Run: npx tsx packages/cli/scripts/measure-apply-gas.ts > rows.json
 */
import { Contract, ContractFactory, type InterfaceAbi } from "ethers";
import { buildManifest, planBatches, buildManifestTree, manifestInitializer, GAS_MODEL, ZeroHash } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain } from "../../../contracts/lib/local-chain.js";
import { compileSolidity } from "../tests/solc-artifacts.js";

const N = 70;
const SOL = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.30;\n" + Array.from({ length: N }, (_, i) => { const n = String(i).padStart(2, "0"); return `contract Bulk${n}Facet {\n${Array.from({ length: 10 }, (_, j) => `  function bulk${n}_${j}() external pure returns (uint256) { return ${i * 10 + j}; }`).join("\n")}\n}`; }).join("\n");
const compiled = compileSolidity("Bulk.sol", SOL);
const chain = await startLocalChain({ kind: "anvil" });
const { provider, wallet } = devWallet(chain);
const deploy = async (name: string) => { const c = await new ContractFactory(compiled[name].abi as InterfaceAbi, compiled[name].bytecode, wallet).deploy(); await c.waitForDeployment(); return c.getAddress(); };
const names = Object.keys(compiled).sort();
const addrA: Record<string, string> = {}, addrB: Record<string, string> = {};
for (const n of names) { addrA[n] = await deploy(n); addrB[n] = await deploy(n); }
const d = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { activationDelay: 1, minActivationDelay: 1, maxBatchSize: 1000 }));
const loupe = new Contract(d.address, loadArtifact("DispatcherAdminFacet").abi as InterfaceAbi, wallet);
const router = new Contract(d.address, loadArtifact("ManifestDispatcher").abi as InterfaceAbi, wallet);
for (const role of [await loupe.COMMIT_ROLE(), await loupe.APPLY_ROLE()]) await (await loupe.grantRole(role, wallet.address)).wait();
const rows: any[] = [];
let epoch = 0, root = ZeroHash;
async function run(label: string, facets: { name: string; address: string; functions?: string[] }[], remove: string[], maxBatchSize: number, existing: Set<string>) {
  const manifest = await buildManifest({ name: label, baseEpoch: epoch, previousRoot: root, facets: facets.map((f) => ({ name: f.name, abi: compiled[f.name].abi as InterfaceAbi, deployedBytecode: compiled[f.name].deployedBytecode, address: f.address, functions: f.functions })), remove });
  const plan = planBatches(manifest, { gasCap: 30_000_000, maxBatchSize, existingSelectors: existing });
  const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
  const { root: r, leafCount, binding, headerProof } = { root: tree.root, leafCount: tree.leafCount, binding: (await import("@payrox/core")).commitArgs(tree).binding, headerProof: tree.headerProof };
  await (await router.commitRoot(r, await loupe.nextEpoch(), leafCount, binding, headerProof)).wait();
  for (const b of plan.batches) {
    const rc = await (await router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags, { gasLimit: 29_000_000 })).wait();
    const usedFacets = new Set(b.routes.filter((x) => !/^0x0{40}$/i.test(x.facet)).map((x) => x.facet)).size;
    const nNew = b.routes.filter((x) => !existing.has(x.selector)).length;
    const nRem = b.routes.filter((x) => existing.has(x.selector) && /^0x0{40}$/i.test(x.facet)).length;
    const nRep = b.routes.length - nNew - nRem;
    rows.push({ label, listed: b.facets.length, used: usedFacets, nNew, nRep, nRem, proof: b.proof.length, gas: Number(rc!.gasUsed), est: b.estimatedGas });
  }
  await provider.send("evm_increaseTime", [2]); await provider.send("evm_mine", []);
  const act = (await import("@payrox/core")).activateArgs(tree);
  await (await router.activateCommittedRoot(act.facets, act.init)).wait();
  epoch = Number(await loupe.activeEpoch()); root = await loupe.activeRoot();
  for (const e of manifest.entries) { if (/^0x0{40}$/i.test(e.facet)) existing.delete(e.selector); else existing.add(e.selector); }
}
const live = new Set<string>();
const F = (a: number, b: number, A = addrA) => names.slice(a, b).map((n) => ({ name: n, address: A[n] }));
await run("l1-b1", F(0, 1), [], 1, live);
await run("l1-b3", F(1, 2), [], 3, live);
await run("l1-b10", F(2, 3), [], 10, live);
await run("l3-b5", F(3, 6), [], 5, live);
await run("l30-b50", F(6, 36), [], 50, live);
await run("l30-b1", F(36, 66), [], 1000, live);
await run("r1-b1", F(0, 1, addrB), [], 1, live);
await run("r1-b10", F(1, 2, addrB), [], 10, live);
await run("r3-b4", F(3, 6, addrB), [], 4, live);
await run("r30-b60", F(6, 36, addrB), [], 60, live);
const sigs = (i: number) => Array.from({ length: 10 }, (_, j) => `bulk${String(i).padStart(2, "0")}_${j}()`);
await run("rem1", [], sigs(2).slice(0, 1), 1, live);
await run("rem-b7", [], [36, 37].flatMap(sigs), 7, live);
console.log(JSON.stringify(rows));
provider.destroy(); await chain.stop();
