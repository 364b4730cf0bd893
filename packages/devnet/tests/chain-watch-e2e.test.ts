/**
 * The chain watcher end to end on real parts: an anvil node with the real ManifestDispatcher, PayRox's
 * JournaledDispatcherGateway (its journal, nonces, cursor and incident ledger in DynamoDB Local), the
 * DispatcherEventReader reading through a JSON-RPC proxy that refuses `eth_getLogs` ranges over 50 blocks
 * (as hosted providers do), and the watchdog sweep the Lambda runs. The keys are the public DEVELOPMENT
 * keys of the test mnemonic: local chains only.
 */
import { Contract, ContractFactory, JsonRpcProvider, parseUnits, ZeroHash, type HDNodeWallet, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTable, DynamoAuditLog, DynamoChainCursorStore, DynamoIncidentLedger, DynamoJobStore, DynamoNonceStore, DynamoRunStore, DynamoTxJournal } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { DispatcherEventReader, encodeDispatcherCall, JournaledDispatcherGateway } from "@payrox/chain";
import { activateArgs, buildManifest, buildManifestTree, commitArgs, findNetwork, planBatches, watchdogSweep, type Alert, type ChainWatchOptions, type ChainWatchReport, type SchedulerDeps } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { startCappedRpcProxy, type CappedRpcProxy } from "../../chain/tests/support/capped-rpc-proxy.js";
import { devAccount, rpc } from "../../chain/tests/support/lifecycle-fixtures.js";
import { LocalScheduler } from "../src/index.js";
import { RecordingAlertSink } from "./support/e2e-harness.js";

const NET = "devnet-1";
const TABLE = "payrox-chain-watch";
/** The proxy's `eth_getLogs` cap, and the range the watcher asks for first (so the proxy refuses it). */
const PROVIDER_MAX_RANGE = 50;
const WATCH: ChainWatchOptions = { maxBlockRange: 200 };

let dynamo: DynamoDbLocal;
let chain: LocalChain;
let provider: JsonRpcProvider;
let readerProvider: JsonRpcProvider;
let proxy: CappedRpcProxy;
let admin: Wallet;
let payroxSigner: HDNodeWallet;
let outsider: HDNodeWallet;
let dispatcher: string;
let gateway: JournaledDispatcherGateway;
let cursors: DynamoChainCursorStore;
let recorded: RecordingAlertSink;
let deps: SchedulerDeps;
const roles: Record<string, string> = {};

const adminFacet = (signer: Wallet | HDNodeWallet) => new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, signer);
const mine = (blocks: number) => rpc(provider, "anvil_mine", [`0x${blocks.toString(16)}`]);
const head = () => provider.getBlockNumber();
const sweep = async (): Promise<Extract<ChainWatchReport, { ok: true }>> => {
  const [report] = (await watchdogSweep({ ...deps, actor: "watchdog" })).chain!;
  if (!report?.ok) throw new Error(`the sweep failed: ${JSON.stringify(report)}`);
  return report;
};
const alertsOf = (txHash: string): Alert[] => recorded.alerts.filter((a) => a.evidence?.txHash?.toLowerCase() === txHash.toLowerCase());
const send = async (contract: Contract, fn: string, ...args: unknown[]) => (await (await contract.getFunction(fn)(...args)).wait())!;

