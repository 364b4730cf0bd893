/**
 * Shared fixtures for the contract tests: a dispatcher with one key per role, example facets, manifest
 * helpers and a typed-revert assertion. Runs on Hardhat's in-process network.
 */
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Contract, Interface, keccak256, type BaseContract, type FunctionFragment } from "ethers";
import { expect } from "vitest";
import { activateArgs, buildManifestTree, commitArgs, encodeBatch, encodeBatches, type Initializer, type ManifestTree, type RouteLeaf } from "../lib/batch.js";

export const ethers = hre.ethers;
export { hre, loadFixture, time };

export const DELAY = 60;
export const EXPIRY = 3600;
export const MAX_BATCH = 300;
export const ADMIN_TRANSFER_DELAY = 3600;

export interface Roles {
  admin: HardhatEthersSigner;
  committer: HardhatEthersSigner;
  applier: HardhatEthersSigner;
  emergency: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  newAdmin: HardhatEthersSigner;
}

export interface DispatcherFixture extends Roles {
  /** The router, as committer (lifecycle ABI). */
  router: Contract;
  /** The same address with the admin facet's ABI (roles, loupe, views, cancel, pause...). */
  dispatcher: Contract;
  address: string;
  adminFacet: string;
  v1: Contract;
  v2: Contract;
  bench: Contract;
  /** An example initializer (CounterMigrationV2). */
  migration: Contract;
}

/** Every error/event ABI the tests may need to decode. */
export const errorsInterface = new Interface([
  ...((await hre.artifacts.readArtifact("ManifestDispatcher")).abi as never[]),
  ...((await hre.artifacts.readArtifact("DispatcherAdminFacet")).abi as never[]).filter(
    (f: { type: string }) => f.type === "error",
  ),
  ...((await hre.artifacts.readArtifact("CounterFacetV2")).abi as never[]).filter((f: { type: string }) => f.type === "error"),
  ...((await hre.artifacts.readArtifact("CounterMigrationV2")).abi as never[]).filter((f: { type: string }) => f.type === "error"),
]);

/** The initializer calling `migration.migrate(count)`. */
export async function migrateTo(migration: Contract, count: bigint | number): Promise<Initializer> {
  const facet = await migration.getAddress();
  return { facet, codehash: await codehashOf(facet), data: migration.interface.encodeFunctionData("migrate", [count]) };
}

/** Deploys a dispatcher with one signer per role and the example facets; snapshot-cached. */
export async function deployDispatcher(): Promise<DispatcherFixture> {
  return loadFixture(dispatcherFixture);
}

async function dispatcherFixture(): Promise<DispatcherFixture> {
  const [admin, committer, applier, emergency, outsider, newAdmin] = (await ethers.getSigners()) as HardhatEthersSigner[];
  const Router = await ethers.getContractFactory("ManifestDispatcher");
  const deployed = await Router.deploy(admin.address, ADMIN_TRANSFER_DELAY, 1, DELAY, EXPIRY, MAX_BATCH);
  await deployed.waitForDeployment();
  const address = await deployed.getAddress();
  const dispatcher = (await ethers.getContractAt("DispatcherAdminFacet", address)) as unknown as Contract;
  await (await dispatcher.grantRole(await dispatcher.COMMIT_ROLE(), committer.address)).wait();
  await (await dispatcher.grantRole(await dispatcher.APPLY_ROLE(), applier.address)).wait();
  await (await dispatcher.grantRole(await dispatcher.EMERGENCY_ROLE(), emergency.address)).wait();
  const router = (await ethers.getContractAt("ManifestDispatcher", address)) as unknown as Contract;
  const deploy = async (name: string) => {
    const c = await (await ethers.getContractFactory(name)).deploy();
    await c.waitForDeployment();
    return c as unknown as Contract;
  };
  return {
    admin,
    committer,
    applier,
    emergency,
    outsider,
    newAdmin,
    router,
    dispatcher,
    address,
    adminFacet: await dispatcher.adminFacet(),
    v1: await deploy("CounterFacetV1"),
    v2: await deploy("CounterFacetV2"),
    bench: await deploy("BenchFacet"),
    migration: await deploy("CounterMigrationV2"),
  };
}

/** EXTCODEHASH of a deployed contract. */
export async function codehashOf(target: string | BaseContract): Promise<string> {
  const address = typeof target === "string" ? target : await target.getAddress();
  return keccak256(await ethers.provider.getCode(address));
}

/** Route leaves sending the named functions (default: all) of `facet` to it. */
export async function routesTo(facet: Contract, names?: string[]): Promise<RouteLeaf[]> {
  const address = await facet.getAddress();
  const codehash = await codehashOf(address);
  const fns = facet.interface.fragments.filter((f): f is FunctionFragment => f.type === "function");
  const chosen = names ? names.map((n) => fns.find((f) => f.name === n) ?? missing(n)) : fns;
  return chosen.map((f) => ({ selector: f.selector, facet: address, codehash }));
}

