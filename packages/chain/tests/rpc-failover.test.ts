/**
 * FailoverJsonRpcProvider against real anvil nodes: lockstep replicas of one chain (support/replicas.ts),
 * one of them stopped mid-run and brought back empty, and a proxy in front of one that answers wrongly.
 * The whole gateway (readState, codeHash, latestBlock, send through the TxSender) runs on the provider.
 * Backoff runs on a test clock that only the test moves: nothing here depends on wall-clock time.
 */
import { createServer } from "node:http";
import { Contract, ContractFactory, id, Interface, JsonRpcProvider, keccak256, toQuantity, Wallet, ZeroHash } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activateArgs, buildManifest, buildManifestTree, commitArgs, LogRangeRefusedError, planBatches, type Manifest, type ManifestTree, type Plan } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { DEV_PRIVATE_KEY, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { DISPATCHER_STATE_ABI, DispatcherEventReader, JournaledDispatcherGateway } from "../src/gateway/index.js";
import { FailoverJsonRpcProvider, networkProvider, RpcDisagreementError, RpcFailoverConfigError, RpcQuorumUnavailableError, type RpcFailoverEvent } from "../src/failover/index.js";
import { InMemoryNonceStore, InMemoryTxJournal, suggestFees } from "../src/tx/index.js";
import { nodeRpc, restartReplica, startReplicas, startTamperProxy, type ReplicaGenesis, type TamperProxy } from "./support/replicas.js";
import { startCappedRpcProxy, type CappedRpcProxy } from "./support/capped-rpc-proxy.js";

const NETWORK = "devnet";
const BACKOFF_MS = 1_000;

/** A dispatcher with its roles granted and a one-facet manifest planned one leaf per batch, deployed through `provider`. */
async function deployFixture(provider: FailoverJsonRpcProvider) {
  const wallet = new Wallet(DEV_PRIVATE_KEY, provider);
  const { address: dispatcher } = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { minActivationDelay: 1, activationDelay: 2 }));
  const admin = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, wallet);
  await (await admin.getFunction("grantRole")(await admin.getFunction("COMMIT_ROLE")(), wallet.address)).wait();
  await (await admin.getFunction("grantRole")(await admin.getFunction("APPLY_ROLE")(), wallet.address)).wait();
  const counter = loadArtifact("CounterFacetV1");
  const facet = await (await new ContractFactory(counter.abi as never, counter.bytecode, wallet).deploy()).waitForDeployment();
  const facetAddress = await facet.getAddress();
  const manifest: Manifest = await buildManifest(
    { name: "failover", baseEpoch: 0, previousRoot: ZeroHash, facets: [{ name: counter.contractName, abi: counter.abi as never, deployedBytecode: counter.deployedBytecode, address: facetAddress }] },
    { readCode: (address) => provider.getCode(address) },
  );
  const tree: ManifestTree = buildManifestTree(manifest.entries);
  const plan: Plan = planBatches(manifest, { maxBatchSize: 2 });
  const stores = { journal: new InMemoryTxJournal(), nonceStore: new InMemoryNonceStore() };
  const gateway = new JournaledDispatcherGateway({ networks: { [NETWORK]: { provider, dispatcher, signer: wallet, ...stores, pollIntervalMs: 50, timeoutMs: 60_000 } } });
  return { wallet, dispatcher, facetAddress, codehash: keccak256(counter.deployedBytecode), tree, plan, stores, gateway };
}

/** The dispatcher's pending root as one node (no failover) reports it. */
async function pendingRootOn(url: string, dispatcher: string): Promise<string> {
  const views = new Interface(DISPATCHER_STATE_ABI);
  const data = await nodeRpc<string>(url, "eth_call", [{ to: dispatcher, data: views.encodeFunctionData("pendingManifest") }, "latest"]);
  return String(views.decodeFunctionResult("pendingManifest", data).root).toLowerCase();
}

