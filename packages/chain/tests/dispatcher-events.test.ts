/**
 * DispatcherEventReader against a real anvil node: decoded dispatcher events with their transaction's
 * sender, the range bound, a provider's range refusal (through a capping JSON-RPC proxy) recognised in
 * several wordings, and a reorg (snapshot/revert) seen as a changed canonical block hash.
 */
import { Contract, JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildManifestTree, commitArgs, LogRangeRefusedError, ZeroHash } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { DispatcherEventReader, encodeDispatcherCall, LogRangeError, UnknownNetworkError } from "../src/gateway/index.js";
import { ALCHEMY_STYLE, INFURA_STYLE, RANGE_CAP_STYLE, startCappedRpcProxy } from "./support/capped-rpc-proxy.js";
import { devAccount, rpc } from "./support/lifecycle-fixtures.js";

const NETWORK = "devnet";
let chain: LocalChain;
let provider: JsonRpcProvider;
let wallet: Wallet;
let dispatcher: string;
let admin: Contract;
let deployedAt: number;

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil" });
  ({ provider, wallet } = devWallet(chain));
  const deployment = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { minActivationDelay: 1, activationDelay: 2 }));
  dispatcher = deployment.address;
  deployedAt = await provider.getBlockNumber();
  admin = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, wallet);
});

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

function reader(maxBlockRange = 1_000) {
  return new DispatcherEventReader({ networks: { [NETWORK]: { provider, dispatcher, senders: [wallet.address] } }, maxBlockRange });
}