/** A transaction signed now and broadcast later (again, after a reorg dropped it): same bytes, same hash. */
async function signed(wallet: HDNodeWallet | Wallet, data: string): Promise<string> {
  const tx = await wallet.populateTransaction({ to: dispatcher, data, gasLimit: 500_000n, maxFeePerGas: parseUnits("50", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") });
  return wallet.signTransaction(tx);
}

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  await createTable(dynamo.client, TABLE);
  const table = { client: dynamo.client, tableName: TABLE };
  chain = await startLocalChain({ kind: "anvil", chainId: findNetwork(NET)!.chainId });
  ({ provider, wallet: admin } = devWallet(chain));
  payroxSigner = devAccount(1, provider);
  outsider = devAccount(5, provider);
  dispatcher = (await deployDispatcherDeterministic(admin, loadArtifact("ManifestDispatcher"), devConfig(admin.address, { minActivationDelay: 1, activationDelay: 2 }))).address;
  for (const role of ["DEFAULT_ADMIN_ROLE", "COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"]) roles[role] = String(await adminFacet(admin).getFunction(role)());
  // Onboarding (trusted, before the watcher's cursor): PayRox's signer gets its roles, an outside team a commit role.
  for (const role of ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"]) await send(adminFacet(admin), "grantRole", roles[role], payroxSigner.address);
  await send(adminFacet(admin), "grantRole", roles.COMMIT_ROLE, outsider.address);

  const journal = new DynamoTxJournal(table);
  gateway = new JournaledDispatcherGateway({ networks: { [NET]: { provider, dispatcher, signer: payroxSigner, journal, nonceStore: new DynamoNonceStore(table), pollIntervalMs: 50, timeoutMs: 60_000 } } });
  proxy = await startCappedRpcProxy(chain.rpcUrl, PROVIDER_MAX_RANGE);
  readerProvider = new JsonRpcProvider(proxy.url, chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
  const events = new DispatcherEventReader({ networks: { [NET]: { provider: readerProvider, dispatcher, senders: [payroxSigner.address] } } });
  cursors = new DynamoChainCursorStore(table);
  const ledger = new DynamoIncidentLedger(table);
  recorded = new RecordingAlertSink(ledger);
  deps = {
    store: new DynamoRunStore(table),
    audit: new DynamoAuditLog(table),
    scheduler: new LocalScheduler({ store: new DynamoJobStore(table), jitter: { mode: "none" } }),
    gateway,
    alerts: recorded,
    clock: { now: () => Date.now() },
    networks: findNetwork,
    actor: "watchdog",
    owner: "chain-watch-e2e",
    monitoring: { events, cursors, journal, journaledTxs: journal, watch: WATCH },
  };
  const setup = (await provider.getBlock("latest"))!;
  await cursors.put({ network: NET, blockNumber: setup.number, blockHash: setup.hash!, updatedAtMs: Date.now() });
}, 180_000);

afterAll(async () => {
  readerProvider?.destroy();
  await proxy?.stop();
  provider?.destroy();
  await chain?.stop();
  await dynamo?.stop();
});

/** PayRox upgrades the dispatcher to CounterFacetV1 through its journaled gateway: commit, every batch, activation. */
async function payroxUpgrade(): Promise<string[]> {
  const counter = loadArtifact("CounterFacetV1");
  const facet = await (await new ContractFactory(counter.abi as never, counter.bytecode, admin).deploy()).waitForDeployment();
  const manifest = await buildManifest(
    { name: "watched", baseEpoch: 0, previousRoot: ZeroHash, facets: [{ name: counter.contractName, abi: counter.abi as never, deployedBytecode: counter.deployedBytecode, address: await facet.getAddress() }] },
    { readCode: (address) => provider.getCode(address) },
  );
  const tree = buildManifestTree(manifest.entries);
  const hashes: string[] = [];
  const sent = async (stepId: string, call: Parameters<JournaledDispatcherGateway["send"]>[2]) => {
    const result = await gateway.send(NET, stepId, call);
    if (!result.ok) throw new Error(`${stepId} refused: ${JSON.stringify(result)}`);
    hashes.push(result.tx.hash);
  };
  await sent("watched/commit", { kind: "commit", ...commitArgs(tree), epoch: BigInt(await adminFacet(admin).getFunction("nextEpoch")()) });
  await rpc(provider, "evm_increaseTime", [3]);
  for (const batch of planBatches(manifest, { maxBatchSize: 2 }).batches) await sent(`watched/apply/${batch.index}`, { kind: "apply", batch });
  await sent("watched/activate", { kind: "activate", ...activateArgs(tree) });
  return hashes;
}

describe("chain watcher (anvil, DynamoDB Local, capped provider)", () => {
  it("resumes from its cursor after 500 blocks of downtime and raises exactly one alert: the out-of-band commit", async () => {
    // Prepare: the watcher is up to date, then stops
    expect(await sweep()).toMatchObject({ events: 0, outOfBand: 0 });
    const cursor = (await cursors.get(NET))!;
    // While it is down: PayRox upgrades (journaled), an outside key commits a root, and a reorg drops an
    // outside role grant; 500 blocks in all.
    await mine(100);
    const own = await payroxUpgrade();
    await mine(150);
    const tree = buildManifestTree([{ selector: "0x5e5e5e5e", facet: outsider.address, codehash: `0x${"5e".repeat(32)}` }]);
    const epoch = BigInt(await adminFacet(admin).getFunction("nextEpoch")());
    const theirs = (await (await outsider.sendTransaction({ to: dispatcher, data: encodeDispatcherCall({ kind: "commit", ...commitArgs(tree), epoch }) })).wait())!;
    await mine(100);
    const snapshot = await rpc<string>(provider, "evm_snapshot");
    const dropped = await send(adminFacet(admin), "grantRole", roles.EMERGENCY_ROLE, outsider.address);
    await mine(3);
    await rpc(provider, "evm_revert", [snapshot]);
    await mine(500 - ((await head()) - cursor.blockNumber));
    expect((await head()) - cursor.blockNumber).toBe(500);
    expect((await provider.getBlock(dropped.blockNumber))!.hash).not.toBe(dropped.blockHash);

    // Act: the watcher runs again
    const resumed = await sweep();

    // Assess
    expect(recorded.alerts).toEqual([
      expect.objectContaining({ type: "out-of-band-commit", severity: "critical", network: NET, evidence: expect.objectContaining({ txHash: theirs.hash, blockNumber: theirs.blockNumber, values: expect.objectContaining({ event: "RootCommitted", from: outsider.address, fromPayRoxSigner: false, root: tree.root }) }) }),
    ]);
    for (const hash of own) expect(alertsOf(hash)).toEqual([]);
    expect(alertsOf(dropped.hash)).toEqual([]);
    expect(resumed).toMatchObject({ from: cursor.blockNumber + 1, to: cursor.blockNumber + 500, reorged: false, outOfBand: 1 });
    expect(resumed.events).toBe(own.length + 1); // one event per PayRox transaction (commit, each apply, activate), and theirs
    expect(resumed.splits).toBeGreaterThan(0);
    // Every block read once, in ranges the provider accepts, and the cursor stands on the canonical head.
    const served = proxy.served.filter(([from]) => from > cursor.blockNumber);
    expect(served.every(([from, to]) => to - from + 1 <= PROVIDER_MAX_RANGE)).toBe(true);
    expect(served.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i))).toEqual(Array.from({ length: 500 }, (_, i) => cursor.blockNumber + 1 + i));
    expect(await cursors.get(NET)).toMatchObject({ blockNumber: cursor.blockNumber + 500, blockHash: (await provider.getBlock(cursor.blockNumber + 500))!.hash });
  });

  it("raises nothing more when it runs again, twice at once, or from a cursor moved back", async () => {
    // Prepare
    const before = recorded.alerts.length;
    const cursor = (await cursors.get(NET))!;
    // Act
    const again = await sweep();
    await Promise.all([sweep(), sweep()]);
    await cursors.put({ ...cursor, blockNumber: cursor.blockNumber - 400, blockHash: (await provider.getBlock(cursor.blockNumber - 400))!.hash! });
    const reread = await sweep();
    // Assess
    expect(again).toMatchObject({ events: 0, outOfBand: 0 });
    expect(reread).toMatchObject({ from: cursor.blockNumber - 399, outOfBand: 1 });
    expect(recorded.alerts).toHaveLength(before);
  });

  it("reads no block short of its confirmations: an event reorged out raises nothing, one re-included raises once", async () => {
    // Prepare: 3 confirmations; an outside cancel of their root and an admin role grant land in the newest block
    deps.monitoring!.watch = { ...WATCH, confirmations: 3 };
    await mine(5);
    await sweep();
    const pending = await adminFacet(admin).getFunction("pendingManifest")();
    const cancel = await signed(outsider, encodeDispatcherCall({ kind: "cancel", root: String(pending.root), epoch: BigInt(pending.epoch), maxUnstage: 100 }));
    const snapshot = await rpc<string>(provider, "evm_snapshot");
    const firstLanding = (await (await provider.broadcastTransaction(cancel)).wait())!;
    const grant = await send(adminFacet(admin), "grantRole", roles.EMERGENCY_ROLE, outsider.address);
    const early = await sweep();
    // Act: a reorg drops both; the chain grows; the cancel is included again (same bytes), the grant never
    await rpc(provider, "evm_revert", [snapshot]);
    await mine(4);
    const afterReorg = await sweep();
    const secondLanding = (await (await provider.broadcastTransaction(cancel)).wait())!;
    const unconfirmed = await sweep();
    await mine(2);
    const confirmed = await sweep();

    // Assess
    expect(early).toMatchObject({ events: 0, outOfBand: 0 });
    expect(afterReorg).toMatchObject({ events: 0, outOfBand: 0 });
    expect(unconfirmed).toMatchObject({ events: 0 });
    expect(confirmed).toMatchObject({ outOfBand: 1 });
    expect(secondLanding.hash).toBe(firstLanding.hash);
    expect(secondLanding.blockNumber).not.toBe(firstLanding.blockNumber);
    expect(alertsOf(grant.hash)).toEqual([]);
    expect(alertsOf(firstLanding.hash)).toEqual([expect.objectContaining({ type: "out-of-band-cancel", severity: "critical", evidence: expect.objectContaining({ blockNumber: secondLanding.blockNumber, values: expect.objectContaining({ event: "CancelStarted" }) }) })]);
  });

  it("re-reads after a reorg deeper than its confirmations and keeps one alert for a transaction it moved", async () => {
    // Prepare: 1 confirmation; the watcher alerts an outside grant, then a reorg moves that grant one block later
    deps.monitoring!.watch = { ...WATCH, confirmations: 1 };
    await sweep();
    const before = recorded.alerts.length;
    const grant = await signed(admin, adminFacet(admin).interface.encodeFunctionData("grantRole", [roles.EMERGENCY_ROLE, outsider.address]));
    const snapshot = await rpc<string>(provider, "evm_snapshot");
    const first = (await (await provider.broadcastTransaction(grant)).wait())!;
    const seen = await sweep();
    // Act
    await rpc(provider, "evm_revert", [snapshot]);
    await mine(1);
    const second = (await (await provider.broadcastTransaction(grant)).wait())!;
    const reread = await sweep();
    // Assess
    expect(seen).toMatchObject({ outOfBand: 1 });
    expect(second.blockNumber).toBe(first.blockNumber + 1);
    // It re-read the `reorgDepth` (64) blocks up to its cursor: that raised the grant (and the earlier cancel) again, deduped.
    expect(reread).toMatchObject({ reorged: true, from: first.blockNumber - 63 });
    expect(reread.outOfBand).toBeGreaterThanOrEqual(1);
    expect(recorded.alerts.slice(before)).toEqual([expect.objectContaining({ type: "out-of-band-role-change", evidence: expect.objectContaining({ txHash: first.hash, blockNumber: first.blockNumber }) })]);
  });

  it("raises one alert of its family for each privileged event PayRox did not cause, even from PayRox's own key", async () => {
    // Prepare: the outsider holds EMERGENCY_ROLE (previous test); a live selector exists (the upgrade)
    deps.monitoring!.watch = WATCH;
    await sweep();
    const adminFacetAddress = String(await adminFacet(admin).getFunction("adminFacet")());
    const facets = (await adminFacet(admin).getFunction("facets")()) as { facetAddress: string; functionSelectors: string[] }[];
    const selector = facets.find((f) => f.facetAddress !== adminFacetAddress)!.functionSelectors[0]!;
    const newAdmin = devAccount(7, provider);
    // Act: every kind of privileged change, each outside PayRox
    const txs = {
      pause: await send(adminFacet(outsider), "pause"),
      unpause: await send(adminFacet(admin), "unpause"),
      stolenKeyPause: await send(adminFacet(payroxSigner), "pause"),
      unpauseAgain: await send(adminFacet(admin), "unpause"),
      disable: await send(adminFacet(outsider), "disableSelector", selector),
      delayDecrease: await send(adminFacet(admin), "setActivationDelay", 1n),
      revoke: await send(adminFacet(admin), "revokeRole", roles.EMERGENCY_ROLE, outsider.address),
      transferScheduled: await send(adminFacet(admin), "beginDefaultAdminTransfer", newAdmin.address),
    };
    await rpc(provider, "evm_increaseTime", [3_700]);
    const accepted = await send(adminFacet(newAdmin), "acceptDefaultAdminTransfer");
    await mine(1);
    const report = await sweep();
    // Assess
    const typeOf = (tx: { hash: string }) => alertsOf(tx.hash).map((a) => a.type);
    expect(Object.fromEntries(Object.entries({ ...txs, accepted }).map(([name, tx]) => [name, typeOf(tx)]))).toEqual({
      pause: ["out-of-band-pause"],
      unpause: ["out-of-band-pause"],
      stolenKeyPause: ["out-of-band-pause"],
      unpauseAgain: ["out-of-band-pause"],
      disable: ["out-of-band-selector-disabled"],
      delayDecrease: ["out-of-band-delay-change"],
      revoke: ["out-of-band-role-change"],
      transferScheduled: ["out-of-band-admin-transfer"],
      accepted: ["out-of-band-admin-transfer"],
    });
    expect(report.outOfBand).toBe(9);
    expect(alertsOf(txs.stolenKeyPause.hash)[0]).toMatchObject({ severity: "critical", message: expect.stringMatching(/PayRox's own signer .* compromised/), evidence: { values: { fromPayRoxSigner: true } } });
    expect(alertsOf(accepted.hash)[0]!.message).toContain(`admin transfer accepted: ${admin.address} → ${newAdmin.address}`);
  });
});