describe("RPC failover: one node stopped mid-run (k = 1, two replicas)", () => {
  let nodes: LocalChain[];
  let genesis: ReplicaGenesis;
  let provider: FailoverJsonRpcProvider;
  let fixture: Awaited<ReturnType<typeof deployFixture>>;
  let restarted: Awaited<ReturnType<typeof restartReplica>> | undefined;
  let clock = 1_000_000;
  const events: RpcFailoverEvent[] = [];
  const downs = (priority: number) => events.filter((e) => e.type === "endpoint-down" && e.endpoint.startsWith(`#${priority} `));

  beforeAll(async () => {
    ({ nodes, genesis } = await startReplicas(2));
    provider = new FailoverJsonRpcProvider({
      network: NETWORK, chainId: 31337, urls: nodes.map((n) => n.rpcUrl), backoffMs: BACKOFF_MS, maxLagBlocks: 2, now: () => clock,
      pollingInterval: 50, cacheTimeout: -1, onEvent: (e) => events.push(e),
    });
    fixture = await deployFixture(provider);
  });

  afterAll(async () => {
    provider?.destroy();
    await restarted?.stop();
    for (const node of nodes ?? []) await node.stop();
  });

  it("sends every transaction to both replicas, which stay identical block for block", async () => {
    const result = await fixture.gateway.send(NETWORK, "f1/commit", { kind: "commit", ...commitArgs(fixture.tree), epoch: 1n });
    expect(result.ok).toBe(true);
    const [a, b] = await Promise.all(nodes.map((n) => nodeRpc<{ hash: string; number: string }>(n.rpcUrl, "eth_getBlockByNumber", ["latest", false])));
    expect(a).toMatchObject({ hash: b!.hash, number: b!.number });
    for (const node of nodes) expect(await pendingRootOn(node.rpcUrl, fixture.dispatcher)).toBe(fixture.tree.root.toLowerCase());
    expect(provider.health().map((h) => h.state)).toEqual(["healthy", "healthy"]);
  });

  it("keeps reading and sending through the other replica when the preferred one stops, and backs off the dead one", async () => {
    await nodes[0]!.stop();
    const batch = fixture.plan.batches[0]!;
    const applied = await fixture.gateway.send(NETWORK, "f1/apply/0", { kind: "apply", batch });
    expect(applied.ok).toBe(true);
    const state = await fixture.gateway.readState(NETWORK);
    expect(state).toMatchObject({ pendingRoot: fixture.tree.root.toLowerCase(), applied: batch.routes.length });
    expect(await fixture.gateway.codeHash(NETWORK, fixture.facetAddress)).toBe(fixture.codehash);

    const [dead, alive] = provider.health();
    expect(dead).toMatchObject({ state: "down", failures: 1, retryAt: clock + BACKOFF_MS, lastError: expect.stringMatching(/ECONNREFUSED|fetch failed/) });
    expect(alive).toMatchObject({ state: "healthy", failures: 0 });
    // The clock has not moved: the dead node was tried once, then left alone for every later request.
    expect(downs(0)).toHaveLength(1);
  });

  it("tries the dead node again once its backoff is over, doubling the backoff while it stays down", async () => {
    clock += BACKOFF_MS;
    const batch = fixture.plan.batches[1]!;
    expect((await fixture.gateway.send(NETWORK, "f1/apply/1", { kind: "apply", batch })).ok).toBe(true);
    expect(downs(0)).toHaveLength(2);
    expect(provider.health()[0]).toMatchObject({ state: "down", failures: 2, retryAt: clock + 2 * BACKOFF_MS });
  });

  it("takes the node back when it answers again, but reads nothing from it while it lags behind", async () => {
    restarted = await restartReplica(nodes[0]!.port, genesis);
    clock += 2 * BACKOFF_MS;
    const health = await provider.checkHealth();
    expect(health[0]).toMatchObject({ state: "lagging", failures: 0, head: 0 });
    expect(events.some((e) => e.type === "endpoint-up" && e.endpoint.startsWith("#0 "))).toBe(true);
    expect(events.some((e) => e.type === "endpoint-lagging" && e.endpoint.startsWith("#0 "))).toBe(true);

    // The empty node knows no dispatcher; every read still comes from the replica that has the chain.
    const state = await fixture.gateway.readState(NETWORK);
    expect(state.pendingRoot).toBe(fixture.tree.root.toLowerCase());
    for (const batch of fixture.plan.batches.slice(2)) {
      expect((await fixture.gateway.send(NETWORK, `f1/apply/${batch.index}`, { kind: "apply", batch })).ok).toBe(true);
    }
    await nodeRpc(nodes[1]!.rpcUrl, "anvil_mine", ["0x3"]);
    const activated = await fixture.gateway.send(NETWORK, "f1/activate", { kind: "activate", ...activateArgs(fixture.tree) });
    expect(activated).toMatchObject({ ok: true });
    expect((await fixture.gateway.readState(NETWORK)).activeRoot).toBe(fixture.tree.root.toLowerCase());
  });
});

