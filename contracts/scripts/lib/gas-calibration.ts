/**
 * Measures the components of the `applyRoutes` gas model (packages/core GAS_MODEL) on Hardhat's
 * in-process network, worst case: fresh dispatcher, fresh facets, first replacement of each selector.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildManifestTree, encodeBatch, removal, type GasModel, type RouteLeaf } from "@payrox/core";
import { sendActivate, sendCommit } from "./lifecycle.js";
import { keccak256, type Contract } from "ethers";

/** The measured components (the replaced-list slot and proof hash costs are fixed by the EVM's prices). */
export type MeasuredGasModel = Omit<GasModel, "replacedListSlot" | "replacedListUpdate" | "perProofHash">;

/** Runs the calibration workloads and derives each component by differences. */
export async function calibrateGasModel(hre: HardhatRuntimeEnvironment): Promise<MeasuredGasModel> {
  const { ethers } = hre;
  const [admin] = await ethers.getSigners();
  const benchFactory = await ethers.getContractFactory("BenchFacet");
  const freshFacet = async () => {
    const c = await benchFactory.deploy();
    await c.waitForDeployment();
    const address = await c.getAddress();
    return { address, codehash: keccak256(await ethers.provider.getCode(address)) };
  };
  const selectors = benchFactory.interface.fragments.filter((f) => f.type === "function").map((f) => (f as unknown as { selector: string }).selector);

  const freshDispatcher = async () => {
    const router = (await (await ethers.getContractFactory("ManifestDispatcher")).deploy(admin.address, 3600, 1, 1, 3600, 300)) as unknown as Contract;
    const adminFacet = await ethers.getContractAt("DispatcherAdminFacet", await router.getAddress());
    await (await adminFacet.grantRole(await adminFacet.COMMIT_ROLE(), admin.address)).wait();
    await (await adminFacet.grantRole(await adminFacet.APPLY_ROLE(), admin.address)).wait();
    return { router, adminFacet };
  };
  /** Commits `routes` as one manifest and applies them in one batch; returns that batch's gasUsed. */
  const applyOnce = async (d: Awaited<ReturnType<typeof freshDispatcher>>, routes: RouteLeaf[], activate = false) => {
    const tree = buildManifestTree(routes);
    await (await sendCommit(d.router, tree, await d.adminFacet.nextEpoch())).wait();
    const b = encodeBatch(tree, [...Array(tree.leafCount).keys()]);
    const receipt = await (await d.router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)).wait();
    if (activate) {
      await ethers.provider.send("evm_increaseTime", [2]);
      await (await sendActivate(d.router, tree)).wait();
    }
    return { gas: Number(receipt!.gasUsed), proof: b.proof.length };
  };
  const routesOn = (f: { address: string; codehash: string }, sels: string[]) => sels.map((selector) => ({ selector, facet: f.address, codehash: f.codehash }));

  const one = await applyOnce(await freshDispatcher(), routesOn(await freshFacet(), selectors.slice(0, 1)));
  const twenty = await applyOnce(await freshDispatcher(), routesOn(await freshFacet(), selectors.slice(0, 20)));
  const facets = await Promise.all([0, 1, 2, 3, 4].map(() => freshFacet()));
  const spread = await applyOnce(await freshDispatcher(), selectors.slice(0, 20).map((selector, i) => ({ selector, facet: facets[i % 5].address, codehash: facets[i % 5].codehash })));
  const newLeaf = (twenty.gas - one.gas) / 19;
  const perFacet = (spread.gas - twenty.gas) / 4;

  const replaced = await freshDispatcher();
  await applyOnce(replaced, routesOn(await freshFacet(), selectors.slice(0, 20)), true);
  const replace = await applyOnce(replaced, routesOn(await freshFacet(), selectors.slice(0, 20)));
  const removed = await freshDispatcher();
  await applyOnce(removed, routesOn(await freshFacet(), selectors.slice(0, 20)), true);
  const remove = await applyOnce(removed, selectors.slice(0, 20).map((s) => removal(s)));

  const batchFixed = one.gas - newLeaf - perFacet;

  // v2 stores no pins: a facet used again by a later batch of the same manifest costs the same check.
  const repeatPin = perFacet;

  // Each batch carries the whole facet list: 4 leaves of one facet, from a 1-facet and a 5-facet manifest.
  const listed = async (facetCount: number) => {
    const d = await freshDispatcher();
    const tree = buildManifestTree(selectors.slice(0, 20).map((selector, i) => ({ selector, facet: facets[i % facetCount].address, codehash: facets[i % facetCount].codehash })));
    await (await sendCommit(d.router, tree, 1n)).wait();
    const own = [...Array(tree.leafCount).keys()].filter((i) => tree.route(i).facet === facets[0].address).slice(0, 4);
    const b = encodeBatch(tree, own);
    return { gas: Number((await (await d.router.applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)).wait())!.gasUsed), proof: b.proof.length };
  };
  const alone = await listed(1);
  const amongFive = await listed(5);
  const perListedFacet = (amongFive.gas - alone.gas - (amongFive.proof - alone.proof) * 700) / 4;
  return {
    batchFixed: Math.round(batchFixed),
    perListedFacet: Math.round(perListedFacet),
    perFacet: Math.round(perFacet),
    repeatPin: Math.round(repeatPin),
    newLeaf: Math.round(newLeaf),
    // net of the replaced-list slot (22,100, new), which the model charges once per batch
    replaceLeaf: Math.round((replace.gas - batchFixed - perFacet - 22_100) / 20),
    removeLeaf: Math.round((remove.gas - batchFixed - 22_100) / 20),
  };
}
