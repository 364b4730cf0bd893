/** One measured commit → apply (single tx) → activate run on a fresh dispatcher (bench + demo helper). */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { buildManifestTree, encodeBatch } from "../../lib/batch.js";

export interface LifecycleInput {
  facetAddress: string;
  codehash: string;
  selectors: string[];
  /** Selectors of a second manifest to commit afterwards (measures a steady-state commit). */
  steadySelectors?: string[];
}

export interface LifecycleGas {
  dispatcher: string;
  adminFacet: string;
  commit: number;
  apply: number;
  activate: number;
  commitSteady?: number;
}

/** Deploys a fresh dispatcher (delay 60 s), runs one full lifecycle and returns each step's gasUsed. */
export async function measureLifecycle(hre: HardhatRuntimeEnvironment, admin: HardhatEthersSigner, input: LifecycleInput): Promise<LifecycleGas> {
  const { ethers } = hre;
  const delay = 60;
  const Dispatcher = await ethers.getContractFactory("ManifestDispatcher");
  const router = await Dispatcher.deploy(admin.address, 3600, 1, delay, 3600, 300);
  await router.waitForDeployment();
  const address = await router.getAddress();
  const adminApi = await ethers.getContractAt("DispatcherAdminFacet", address);
  for (const role of [await adminApi.COMMIT_ROLE(), await adminApi.APPLY_ROLE()]) await (await adminApi.grantRole(role, admin.address)).wait();

  const tree = buildManifestTree(input.selectors.map((selector) => ({ selector, facet: input.facetAddress, codehash: input.codehash })));
  const epoch = (await adminApi.activeEpoch()) + 1n;
  const commit = await (await router.commitRoot(tree.root, epoch, tree.length)).wait();
  const batch = encodeBatch(tree, [...Array(tree.length).keys()]);
  const apply = await (await router.applyRoutes(batch.facets, batch.leaves, batch.proof, batch.proofFlags)).wait();
  await ethers.provider.send("evm_increaseTime", [delay]);
  const activate = await (await router.activateCommittedRoot()).wait();

  let commitSteady: number | undefined;
  if (input.steadySelectors) {
    const next = buildManifestTree(input.steadySelectors.map((selector) => ({ selector, facet: input.facetAddress, codehash: input.codehash })));
    const receipt = await (await router.commitRoot(next.root, epoch + 1n, next.length)).wait();
    commitSteady = Number(receipt!.gasUsed);
  }
  return {
    dispatcher: address,
    adminFacet: await adminApi.adminFacet(),
    commit: Number(commit!.gasUsed),
    apply: Number(apply!.gasUsed),
    activate: Number(activate!.gasUsed),
    commitSteady,
  };
}