/** `values`: {@link lie} about state; `unseen`: answer like a node that hasn't seen the block or receipt yet. */
let lieMode: "values" | "unseen" = "values";

/** Lies about what decides a signature: the pending root, a facet's code, the signer's nonce. */
function lie(method: string, params: unknown[], result: unknown): unknown {
  if (lieMode === "unseen") return method === "eth_getTransactionReceipt" || method === "eth_getBlockByHash" ? null : undefined;
  const pendingManifest = new Interface(DISPATCHER_STATE_ABI).getFunction("pendingManifest")!.selector;
  if (method === "eth_call" && String((params[0] as { data?: string })?.data ?? (params[0] as { input?: string })?.input).startsWith(pendingManifest)) {
    return id("a root nobody committed") + String(result).slice(66);
  }
  if (method === "eth_getCode" && result !== "0x") return `${String(result)}00`;
  if (method === "eth_getTransactionCount") return toQuantity(BigInt(String(result)) + 1n);
  return undefined;
}

describe("RPC quorum: k = 2 of 3, one endpoint answering wrongly", () => {
  let nodes: LocalChain[];
  let proxy: TamperProxy;
  let provider: FailoverJsonRpcProvider;
  let fixture: Awaited<ReturnType<typeof deployFixture>>;
  const events: RpcFailoverEvent[] = [];
  const disagreements = (method: string) => events.filter((e) => e.type === "disagreement" && e.method === method);
  const nonceOf = (url: string) => nodeRpc<string>(url, "eth_getTransactionCount", [fixture.wallet.address, "latest"]).then(Number);

  beforeAll(async () => {
    ({ nodes } = await startReplicas(3));
    // The liar is the most preferred endpoint: it is always among the first asked.
    proxy = await startTamperProxy(nodes[2]!.rpcUrl, lie);
    provider = new FailoverJsonRpcProvider({
      network: NETWORK, chainId: 31337, urls: [proxy.url, nodes[0]!.rpcUrl, nodes[1]!.rpcUrl], quorum: 2,
      pollingInterval: 50, cacheTimeout: -1, onEvent: (e) => events.push(e),
    });
    fixture = await deployFixture(provider);
    proxy.enabled = true;
  });

  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    for (const node of nodes ?? []) await node.stop();
  });

  it("acts on the honest majority's answers and reports the endpoint that lied", async () => {
    const nonce = await nonceOf(nodes[0]!.rpcUrl);
    const result = await fixture.gateway.send(NETWORK, "q1/commit", { kind: "commit", ...commitArgs(fixture.tree), epoch: 1n });
    expect(result.ok).toBe(true);
    expect((await fixture.stores.journal.get("q1/commit"))?.nonce).toBe(nonce);

    const state = await fixture.gateway.readState(NETWORK);
    expect(state.pendingRoot).toBe(fixture.tree.root.toLowerCase());
    expect(state.pendingEta).toBeGreaterThan(0);
    expect(await fixture.gateway.codeHash(NETWORK, fixture.facetAddress)).toBe(fixture.codehash);

    expect(proxy.tampered).toMatchObject({ eth_call: expect.any(Number), eth_getCode: expect.any(Number), eth_getTransactionCount: expect.any(Number) });
    for (const method of ["eth_call", "eth_getCode", "eth_getTransactionCount"]) {
      expect(disagreements(method).length).toBeGreaterThan(0);
      for (const event of disagreements(method)) expect(event).toMatchObject({ dissent: [{ endpoint: `#0 ${proxy.url}` }] });
    }
    const [liar, ...honest] = provider.health();
    expect(liar!.disagreements).toBeGreaterThanOrEqual(3);
    expect(honest.map((h) => h.disagreements)).toEqual([0, 0]);
  });

  it("with an honest endpoint down, refuses the disputed reads with a typed error and signs nothing", async () => {
    await nodes[1]!.stop();
    const refused = await fixture.gateway.readState(NETWORK).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RpcDisagreementError);
    expect(refused).toMatchObject({ network: NETWORK, method: "eth_call", quorum: 2, block: expect.stringMatching(/^0x[0-9a-f]+$/) });
    expect((refused as RpcDisagreementError).answers.map((a) => a.endpoint)).toEqual(expect.arrayContaining([`#0 ${proxy.url}`, `#1 ${nodes[0]!.rpcUrl}`]));
    await expect(fixture.gateway.codeHash(NETWORK, fixture.facetAddress)).rejects.toMatchObject({ name: "RpcDisagreementError", method: "eth_getCode" });

    const nonce = await nonceOf(nodes[0]!.rpcUrl);
    const batch = fixture.plan.batches[0]!;
    await expect(fixture.gateway.send(NETWORK, "q1/apply/0", { kind: "apply", batch })).rejects.toMatchObject({ name: "RpcDisagreementError", method: "eth_getTransactionCount" });
    expect(await fixture.stores.journal.get("q1/apply/0")).toBeUndefined();
    expect(await nonceOf(nodes[0]!.rpcUrl)).toBe(nonce);
  });

  it("goes on with the two endpoints left once they agree again (n = k + 1: one down never stalls)", async () => {
    proxy.enabled = false;
    const batch = fixture.plan.batches[0]!;
    expect((await fixture.gateway.send(NETWORK, "q1/apply/0", { kind: "apply", batch })).ok).toBe(true);
    expect((await fixture.gateway.readState(NETWORK)).applied).toBe(batch.routes.length);
    expect(provider.health().map((h) => h.state)).toEqual(["healthy", "healthy", "down"]);
  });

  it("does not call an endpoint that hasn't seen a receipt yet a liar: too few answers, not a disagreement", async () => {
    const { hash } = (await fixture.stores.journal.get("q1/commit"))!.attempts[0]!;
    proxy.enabled = true;
    lieMode = "unseen";
    try {
      const refused = await provider.getTransactionReceipt(hash).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RpcQuorumUnavailableError);
      expect(refused).toMatchObject({ method: "eth_getTransactionReceipt", quorum: 2, answered: 1 });
    } finally {
      proxy.enabled = false;
      lieMode = "values";
    }
    expect((await provider.getTransactionReceipt(hash))?.status).toBe(1);
  });

  it("with two of three endpoints down, fails reads with a typed error naming the quorum", async () => {
    await nodes[0]!.stop();
    const refused = await fixture.gateway.readState(NETWORK).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RpcQuorumUnavailableError);
    expect(refused).toMatchObject({ network: NETWORK, quorum: 2, answered: 1 });
  });
});

