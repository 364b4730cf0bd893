/**
 * FailoverJsonRpcProvider against real anvil nodes: lockstep replicas of one chain (support/replicas.ts),
 * one of them stopped mid-run and brought back empty, and a proxy in front of one that answers wrongly.
 * The whole gateway (readState, codeHash, latestBlock, send through the TxSender) runs on the provider.
 * Backoff runs on a test clock that only the test moves: nothing here depends on wall-clock time.
 */
import { Contract, ContractFactory, Interface, keccak256, Wallet, ZeroHash } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activateArgs, buildManifest, buildManifestTree, commitArgs, planBatches, type Manifest, type ManifestTree, type Plan } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { DEV_PRIVATE_KEY, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { DISPATCHER_STATE_ABI, JournaledDispatcherGateway } from "../src/gateway/index.js";
import { FailoverJsonRpcProvider, RpcDisagreementError, RpcQuorumUnavailableError, type RpcFailoverEvent } from "../src/failover/index.js";
import { InMemoryNonceStore, InMemoryTxJournal } from "../src/tx/index.js";
import { nodeRpc, restartReplica, startReplicas, startTamperProxy, type ReplicaGenesis, type TamperProxy } from "./support/replicas.js";

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
