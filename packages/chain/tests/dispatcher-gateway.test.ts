/**
 * JournaledDispatcherGateway against a real anvil node (automine): a manifest built and planned by
 * @payrox/core is committed, applied and activated through the gateway; refusals come back decoded,
 * and a repeated step id never sends a second transaction.
 */
import { Contract, ContractFactory, parseUnits, ZeroHash, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activateArgs, buildManifest, buildManifestTree, commitArgs, planBatches, type DispatcherCall, type DispatcherState, type Manifest, type ManifestTree, type Plan } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { encodeDispatcherCall, JournaledDispatcherGateway, UnknownNetworkError } from "../src/gateway/index.js";
import { InMemoryNonceStore, InMemoryTxJournal } from "../src/tx/index.js";
import { devAccount, rpc } from "./support/lifecycle-fixtures.js";

const NETWORK = "devnet";
let chain: LocalChain;
let provider: JsonRpcProvider;
let wallet: Wallet;
let dispatcher: string;
let admin: Contract;
let gateway: JournaledDispatcherGateway;
let stores: ReturnType<typeof gatewayFor>["stores"];
let manifest: Manifest;
let tree: ManifestTree;
let plan: Plan;

/** A commit of some other one-leaf tree (its own root, binding and header proof) at `epoch`. */
function otherCommit(seed: string, epoch: bigint): Extract<DispatcherCall, { kind: "commit" }> {
  const other = buildManifestTree([{ selector: `0x${seed.repeat(4)}`, facet: wallet.address, codehash: `0x${seed.repeat(32)}` }]);
  return { kind: "commit", ...commitArgs(other), epoch };
}

/** A gateway on the local chain signing with `signer`; fresh in-memory stores unless `stores` are given. */
function gatewayFor(signer: Wallet | ReturnType<typeof devAccount>, stores = { journal: new InMemoryTxJournal(), nonceStore: new InMemoryNonceStore() }) {
  const networks = { [NETWORK]: { provider, dispatcher, signer, ...stores, pollIntervalMs: 50, timeoutMs: 60_000 } };
  return { gateway: new JournaledDispatcherGateway({ networks }), stores };
}

/** Resolves once the node's pool holds `count` pending transactions (fails the test after 10 s). */
async function poolHolds(count: number) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && Number(BigInt((await rpc<{ pending: string }>(provider, "txpool_status")).pending)) < count) await new Promise((r) => setTimeout(r, 20));
  if (Date.now() >= deadline) throw new Error(`the pool never held ${count} transactions`);
}

