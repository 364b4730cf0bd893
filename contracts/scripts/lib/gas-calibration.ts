/**
 * Measures the components of the `applyRoutes` gas model (packages/core GAS_MODEL) on Hardhat's
 * in-process network, worst case: fresh dispatcher, fresh facets, first replacement of each selector.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildManifestTree, encodeBatch, removal, type GasModel, type RouteLeaf } from "@payrox/core";
import { keccak256, type Contract } from "ethers";

/** The measured components (the replaced-list slot and proof hash costs are fixed by the EVM's prices). */
export type MeasuredGasModel = Omit<GasModel, "replacedListSlot" | "perProofHash">;

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
    await (await d.router.commitRoot(tree.root, (await d.adminFacet.activeEpoch()) + 1n, tree.length)).wait();
    const b = encodeBatch(tree, [...Array(tree.length).keys()]);
    const receipt = await (await d.router.applyRoutes(b.facets, b.leaves, b.proof, b.proofFlags)).wait();
    if (activate) {
      await ethers.provider.send("evm_increaseTime", [2]);
      await (await d.router.activateCommittedRoot()).wait();
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

  // A facet already pinned by an earlier batch of the same manifest: only checked, not stored again.
  const split = await freshDispatcher();
  const forty = buildManifestTree(routesOn(await freshFacet(), selectors.slice(0, 40)));
  await (await split.router.commitRoot(forty.root, 1n, forty.length)).wait();
  const halves = [[...Array(20).keys()], [...Array(20).keys()].map((i) => i + 20)].map((ix) => encodeBatch(forty, ix));
  await (await split.router.applyRoutes(halves[0].facets, halves[0].leaves, halves[0].proof, halves[0].proofFlags)).wait();
  const second = await (await split.router.applyRoutes(halves[1].facets, halves[1].leaves, halves[1].proof, halves[1].proofFlags)).wait();
  const secondProofGas = halves[1].proof.length * 700;
  const repeatPin = Number(second!.gasUsed) - batchFixed - 20 * newLeaf - secondProofGas;
  return {
    batchFixed: Math.round(batchFixed),
    perFacet: Math.round(perFacet),
    repeatPin: Math.round(repeatPin),
    newLeaf: Math.round(newLeaf),
    // net of the replaced-list slot (22,100, new), which the model charges once per batch
    replaceLeaf: Math.round((replace.gas - batchFixed - perFacet - 22_100) / 20),
    removeLeaf: Math.round((remove.gas - batchFixed - 22_100) / 20),
  };
}
