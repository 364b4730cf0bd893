/**
 * The local Flashbots-style relay over raw HTTP against a real anvil node: authentication exactly as
 * `@flashbots/ethers-provider-bundle` signs (signMessage of the hex string keccak256(body)), the
 * eth_callBundle / eth_sendBundle / flashbots_getBundleStatsV2 shapes, atomic landing and refusal.
 */
import { HDNodeWallet, id, JsonRpcProvider, keccak256, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_MNEMONIC, devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { bundleHashOf, startLocalRelay, verifyFlashbotsSignature, type LocalRelay } from "../src/relay/index.js";

const SINK = "0x000000000000000000000000000000000000dEaD";
let chain: LocalChain;
let provider: JsonRpcProvider;
let relay: LocalRelay;
const searcher = Wallet.createRandom();

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil" });
  provider = devWallet(chain).provider;
  relay = await startLocalRelay({ rpcUrl: chain.rpcUrl });
});

afterAll(async () => {
  await relay?.stop();
  provider?.destroy();
  await chain?.stop();
});

/** Dev account `index` (public DEVELOPMENT key of the test mnemonic). */
const account = (index: number) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).connect(provider);

/** Signed transfers from `from`, starting at its pending nonce (or `nonce`). */
async function transfers(from: HDNodeWallet, count: number, nonce?: number, to = SINK): Promise<string[]> {
  const start = nonce ?? (await provider.getTransactionCount(from.address, "pending"));
  const base = { type: 2, chainId: chain.chainId, to, value: 1n, gasLimit: 50_000n, maxFeePerGas: 5n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n };
  return Promise.all(Array.from({ length: count }, (_, i) => from.signTransaction({ ...base, nonce: start + i })));
}

/** One JSON-RPC call; `auth` signs like the Flashbots library unless it is a string (sent verbatim). */
async function call(url: string, method: string, params: unknown[], auth: Wallet | HDNodeWallet | string | null = searcher) {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (typeof auth === "string") headers["X-Flashbots-Signature"] = auth;
  else if (auth) headers["X-Flashbots-Signature"] = `${auth.address}:${await auth.signMessage(id(body))}`;
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, json: (await response.json()) as { result?: any; error?: { code: number; message: string } } };
}

describe("verifyFlashbotsSignature", () => {
  it("accepts the library's signature scheme and rejects a signature by another key", async () => {
    const body = Buffer.from('{"jsonrpc":"2.0"}');
    const signature = await searcher.signMessage(keccak256(body));
    expect(verifyFlashbotsSignature(`${searcher.address}:${signature}`, body)).toEqual({ ok: true, address: searcher.address });
    expect(verifyFlashbotsSignature(`${account(1).address}:${signature}`, body)).toMatchObject({ ok: false });
    expect(verifyFlashbotsSignature(`${searcher.address}:${signature}`, Buffer.from("{}"))).toMatchObject({ ok: false });
  });
});