async function increaseTime(seconds: number) {
  await rpc(provider, "evm_increaseTime", [seconds]);
  await rpc(provider, "evm_mine");
}

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil" });
  ({ provider, wallet } = devWallet(chain));
  const deployment = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { minActivationDelay: 1, activationDelay: 2 }));
  dispatcher = deployment.address;
  admin = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, wallet);
  await (await admin.getFunction("grantRole")(await admin.getFunction("COMMIT_ROLE")(), wallet.address)).wait();
  await (await admin.getFunction("grantRole")(await admin.getFunction("APPLY_ROLE")(), wallet.address)).wait();

  const counter = loadArtifact("CounterFacetV1");
  const facet = await (await new ContractFactory(counter.abi as never, counter.bytecode, wallet).deploy()).waitForDeployment();
  manifest = await buildManifest(
    { name: "epoch-1", baseEpoch: 0, previousRoot: ZeroHash, facets: [{ name: counter.contractName, abi: counter.abi as never, deployedBytecode: counter.deployedBytecode, address: await facet.getAddress() }] },
    { readCode: (address) => provider.getCode(address) },
  );
  tree = buildManifestTree(manifest.entries);
  // One leaf per batch, so the run has several apply steps.
  plan = planBatches(manifest, { maxBatchSize: 1 });
  ({ gateway, stores } = gatewayFor(wallet));
});

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe("JournaledDispatcherGateway (anvil)", () => {
  it("reads the initial state at one block and the latest block", async () => {
    const state = await gateway.readState(NETWORK);
    const block = await gateway.latestBlock(NETWORK);
    expect(state).toEqual<DispatcherState>({
      activeEpoch: 0n, activeRoot: ZeroHash, pendingRoot: ZeroHash, pendingEpoch: 0n, pendingEta: 0, applied: 0, leafCount: 0, paused: false, nextEpoch: 1n, cancelling: false, expiryWindowSeconds: Number(await admin.getFunction("expiryWindow")()),
      activationDelaySeconds: Number(await admin.getFunction("activationDelay")()),
    });
    expect(block.number).toBe(await provider.getBlockNumber());
    expect(block.timestamp).toBeGreaterThan(0);
  });

  it("commits the manifest root and reports the confirmed transaction", async () => {
    const result = await gateway.send(NETWORK, "run-1/devnet/commit", { kind: "commit", ...commitArgs(tree), epoch: 1n });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const receipt = (await provider.getTransactionReceipt(result.tx.hash))!;
    const block = (await provider.getBlock(receipt.blockNumber))!;
    expect(result.tx).toEqual({ hash: receipt.hash, blockNumber: receipt.blockNumber, blockTimestamp: block.timestamp, gasUsed: receipt.gasUsed });
    const state = await gateway.readState(NETWORK);
    expect(state).toMatchObject({ pendingRoot: manifest.root, pendingEpoch: 1n, nextEpoch: 2n, pendingEta: block.timestamp + 2, applied: 0, leafCount: manifest.entries.length, cancelling: false });
  });

  it("applies every planned batch", async () => {
    expect(plan.batches.length).toBeGreaterThan(1);
    for (const batch of plan.batches) {
      const result = await gateway.send(NETWORK, `run-1/devnet/apply-${batch.index}`, { kind: "apply", batch });
      expect(result.ok).toBe(true);
    }
    expect(await gateway.readState(NETWORK)).toMatchObject({ applied: manifest.entries.length, leafCount: manifest.entries.length });
  });

  it("returns ActivationNotReady(eta, now) when activating before the ETA, sending nothing", async () => {
    const { pendingEta } = await gateway.readState(NETWORK);
    const nonce = await provider.getTransactionCount(wallet.address);
    const result = await gateway.send(NETWORK, "run-1/devnet/activate-early", { kind: "activate", ...activateArgs(tree) });
    expect(result).toEqual({ ok: false, revert: { name: "ActivationNotReady", args: [BigInt(pendingEta), expect.any(BigInt)] } });
    if (!result.ok) expect(result.revert.args[1] as bigint).toBeLessThan(BigInt(pendingEta));
    expect(await provider.getTransactionCount(wallet.address)).toBe(nonce);
  });

  it("activates after the ETA; the new root becomes active", async () => {
    await increaseTime(3);
    const result = await gateway.send(NETWORK, "run-1/devnet/activate", { kind: "activate", ...activateArgs(tree) });
    expect(result.ok).toBe(true);
    expect(await gateway.readState(NETWORK)).toMatchObject<Partial<DispatcherState>>({
      activeEpoch: 1n, activeRoot: manifest.root, pendingRoot: ZeroHash, pendingEpoch: 0n, pendingEta: 0, applied: 0, leafCount: 0, paused: false, nextEpoch: 2n, cancelling: false,
    });
  });

  it("sends one transaction for a step id sent twice, and returns the same hash", async () => {
    const nonce = await provider.getTransactionCount(wallet.address);
    const call = otherCommit("ab", 2n);
    const first = await gateway.send(NETWORK, "run-2/devnet/commit", call);
    const second = await gateway.send(NETWORK, "run-2/devnet/commit", call);
    expect(first.ok && second.ok).toBe(true);
    // A restarted process: a new gateway on the same journal resumes the step instead of sending it.
    const third = await gatewayFor(wallet, stores).gateway.send(NETWORK, "run-2/devnet/commit", call);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await provider.getTransactionCount(wallet.address)).toBe(nonce + 1);
  });

  it("refuses a cancel naming another root with CancelTargetMismatch, leaving the pending root", async () => {
    const pending = otherCommit("ab", 2n).root;
    const result = await gateway.send(NETWORK, "run-2/devnet/cancel-wrong", { kind: "cancel", root: `0x${"99".repeat(32)}`, epoch: 2n, maxUnstage: 10 });
    expect(result).toEqual({ ok: false, revert: { name: "CancelTargetMismatch", args: [pending, 2n] } });
    expect(await gateway.readState(NETWORK)).toMatchObject({ pendingRoot: pending, pendingEpoch: 2n });
  });

  it("cancels the pending root it names; the next commit takes the next epoch", async () => {
    const result = await gateway.send(NETWORK, "run-2/devnet/cancel", { kind: "cancel", root: otherCommit("ab", 2n).root, epoch: 2n, maxUnstage: 10 });
    expect(result.ok).toBe(true);
    expect(await gateway.readState(NETWORK)).toMatchObject({ pendingRoot: ZeroHash, activeEpoch: 1n, nextEpoch: 3n, cancelling: false });
  });

  it("returns Reverted(hash) for a transaction mined with status 0", async () => {
    const rival = devAccount(6, provider);
    await (await admin.getFunction("grantRole")(await admin.getFunction("COMMIT_ROLE")(), rival.address)).wait();
    const rivalCommit = otherCommit("ef", 3n);
    const commit = await gateway.send(NETWORK, "run-4/devnet/commit", rivalCommit);
    expect(commit.ok).toBe(true);
    // The gateway's cancel passes simulation; a rival cancel with a higher tip lands first in the same block.
    await rpc(provider, "evm_setAutomine", [false]);
    try {
      const cancelCall = { kind: "cancel", root: rivalCommit.root, epoch: 3n, maxUnstage: 10 } as const;
      const sent = gateway.send(NETWORK, "run-4/devnet/cancel", cancelCall);
      await poolHolds(1);
      const cancel = encodeDispatcherCall(cancelCall);
      await rival.sendTransaction({ to: dispatcher, data: cancel, gasLimit: 200_000n, maxFeePerGas: parseUnits("500", "gwei"), maxPriorityFeePerGas: parseUnits("400", "gwei") });
      await poolHolds(2);
      await rpc(provider, "evm_mine");
      const result = await sent;
      const hash = (await stores.journal.get("run-4/devnet/cancel"))!.attempts[0]!.hash;
      expect(result).toEqual({ ok: false, revert: { name: "Reverted", args: [hash] } });
      expect((await provider.getTransactionReceipt(hash))!.status).toBe(0);
    } finally {
      await rpc(provider, "evm_setAutomine", [true]);
    }
  });

  it("returns AccessControlUnauthorizedAccount for a signer without the role", async () => {
    const stranger = devAccount(5, provider);
    const result = await gatewayFor(stranger).gateway.send(NETWORK, "run-3/devnet/commit", otherCommit("cd", 4n));
    const commitRole = await admin.getFunction("COMMIT_ROLE")();
    expect(result).toEqual({ ok: false, revert: { name: "AccessControlUnauthorizedAccount", args: [stranger.address, commitRole] } });
  });

  it("reads a facet's code hash as the manifest has it, and none for an address without code", async () => {
    // Act
    const facet = await gateway.codeHash(NETWORK, manifest.entries[0]!.facet);
    const empty = await gateway.codeHash(NETWORK, "0x00000000000000000000000000000000000c0de1");
    // Assess
    expect(facet).toBe(manifest.entries[0]!.codehash);
    expect(empty).toBeUndefined();
  });

  it("reads the live routing, state, activation delay and code hashes at one block", async () => {
    // Act
    const snapshot = await gateway.readRouting(NETWORK, [manifest.entries[0]!.facet, "0x00000000000000000000000000000000000c0de1"]);
    // Assess
    const block = (await provider.getBlock(snapshot.block.number))!;
    expect(snapshot.block).toEqual({ number: block.number, hash: block.hash, timestamp: block.timestamp });
    expect(snapshot.activationDelaySeconds).toBe(2);
    expect(snapshot.state.activeRoot).toBe(manifest.root);
    for (const entry of manifest.entries) expect(snapshot.routes.get(entry.selector)).toBe(entry.facet);
    expect(snapshot.codeHashes.get(manifest.entries[0]!.facet.toLowerCase())).toBe(manifest.entries[0]!.codehash);
    expect(snapshot.codeHashes.get("0x00000000000000000000000000000000000c0de1")).toBeNull();
  });

  it("reads eth_feeHistory as integers: one base fee per block plus the next, rewards per percentile", async () => {
    // Act
    const newestBlock = await provider.getBlockNumber();
    const history = await gateway.feeHistory(NETWORK, { blocks: 3, newestBlock, percentiles: [25, 50, 75] });
    // Assess
    expect(history.oldestBlock).toBe(newestBlock - 2);
    expect(history.baseFeePerGas).toHaveLength(4);
    expect(history.baseFeePerGas.every((fee) => typeof fee === "bigint" && fee > 0n)).toBe(true);
    expect(history.reward.map((r) => r.length)).toEqual([3, 3, 3]);
  });

  it("throws UnknownNetworkError for a network it was not configured with", async () => {
    await expect(gateway.readState("mainnet")).rejects.toBeInstanceOf(UnknownNetworkError);
    await expect(gateway.send("mainnet", "x", { kind: "activate", ...activateArgs(tree) })).rejects.toThrow(/configured: devnet/);
  });
});
