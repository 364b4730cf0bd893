/** One measured commit → apply (single tx) → activate run on a fresh dispatcher (bench + demo helper). */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { activateArgs, buildManifestTree, commitArgs, encodeBatch, type ManifestTree } from "../../lib/batch.js";

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
  const commit = await (await sendCommit(router, tree, await adminApi.nextEpoch())).wait();
  const batch = encodeBatch(tree, [...Array(tree.leafCount).keys()]);
  const apply = await (await router.applyRoutes(batch.facets, batch.initHash, batch.leaves, batch.proof, batch.proofFlags)).wait();
  await ethers.provider.send("evm_increaseTime", [delay]);
  const activate = await (await sendActivate(router, tree)).wait();

  let commitSteady: number | undefined;
  if (input.steadySelectors) {
    const next = buildManifestTree(input.steadySelectors.map((selector) => ({ selector, facet: input.facetAddress, codehash: input.codehash })));
    const receipt = await (await sendCommit(router, next, await adminApi.nextEpoch())).wait();
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

/** `commitRoot` of `tree` at `epoch` (router with the ManifestDispatcher ABI). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sendCommit(router: any, tree: ManifestTree, epoch: bigint) {
  const a = commitArgs(tree);
  return router.commitRoot(a.root, epoch, a.leafCount, a.binding, a.headerProof);
}

/** `activateCommittedRoot` with `tree`'s facet list and initializer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sendActivate(router: any, tree: ManifestTree, overrides: Record<string, unknown> = {}) {
  const a = activateArgs(tree);
  return router.activateCommittedRoot(a.facets, a.init, overrides);
}