describe("failover options", () => {
  const urls = ["http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"];
  const attempt = (options: Partial<ConstructorParameters<typeof FailoverJsonRpcProvider>[0]>) => () =>
    new FailoverJsonRpcProvider({ network: NETWORK, chainId: 31337, urls, ...options });

  it.each([
    ["a quorum of 2 over 2 URLs (one down would stall)", { urls: urls.slice(0, 2), quorum: 2 }, /quorum: 2 of 2 endpoints would stall.*at least 3 URLs/],
    ["a quorum above the URL count", { urls: urls.slice(0, 2), quorum: 3 }, /quorum: asks 3 endpoints to agree but only 2/],
    ["no URL", { urls: [] }, /urls: must list at least one URL/],
    ["a URL twice", { urls: [urls[0]!, urls[0]!] }, /urls: lists a URL twice/],
    ["a websocket URL", { urls: ["ws://127.0.0.1:1"] }, /urls\.0: must be an http\(s\) URL/],
    ["a quorum of 0", { quorum: 0 }, /quorum: must be at least 1/],
  ])("refuses %s with RpcFailoverConfigError", (_, options, message) => {
    expect(attempt(options)).toThrow(RpcFailoverConfigError);
    expect(attempt(options)).toThrow(message);
  });

  it("accepts 2 of 3, and keeps a single URL a plain JsonRpcProvider", () => {
    const failover = attempt({ quorum: 2 })();
    expect(failover.health().map((h) => h.endpoint)).toEqual(["#0 http://127.0.0.1:1", "#1 http://127.0.0.1:2", "#2 http://127.0.0.1:3"]);
    failover.destroy();
    const single = networkProvider({ id: NETWORK, chainId: 31337, rpcUrls: [urls[0]!] });
    expect(single).toBeInstanceOf(JsonRpcProvider);
    single.destroy();
    const several = networkProvider({ id: NETWORK, chainId: 31337, rpcUrls: urls, quorum: 2 });
    expect(several).toBeInstanceOf(FailoverJsonRpcProvider);
    several.destroy();
  });

  it("never shows a URL's path or query, which may hold an API key", () => {
    const provider = attempt({ urls: ["https://eth.example/v2/SECRETKEY?token=x", urls[0]!] })();
    expect(JSON.stringify(provider.health())).not.toMatch(/SECRET|token/);
    provider.destroy();
  });
});

