/**
 * The realistic upgrade of issue 12 §3: 400 new selectors on 25 new facets, planned with the planner's
 * defaults, committed, applied batch by batch and activated on a fresh dispatcher — and the marginal gas of
 * one more distinct facet (`perFacetPin`).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { keccak256, toBeHex, type Contract } from "ethers";
import { buildManifestTree, encodeBatch, manifestRoot, planBatches, type RouteLeaf } from "@payrox/core";
import { sendActivate, sendCommit } from "./lifecycle.js";

/** Gas of one planned upgrade: every transaction, in order. */
export interface UpgradeGas {
  commit: number;
  applies: number[];
  activate: number;
  total: number;
  txs: number;
}

/** `n` distinct pseudo-random selectors (routing does not need the facet to implement them). */
export function syntheticSelectors(n: number, seed: number): string[] {
  const out = new Set<string>();
  for (let i = 0; out.size < n; i++) {
    const s = keccak256(toBeHex((BigInt(seed) << 32n) + BigInt(i), 32)).slice(0, 10);
    if (s !== "0x00000000") out.add(s);
  }
  return [...out];
}

async function freshDispatcher(hre: HardhatRuntimeEnvironment, admin: HardhatEthersSigner) {
  const { ethers } = hre;
  const router = (await (await ethers.getContractFactory("ManifestDispatcher")).deploy(admin.address, 3600, 1, 60, 3600, 300)) as unknown as Contract;
  const adminFacet = await ethers.getContractAt("DispatcherAdminFacet", await router.getAddress());
  for (const role of [await adminFacet.COMMIT_ROLE(), await adminFacet.APPLY_ROLE()]) await (await adminFacet.grantRole(role, admin.address)).wait();
  return { router, adminFacet };
}

/** Deploys `n` BenchFacet instances (distinct addresses). */
export async function deployFacets(hre: HardhatRuntimeEnvironment, n: number): Promise<{ address: string; codehash: string }[]> {
  const factory = await hre.ethers.getContractFactory("BenchFacet");
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = await factory.deploy();
    await c.waitForDeployment();
    const address = await c.getAddress();
    out.push({ address, codehash: keccak256(await hre.ethers.provider.getCode(address)) });
  }
  return out;
}

/** Plans `routes` with the planner's defaults and runs commit → every batch → activate on a fresh dispatcher. */
export async function runPlannedUpgrade(hre: HardhatRuntimeEnvironment, admin: HardhatEthersSigner, routes: RouteLeaf[]): Promise<UpgradeGas> {
  const d = await freshDispatcher(hre, admin);
  const plan = planBatches({ entries: routes as never, root: manifestRoot(routes) });
  const tree = buildManifestTree(routes);
  const gas = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => Number((await (await tx).wait())!.gasUsed);
  const commit = await gas(sendCommit(d.router, tree, await d.adminFacet.nextEpoch()));
  const applies: number[] = [];
  for (const b of plan.batches) applies.push(await gas(d.router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)));
  await hre.ethers.provider.send("evm_increaseTime", [60]);
  const activate = await gas(sendActivate(d.router, tree));
  const total = commit + applies.reduce((a, b) => a + b, 0) + activate;
  return { commit, applies, activate, total, txs: 2 + applies.length };
}

/** 400 new selectors spread evenly over 25 new facets (16 each). */
export async function measureRealistic400x25(hre: HardhatRuntimeEnvironment, admin: HardhatEthersSigner): Promise<UpgradeGas> {
  const facets = await deployFacets(hre, 25);
  const routes = syntheticSelectors(400, 400).map((selector, i) => ({ selector, facet: facets[i % 25].address, codehash: facets[i % 25].codehash }));
  return runPlannedUpgrade(hre, admin, routes);
}

/**
 * Gas of pinning one more distinct facet: the whole upgrade (commit + one apply + activate) of 40 new
 * selectors on 5 facets minus the same on 1 facet, per added facet.
 */
export async function measurePerFacetPin(hre: HardhatRuntimeEnvironment, admin: HardhatEthersSigner): Promise<number> {
  const facets = await deployFacets(hre, 5);
  const selectors = syntheticSelectors(40, 41);
  const total = async (k: number) => {
    const d = await freshDispatcher(hre, admin);
    const tree = buildManifestTree(selectors.map((selector, i) => ({ selector, facet: facets[i % k].address, codehash: facets[i % k].codehash })));
    let sum = Number((await (await sendCommit(d.router, tree, 1n)).wait())!.gasUsed);
    const b = encodeBatch(tree, [...Array(tree.leafCount).keys()]);
    sum += Number((await (await d.router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)).wait())!.gasUsed);
    await hre.ethers.provider.send("evm_increaseTime", [60]);
    sum += Number((await (await sendActivate(d.router, tree)).wait())!.gasUsed);
    return sum;
  };
  return Math.round(((await total(5)) - (await total(1))) / 4);
}