describe("startLocalRelay", () => {
  it("answers 403 to bundle methods without a valid X-Flashbots-Signature", async () => {
    const params = [{ txs: await transfers(account(1), 1), blockNumber: "0x1" }];
    expect((await call(relay.url, "eth_sendBundle", params, null)).status).toBe(403);
    const other = Wallet.createRandom();
    const forged = `${searcher.address}:${await other.signMessage(id("{}"))}`;
    const { status, json } = await call(relay.url, "eth_sendBundle", params, forged);
    expect(status).toBe(403);
    expect(json.error?.message).toMatch(/does not recover|malformed/);
  });

  it("only accepts the configured searchers when allowedSigners is set", async () => {
    const strict = await startLocalRelay({ rpcUrl: chain.rpcUrl, allowedSigners: [searcher.address] });
    try {
      const params = [{ txs: await transfers(account(1), 1), blockNumber: "0x1" }];
      expect((await call(strict.url, "eth_callBundle", params, Wallet.createRandom())).status).toBe(403);
      expect((await call(strict.url, "eth_callBundle", params, searcher)).status).toBe(200);
    } finally {
      await strict.stop();
    }
  });

  it("simulates a bundle in order and returns the Flashbots result shape", async () => {
    const txs = await transfers(account(2), 2);
    const head = await provider.getBlockNumber();
    const { json } = await call(relay.url, "eth_callBundle", [{ txs, blockNumber: `0x${(head + 1).toString(16)}`, stateBlockNumber: "latest" }]);
    expect(json.result).toMatchObject({ bundleHash: bundleHashOf(txs.map((t) => keccak256(t))), stateBlockNumber: head, totalGasUsed: 42_000 });
    expect(json.result.results.map((r: { gasUsed: number; error?: string }) => [r.gasUsed, r.error])).toEqual([
      [21_000, undefined],
      [21_000, undefined],
    ]);
  });

  it("reports a nonce mismatch as an error and a revert in the transaction's result", async () => {
    const low = await call(relay.url, "eth_callBundle", [{ txs: await transfers(account(3), 1, 5), blockNumber: "0x1" }]);
    expect(low.json.error?.message).toMatch(/nonce too high/);
    await provider.send("anvil_setCode", ["0x00000000000000000000000000000000000000aa", "0x60006000fd"]);
    const reverting = await call(relay.url, "eth_callBundle", [{ txs: await transfers(account(3), 1, undefined, "0x00000000000000000000000000000000000000aa"), blockNumber: "0x1" }]);
    expect(reverting.json.result.results[0]).toMatchObject({ error: expect.any(String), revert: "0x" });
  });

  it("lands every transaction of a bundle in its target block, and reports it sealed", async () => {
    const txs = await transfers(account(4), 2);
    const target = (await provider.getBlockNumber()) + 1;
    const { json } = await call(relay.url, "eth_sendBundle", [{ txs, blockNumber: `0x${target.toString(16)}` }]);
    const hashes = txs.map((t) => keccak256(t));
    expect(json.result).toEqual({ bundleHash: bundleHashOf(hashes) });
    const deadline = Date.now() + 60_000;
    while (relay.bundles().find((b) => b.bundleHash === json.result.bundleHash)?.state === "pending" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const receipts = await Promise.all(hashes.map((h) => provider.getTransactionReceipt(h)));
    expect(receipts.map((r) => r?.blockNumber)).toEqual([target, target]);
    const stats = await call(relay.url, "flashbots_getBundleStatsV2", [{ bundleHash: json.result.bundleHash, blockNumber: `0x${target.toString(16)}` }]);
    expect(stats.json.result).toMatchObject({ isHighPriority: true, sealedByBuildersAt: [{ pubkey: "local-relay" }] });
  });

  it("refuses submissions while configured to refuse, and rejects malformed requests", async () => {
    relay.setRefusing(true);
    try {
      const refused = await call(relay.url, "eth_sendBundle", [{ txs: await transfers(account(5), 1), blockNumber: "0x99" }]);
      expect(refused.json.error).toMatchObject({ code: -32000, message: expect.stringMatching(/refuses/) });
    } finally {
      relay.setRefusing(false);
    }
    expect((await call(relay.url, "eth_sendBundle", [{ txs: ["0x1234"], blockNumber: "0x99" }])).json.error?.code).toBe(-32602);
    expect((await call(relay.url, "eth_getBalance", [SINK, "latest"])).json.error?.code).toBe(-32601);
    expect((await call(relay.url, "flashbots_getBundleStatsV2", [{ bundleHash: "0x" + "00".repeat(32), blockNumber: "0x1" }])).json.error?.message).toMatch(/not found/);
  });

  it("forwards eth_sendRawTransaction (private RPC) without a signature", async () => {
    const [raw] = await transfers(account(6), 1);
    const { json } = await call(relay.url, "eth_sendRawTransaction", [raw], null);
    expect(json.result).toBe(keccak256(raw!));
    expect(relay.privateTransactions()).toContain(raw);
  });

  it("stops idempotently and closes its port", async () => {
    const extra = await startLocalRelay({ rpcUrl: chain.rpcUrl });
    await Promise.all([extra.stop(), extra.stop()]);
    await expect(fetch(extra.url, { method: "POST", body: "{}" })).rejects.toThrow();
  });
});