describe("RPC quorum over the chain watcher's eth_getLogs: k = 2 of 3, one endpoint hiding events", () => {
  let nodes: LocalChain[];
  let proxy: TamperProxy;
  let provider: FailoverJsonRpcProvider;
  let fixture: Awaited<ReturnType<typeof deployFixture>>;
  const events: RpcFailoverEvent[] = [];

  beforeAll(async () => {
    ({ nodes } = await startReplicas(3));
    // The most preferred endpoint answers every eth_getLogs with no logs (an attacker's commit would go
    // unseen) and knows no transaction or receipt (the watcher could not name a log's sender and would stall).
    proxy = await startTamperProxy(nodes[2]!.rpcUrl, (method, _params, result) => {
      if (method === "eth_getLogs") return [];
      if (method === "eth_getTransactionByHash" || method === "eth_getTransactionReceipt") return null;
      // Fee history 1,000 times the real priority fees: whatever PayRox signs would overpay.
      if (method === "eth_feeHistory") {
        const history = result as { reward?: string[][] };
        return { ...history, reward: history.reward?.map((row) => row.map((r) => toQuantity(BigInt(r) * 1_000n + 1_000_000_000_000n))) };
      }
      return undefined;
    });
    provider = new FailoverJsonRpcProvider({
      network: NETWORK, chainId: 31337, urls: [proxy.url, nodes[0]!.rpcUrl, nodes[1]!.rpcUrl], quorum: 2,
      pollingInterval: 50, cacheTimeout: -1, onEvent: (e) => events.push(e),
    });
    fixture = await deployFixture(provider);
    proxy.enabled = true;
  });

  afterAll(async () => {
    provider?.destroy();
    await proxy?.close();
    for (const node of nodes ?? []) await node.stop();
  });

  it("reads the events the honest majority returns and reports the endpoint that hid them", async () => {
    // Prepare: the fixture granted two roles; an outsider's grant would look the same
    const reader = new DispatcherEventReader({ networks: { [NETWORK]: { provider, dispatcher: fixture.dispatcher, senders: [] } } });
    const head = await provider.getBlockNumber();

    // Act
    const logs = await reader.getLogs(NETWORK, 0, head);

    // Assess
    expect(proxy.tampered.eth_getLogs).toBeGreaterThan(0);
    expect(logs.filter((e) => e.name === "RoleGranted").length).toBeGreaterThanOrEqual(2);
    expect(new Set(logs.map((e) => e.from))).toEqual(new Set([fixture.wallet.address]));
    const hidden = events.filter((e) => e.type === "disagreement" && e.method === "eth_getLogs");
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden[0]).toMatchObject({ dissent: [{ endpoint: `#0 ${proxy.url}`, answer: "[]" }] });
  });

  it("prices transactions from the fee history the honest endpoints agree on, not the liar's", async () => {
    // Prepare: the same read straight from an honest node, at the same head (nothing is mined in between)
    const honest = new JsonRpcProvider(nodes[0]!.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });

    // Act
    const [through, direct] = [await suggestFees(provider), await suggestFees(honest)];
    honest.destroy();

    // Assess
    expect(proxy.tampered.eth_feeHistory).toBeGreaterThan(0);
    expect(through).toEqual(direct);
  });

  it("refuses the read with a typed error when the liar can't be outvoted", async () => {
    await nodes[1]!.stop();
    const reader = new DispatcherEventReader({ networks: { [NETWORK]: { provider, dispatcher: fixture.dispatcher, senders: [] } } });
    const head = await provider.getBlockNumber();
    await expect(reader.getLogs(NETWORK, 0, head)).rejects.toMatchObject({ name: "RpcDisagreementError", method: "eth_getLogs" });
  });
});