describe("DispatcherEventReader (anvil)", () => {
  it("reads decoded events with the sender of their transaction", async () => {
    // Prepare: the admin grants COMMIT_ROLE to an outside account, which commits a root
    const outsider = devAccount(7, provider);
    const commitRole = String(await admin.getFunction("COMMIT_ROLE")());
    const grant = await (await admin.getFunction("grantRole")(commitRole, outsider.address)).wait();
    const tree = buildManifestTree(["0xabababab", "0xcdcdcdcd", "0xefefefef"].map((selector) => ({ selector, facet: wallet.address, codehash: `0x${"ab".repeat(32)}` })));
    const root = tree.root;
    const commit = await (await outsider.sendTransaction({ to: dispatcher, data: encodeDispatcherCall({ kind: "commit", ...commitArgs(tree), epoch: 1n }) })).wait();
    // Act
    const events = await reader().getLogs(NETWORK, grant!.blockNumber, commit!.blockNumber);
    // Assess
    expect(events.map((e) => [e.name, e.from, e.txHash])).toEqual([
      ["RoleGranted", wallet.address, grant!.hash],
      ["RootCommitted", outsider.address, commit!.hash],
    ]);
    expect(events[0]!.args).toEqual({ role: commitRole, account: outsider.address, sender: wallet.address });
    expect(events[1]!.args).toMatchObject({ root, epoch: "1", leafCount: "3" });
    expect(events[1]).toMatchObject({ network: NETWORK, blockNumber: commit!.blockNumber, blockHash: commit!.blockHash });
    expect(await reader().ownSenders(NETWORK)).toEqual([wallet.address]);
  });

  it("decodes a chunked cancel, a scheduled delay decrease and a selector prune", async () => {
    // Prepare: the outsider's commit from the first test is pending at epoch 1; the admin may cancel it
    const pending = String(await admin.getFunction("pendingRoot")());
    const from = (await provider.getBlockNumber()) + 1;
    await (await admin.getFunction("grantRole")(await admin.getFunction("EMERGENCY_ROLE")(), wallet.address)).wait();
    await (await admin.getFunction("grantRole")(await admin.getFunction("APPLY_ROLE")(), wallet.address)).wait();
    // Act
    await (await wallet.sendTransaction({ to: dispatcher, data: encodeDispatcherCall({ kind: "cancel", root: pending, epoch: 1n, maxUnstage: 1 }) })).wait();
    await (await admin.getFunction("setActivationDelay")(1n)).wait();
    await (await admin.getFunction("pruneSelectors")([])).wait();
    const events = await reader().getLogs(NETWORK, from, await provider.getBlockNumber());
    // Assess
    const names = events.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(["CancelStarted", "RoutesUnstaged", "RootCancelled", "ActivationDelayChangeScheduled", "SelectorsPruned"]));
    expect(names).not.toContain("unknown");
    expect(events.find((e) => e.name === "RootCancelled")!.args).toEqual({ root: pending, epoch: "1" });
    expect(events.find((e) => e.name === "ActivationDelayChangeScheduled")!.args).toMatchObject({ newDelay: "1" });
  });

  it("reads nothing from blocks before the deployment and refuses ranges over its bound", async () => {
    expect(await reader().getLogs(NETWORK, 0, Math.max(0, deployedAt - 1))).toEqual([]);
    await expect(reader(10).getLogs(NETWORK, 0, 10)).rejects.toBeInstanceOf(LogRangeRefusedError);
    await expect(reader().getLogs(NETWORK, 5, 4)).rejects.toBeInstanceOf(LogRangeError);
    await expect(reader().head("mainnet")).rejects.toBeInstanceOf(UnknownNetworkError);
  });

  it("turns a provider's refusal of a wide range into LogRangeRefusedError, whatever its wording, but not a rate limit", async () => {
    // Prepare: a provider that lets through at most 3 blocks per eth_getLogs
    const proxy = await startCappedRpcProxy(chain.rpcUrl, 3);
    const capped = new JsonRpcProvider(proxy.url, chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
    const through = new DispatcherEventReader({ networks: { [NETWORK]: { provider: capped, dispatcher, senders: [wallet.address] } } });
    const head = await provider.getBlockNumber();
    try {
      // Act + Assess: each wording is recognised
      for (const refusal of [RANGE_CAP_STYLE, INFURA_STYLE, ALCHEMY_STYLE]) {
        proxy.refusal = refusal;
        const error = await through.getLogs(NETWORK, head - 3, head).catch((e: unknown) => e);
        expect(error, refusal.message).toBeInstanceOf(LogRangeRefusedError);
        expect(error).toMatchObject({ network: NETWORK, fromBlock: head - 3, toBlock: head });
      }
      // A range within the cap is read; a rate limit is a plain failure, never a reason to split.
      expect(await through.getLogs(NETWORK, head - 2, head)).toEqual(await reader().getLogs(NETWORK, head - 2, head));
      proxy.rateLimited = 1;
      const limited = await through.getLogs(NETWORK, head, head).catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(Error);
      expect(limited).not.toBeInstanceOf(LogRangeRefusedError);
      expect(proxy.refusedCount).toBe(3);
    } finally {
      capped.destroy();
      await proxy.stop();
    }
  });

  it("splits on a node's refusal in wordings no list names (result caps, range limits, query timeouts), never on a rate limit or an outage", async () => {
    // Prepare: a provider that lets through at most 3 blocks per eth_getLogs, refusing in other words
    const proxy = await startCappedRpcProxy(chain.rpcUrl, 3);
    const capped = new JsonRpcProvider(proxy.url, chain.chainId, { staticNetwork: true, cacheTimeout: -1 });
    const through = new DispatcherEventReader({ networks: { [NETWORK]: { provider: capped, dispatcher, senders: [wallet.address] } } });
    const head = await provider.getBlockNumber();
    const wordings = [
      { code: -32602, message: "Exceeded max range limit for eth_getLogs: 3" },
      { code: -32047, message: "Request exceeds defined limit" },
      { code: -32602, message: "Maximum allowed number of requested blocks is 3" },
      { code: -32000, message: "query timeout exceeded" },
      { code: -32603, message: "eth_getLogs range limit exceeded" },
    ];
    try {
      // Act + Assess: each is a refusal to split for
      for (const refusal of wordings) {
        proxy.refusal = refusal;
        const error = await through.getLogs(NETWORK, head - 3, head).catch((e: unknown) => e);
        expect(error, refusal.message).toBeInstanceOf(LogRangeRefusedError);
      }
      // A rate limit is not, however it is worded; nor is a node that does not answer at all.
      proxy.rateLimited = 1;
      expect(await through.getLogs(NETWORK, head - 3, head).catch((e: unknown) => e)).not.toBeInstanceOf(LogRangeRefusedError);
      const down = new JsonRpcProvider("http://127.0.0.1:1", chain.chainId, { staticNetwork: true });
      const unreachable = new DispatcherEventReader({ networks: { [NETWORK]: { provider: down, dispatcher, senders: [wallet.address] } } });
      const outage = await unreachable.getLogs(NETWORK, head - 3, head).catch((e: unknown) => e);
      down.destroy();
      expect(outage).toBeInstanceOf(Error);
      expect(outage).not.toBeInstanceOf(LogRangeRefusedError);
    } finally {
      capped.destroy();
      await proxy.stop();
    }
  });

  it("reports a different canonical hash for a block replaced by a reorg", async () => {
    // Prepare: a pause lands in block n; the chain is rolled back and block n re-mined empty
    const snapshot = await rpc<string>(provider, "evm_snapshot");
    const emergency = String(await admin.getFunction("EMERGENCY_ROLE")());
    await (await admin.getFunction("grantRole")(emergency, wallet.address)).wait();
    const paused = await (await admin.getFunction("pause")()).wait();
    const before = await reader().blockHash(NETWORK, paused!.blockNumber);
    // Act
    await rpc(provider, "evm_revert", [snapshot]);
    await rpc(provider, "evm_mine");
    await rpc(provider, "evm_mine");
    const after = await reader().blockHash(NETWORK, paused!.blockNumber);
    // Assess
    expect(before).toBe(paused!.blockHash);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await reader().getLogs(NETWORK, paused!.blockNumber, paused!.blockNumber)).map((e) => e.name)).not.toContain("Paused");
    expect((await reader().head(NETWORK)).hash).not.toBe(ZeroHash);
  });
});