function missing(name: string): never {
  throw new Error(`no function ${name}`);
}

/** Sends `commitRoot` for `tree` at the dispatcher's next epoch (override any argument to attack it). */
export async function sendCommit(f: DispatcherFixture, tree: ManifestTree, override: Partial<{ epoch: bigint; leafCount: number; binding: string; headerProof: string[]; root: string }> = {}) {
  const a = commitArgs(tree);
  const epoch = override.epoch ?? (await f.dispatcher.nextEpoch());
  return f.router.connect(f.committer).getFunction("commitRoot")(override.root ?? a.root, epoch, override.leafCount ?? a.leafCount, override.binding ?? a.binding, override.headerProof ?? a.headerProof);
}

/** Commits `routes` (and an optional initializer) as the next epoch's manifest; returns the tree. */
export async function commit(f: DispatcherFixture, routes: RouteLeaf[], init?: Initializer) {
  const tree = buildManifestTree(routes, init);
  await (await sendCommit(f, tree)).wait();
  return tree;
}

/** Sends `activateCommittedRoot` with `tree`'s facet list and initializer (or overrides). */
export function sendActivate(f: DispatcherFixture, tree: ManifestTree, override: Partial<ReturnType<typeof activateArgs>> = {}) {
  const a = { ...activateArgs(tree), ...override };
  return f.router.connect(f.applier).getFunction("activateCommittedRoot")(a.facets, a.init);
}

/** Cancels the pending root completely, in chunks of `chunk` routes; returns the receipts. */
export async function cancelAll(f: DispatcherFixture, chunk = 1_000_000, signer = f.committer) {
  const root = await f.dispatcher.pendingRoot();
  const epoch = await f.dispatcher.pendingEpoch();
  const receipts = [];
  do {
    receipts.push(await (await f.dispatcher.connect(signer).getFunction("cancelCommittedRoot")(root, epoch, chunk)).wait());
  } while ((await f.dispatcher.pendingRoot()) !== ZERO_HASH);
  return receipts;
}

const ZERO_HASH = "0x" + "00".repeat(32);

/** Applies every leaf of `tree` in batches of `batchSize`. */
export async function applyAll(f: DispatcherFixture, tree: ManifestTree, batchSize = MAX_BATCH) {
  for (const b of encodeBatches(tree, batchSize)) {
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags)).wait();
  }
}

/** Moves time to the pending ETA and activates `tree`. */
export async function activate(f: DispatcherFixture, tree: ManifestTree) {
  const eta = await f.dispatcher.pendingEta();
  const now = BigInt(await time.latest());
  if (now < eta) await time.increaseTo(eta);
  await (await sendActivate(f, tree)).wait();
}

/** Full commit → apply → activate of `routes`. */
export async function upgrade(f: DispatcherFixture, routes: RouteLeaf[], batchSize = MAX_BATCH, init?: Initializer) {
  const tree = await commit(f, routes, init);
  await applyAll(f, tree, batchSize);
  await activate(f, tree);
  return tree;
}

/** `facet`'s ABI at the dispatcher's address, connected to the outsider (any caller may call routes). */
export function routed(f: DispatcherFixture, facet: Contract): Contract {
  return new Contract(f.address, facet.interface, f.outsider);
}

/** Asserts that `action` reverts with the custom error `name` (and, if given, exactly these args). */
export async function expectRevert(action: Promise<unknown>, name: string, args?: unknown[]): Promise<void> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected revert ${name}, but the call succeeded`).toBeDefined();
  const data = revertData(caught);
  expect(data, `no revert data in ${String(caught)}`).toBeTruthy();
  const parsed = errorsInterface.parseError(data!);
  expect(parsed?.name, `reverted with ${data}`).toBe(name);
  if (args) expect(normalise([...parsed!.args])).toEqual(normalise(args));
}

/** Digs the revert data out of an ethers/Hardhat error. */
export function revertData(error: unknown): string | undefined {
  let e = error as Record<string, unknown> | undefined;
  for (let i = 0; e && i < 5; i++) {
    if (typeof e.data === "string" && e.data.startsWith("0x")) return e.data;
    if (e.data && typeof (e.data as Record<string, unknown>).data === "string") return (e.data as { data: string }).data;
    e = (e.error ?? e.info ?? e.cause) as Record<string, unknown> | undefined;
  }
  return undefined;
}

function normalise(values: unknown[]): unknown[] {
  return values.map((v) => (typeof v === "string" ? v.toLowerCase() : typeof v === "number" ? BigInt(v) : v));
}

export { activateArgs, buildManifestTree, commitArgs, encodeBatch, encodeBatches };
export type { Initializer, ManifestTree, RouteLeaf };