describe("RPC quorum over eth_getLogs: providers capping ranges differently (k = 2 of 3)", () => {
  let nodes: LocalChain[];
  let caps: CappedRpcProxy[];
  let provider: FailoverJsonRpcProvider;
  let fixture: Awaited<ReturnType<typeof deployFixture>>;

  beforeAll(async () => {
    ({ nodes } = await startReplicas(3));
    caps = [
      await startCappedRpcProxy(nodes[0]!.rpcUrl, 3, { code: -32602, message: "block range too large, max 3" }),
      await startCappedRpcProxy(nodes[1]!.rpcUrl, 5, { code: -32005, message: "query returned more than 10000 results" }),
    ];
    provider = new FailoverJsonRpcProvider({ network: NETWORK, chainId: 31337, urls: [caps[0]!.url, caps[1]!.url, nodes[2]!.rpcUrl], quorum: 2, pollingInterval: 50, cacheTimeout: -1 });
    fixture = await deployFixture(provider);
    // Empty blocks on every replica alike (they stay identical): a range wider than both caps.
    for (const node of nodes) await nodeRpc(node.rpcUrl, "anvil_mine", ["0x5"]);
  });

  afterAll(async () => {
    provider?.destroy();
    for (const cap of caps ?? []) await cap.stop();
    for (const node of nodes ?? []) await node.stop();
  });

  it("gives a refusal to split for a range the providers refuse in different words, and reads the narrower range", async () => {
    // Prepare
    const reader = new DispatcherEventReader({ networks: { [NETWORK]: { provider, dispatcher: fixture.dispatcher, senders: [] } } });
    const head = await provider.getBlockNumber();
    expect(head).toBeGreaterThan(5);

    // Act
    const wide = await reader.getLogs(NETWORK, 0, head).catch((e: unknown) => e);
    const narrow = await reader.getLogs(NETWORK, head - 2, head);

    // Assess: a refusal (the watcher halves the range), not a disagreement it would retry forever
    expect(wide).toBeInstanceOf(LogRangeRefusedError);
    expect(Array.isArray(narrow)).toBe(true);
  });
});

/** An HTTP server that takes every request and never answers (an overloaded or black-holed provider). */
async function startHungEndpoint(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = createServer(() => {
    received++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    received: () => received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("RPC failover: the preferred endpoint hangs (takes requests, never answers), k = 2 of 3", () => {
  let nodes: LocalChain[];
  let hung: Awaited<ReturnType<typeof startHungEndpoint>>;
  let provider: FailoverJsonRpcProvider;

  beforeAll(async () => {
    ({ nodes } = await startReplicas(2));
    hung = await startHungEndpoint();
    // Its requests would time out only after 10 minutes: every read below finishes only if none waits for it.
    provider = new FailoverJsonRpcProvider({
      network: NETWORK, chainId: 31337, urls: [hung.url, nodes[0]!.rpcUrl, nodes[1]!.rpcUrl], quorum: 2, timeoutMs: 600_000,
      pollingInterval: 50, cacheTimeout: -1,
    });
  });

  afterAll(async () => {
    provider?.destroy();
    await hung?.close();
    for (const node of nodes ?? []) await node.stop();
  });

  it("runs a whole upgrade through the other endpoints without waiting for the hung one", async () => {
    // Act: deploy, commit, apply every batch, activate — quorum reads, plain reads and sends
    const fixture = await deployFixture(provider);
    expect((await fixture.gateway.send(NETWORK, "h1/commit", { kind: "commit", ...commitArgs(fixture.tree), epoch: 1n })).ok).toBe(true);
    for (const batch of fixture.plan.batches) expect((await fixture.gateway.send(NETWORK, `h1/apply/${batch.index}`, { kind: "apply", batch })).ok).toBe(true);
    for (const node of nodes) await nodeRpc(node.rpcUrl, "anvil_mine", ["0x3"]);
    const activated = await fixture.gateway.send(NETWORK, "h1/activate", { kind: "activate", ...activateArgs(fixture.tree) });

    // Assess: done, with the hung endpoint asked (and never answering)
    expect(activated).toMatchObject({ ok: true });
    expect((await fixture.gateway.readState(NETWORK)).activeRoot).toBe(fixture.tree.root.toLowerCase());
    expect(hung.received()).toBeGreaterThan(0);
  });
});
