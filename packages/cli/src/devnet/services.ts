/**
 * Starts the devnet's services on 127.0.0.1 and free ports — one anvil node per network, DynamoDB Local
 * (the single table), the local KMS server (one ECC_SECG_P256K1 key per network) and a local relay in
 * front of each network whose policy prefers Flashbots or a private RPC — and deploys the dispatcher
 * (CREATE2: one address everywhere) and the example facets on every chain — or, on a data directory
 * that holds a deployment, restarts it (see `data-dir.ts`).
 *
 * SECURITY: the chains' deployer/admin is dev account #0 of the public test mnemonic, and the KMS keys
 * live in a throwaway file (or the data directory's key file): DEVELOPMENT material for local chains only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { createTable, DynamoChainCursorStore, DynamoNonceStore } from "@payrox/aws";
import { startDynamoDbLocal } from "@payrox/aws/testing";
import { KmsSigner } from "@payrox/chain";
import { assertCanonicalCreate2, getNetwork, type Network } from "@payrox/core";
import { startKmsServer, startLocalRelay, type LocalRelay } from "@payrox/devnet";
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { deployDispatcherDeterministic, devConfig } from "@payrox/contracts/lib/deploy";
import { devWallet, startLocalChain, type LocalChain } from "@payrox/contracts/lib/local-chain";
import { Contract, ContractFactory, parseEther, type JsonRpcProvider, type Wallet } from "ethers";
import { DevnetDataError, DevnetStartError } from "../errors.js";
import { checkChainContinuity, checkSavedShape, openDevnetData } from "./data-dir.js";
import { devnetKmsClient } from "./kms-client.js";
import { writeDevnetState, type DevnetNetwork, type DevnetState } from "./state.js";

/** Example facets deployed on every network, in this order (same deployer nonces, so the same addresses). */
export const EXAMPLE_FACETS = ["CounterFacetV1", "CounterFacetV2", "BenchFacet"] as const;

/** Options of {@link startDevnetServices}. */
export interface DevnetServicesOptions {
  /** Devnet networks `devnet-1` … `devnet-<n>` (1–21). */
  networks: number;
  /** The dispatchers' activation delay, in seconds. */
  activationDelaySeconds: number;
  /** The single table's name. @default "payrox-devnet" */
  tableName?: string;
  /**
   * Keep the nodes mining a block per transaction (benchmarks: no wait for blocks) instead of the
   * registry's block time. @default false
   */
  automine?: boolean;
  /** Told about each step of the start-up (a line of progress). */
  onProgress?: (message: string) => void;
  /**
   * Keep the devnet's data in this directory (see `data-dir.ts`): a start on a directory that holds a
   * deployment restarts it — same table, keys, chains and addresses — instead of deploying anew.
   * @default none: the table in memory, keys and chains in temporary places, all gone on stop
   */
  dataDir?: string;
  /** With `dataDir`: delete what the devnet kept there and start from nothing. @default false */
  fresh?: boolean;
}

/** Running services and how to stop them. */
export interface DevnetServices {
  state: DevnetState;
  /** The local relays, by network id (what they received can be inspected). */
  relays: Readonly<Record<string, LocalRelay>>;
  /** Stops everything started, in reverse order. Idempotent. */
  stop(): Promise<void>;
}

const ROLES = ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"] as const;
/** How often a kept chain saves its state (anvil `--state-interval`): what a SIGKILL of its node can lose. */
export const CHAIN_STATE_INTERVAL_SECONDS = 2;

/**
 * Starts every service and deploys (or restarts on kept data); on any failure stops what it started and throws.
 * @throws DevnetStartError naming the service that failed; Create2UnsupportedError (before starting anything)
 * for a network without the canonical CREATE2 address
 * @throws DevnetDataError when the kept data doesn't match the options or a chain is not the one the table knows
 */
export async function startDevnetServices(options: DevnetServicesOptions): Promise<DevnetServices> {
  const progress = options.onProgress ?? (() => undefined);
  const stops: (() => Promise<unknown>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    })());
  const step = async <T>(service: string, work: () => Promise<T>, passThrough?: new (...args: never[]) => Error): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      await stop();
      throw passThrough && error instanceof passThrough ? error : new DevnetStartError(service, { cause: error });
    }
  };

  const ids = Array.from({ length: options.networks }, (_, i) => `devnet-${i + 1}`).map(getNetwork);
  // The dispatcher is deployed at its canonical CREATE2 address: refuse a network that can't give it one.
  for (const network of ids) assertCanonicalCreate2(network);
  const data = options.dataDir === undefined ? undefined : openDevnetData(options.dataDir, options.fresh);
  const saved = data?.saved;
  if (data && saved) checkSavedShape(data.paths, saved, options.networks, options.activationDelaySeconds);
  const tableName = saved?.tableName ?? options.tableName ?? "payrox-devnet";
  const dynamo = await step("DynamoDB Local (needs Java 17)", () => startDynamoDbLocal(data ? { dbPath: data.paths.dynamo } : {}));
  stops.push(() => dynamo.stop());
  await step("DynamoDB table", () => createTable(dynamo.client, tableName));
  progress(`DynamoDB Local on ${dynamo.endpoint} (table ${tableName}${data ? `, data in ${data.paths.dynamo}` : ", in memory"})`);

  let keyFile = data?.paths.kmsKeys;
  let anchorFile = data?.paths.anchors;
  if (keyFile === undefined || anchorFile === undefined) {
    const keyDir = mkdtempSync(join(tmpdir(), "payrox-devnet-kms-"));
    stops.push(async () => rmSync(keyDir, { recursive: true, force: true }));
    keyFile = join(keyDir, "kms-keys.json");
    anchorFile = join(keyDir, "audit-anchors.jsonl");
  }
  const kms = await step("local KMS server", () => startKmsServer({ keyFile }));
  stops.push(() => kms.stop());
  const kmsClient = devnetKmsClient(kms.url, kms.region);
  stops.push(async () => kmsClient.destroy());
  progress(`local KMS server on ${kms.url}`);

  const chains = await step("anvil nodes", () => Promise.all(ids.map((n) => startChain(n, stops, data?.paths.chainState(n.id)))));
  progress(`${chains.length} anvil node(s): ${chains.map((c, i) => `${ids[i]!.id} ${c.rpcUrl}`).join(", ")}${data ? `, state in ${join(data.paths.root, "chains")}` : ""}`);
  const relays: Record<string, LocalRelay> = {};
  let networks: DevnetNetwork[];
  if (data && saved) {
    const nonces = new DynamoNonceStore({ client: dynamo.client, tableName });
    const resume = (n: Network, i: number) => {
      const kept = saved.networks[i]!;
      const check = async (provider: JsonRpcProvider) => checkChainContinuity(data.paths, kept, provider, await nonces.snapshot({ network: kept.id, signer: kept.signerAddress }));
      return resumeNetwork(n, chains[i]!, kept, check, options, stops, relays);
    };
    networks = await step("restart on the kept data", () => Promise.all(ids.map(resume)), DevnetDataError);
    progress(`restarted on the data in ${data.paths.root}: the table, the KMS keys and every chain as they were`);
  } else {
    const deployed = await step("deployment", () => Promise.all(ids.map((n, i) => deployNetwork(n, chains[i]!, kmsClient, options, stops, relays))));
    networks = deployed.map((d) => d.network);
    // Onboarding: the chain watcher starts after the deployment, so the setup (the admin's role grants to
    // the KMS signer) is trusted; any dispatcher event from then on that PayRox did not send is alerted.
    const cursors = new DynamoChainCursorStore({ client: dynamo.client, tableName });
    await step("chain watch cursors", () => Promise.all(deployed.map(({ network, setupHead }) => cursors.put({ network: network.id, ...setupHead, updatedAtMs: Date.now() }))));
  }
  for (const n of networks) progress(`${n.id}: dispatcher ${n.dispatcher}, KMS signer ${n.signerAddress}${n.relayUrl ? `, relay ${n.relayUrl}` : ""}`);
  kmsClient.destroy();
  const state: DevnetState = {
    format: "payrox-devnet/1",
    tableName,
    dynamoEndpoint: dynamo.endpoint,
    kmsUrl: kms.url,
    kmsRegion: kms.region,
    activationDelaySeconds: options.activationDelaySeconds,
    networks,
    anchorFile,
    ...(data && { deploymentFile: data.paths.deployment }),
  };
  if (data) writeDevnetState(data.paths.deployment, state);
  return { state, relays, stop };
}

/**
 * Starts the network's node in automine (deployment is then instant); interval mining starts after it.
 * With a `stateFile` the node loads it when present and saves into it every 2 s and when stopped.
 */
async function startChain(network: Network, stops: (() => Promise<unknown>)[], stateFile?: string): Promise<LocalChain> {
  const extraArgs = stateFile === undefined ? [] : ["--state", stateFile, "--state-interval", String(CHAIN_STATE_INTERVAL_SECONDS)];
  const chain = await startLocalChain({ kind: "anvil", chainId: network.chainId, extraArgs });
  stops.push(() => chain.stop());
  return chain;
}

async function deployNetwork(network: Network, chain: LocalChain, kmsClient: KMSClient, options: DevnetServicesOptions, stops: (() => Promise<unknown>)[], relays: Record<string, LocalRelay>): Promise<{ network: DevnetNetwork; setupHead: { blockNumber: number; blockHash: string } }> {
  const { provider, wallet } = devWallet(chain);
  try {
    const { KeyMetadata } = await kmsClient.send(new CreateKeyCommand({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY", Description: `payrox devnet signer ${network.id}` }));
    const kmsKeyId = KeyMetadata!.KeyId!;
    const signerAddress = await new KmsSigner({ keyId: kmsKeyId, client: kmsClient }, provider).getAddress();
    const { address: dispatcher } = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { activationDelay: options.activationDelaySeconds, minActivationDelay: 1 }));
    const admin = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, wallet);
    for (const role of ROLES) await (await admin.getFunction("grantRole")(await admin.getFunction(role)(), signerAddress)).wait();
    await (await wallet.sendTransaction({ to: signerAddress, value: parseEther("100") })).wait();
    const facets: Record<string, string> = {};
    for (const name of EXAMPLE_FACETS) facets[name] = await deployFacet(name, wallet);
    // Blocks every `blockTimeSeconds` from now on, like a real chain (the registry's devnets: 1 s).
    const head = (await provider.getBlock("latest"))!;
    const genesisHash = (await provider.getBlock(0))!.hash!;
    if (!options.automine) await provider.send("evm_setIntervalMining", [network.blockTimeSeconds]);
    const relay = await relayFor(network, chain, stops);
    if (relay) relays[network.id] = relay;
    const relayUrl = relay?.url;
    return {
      network: { id: network.id, chainId: network.chainId, rpcUrl: chain.rpcUrl, pid: chain.pid, genesisHash, dispatcher, kmsKeyId, signerAddress, ...(relayUrl && { relayUrl }), facets },
      setupHead: { blockNumber: head.number, blockHash: head.hash! },
    };
  } finally {
    provider.destroy();
  }
}

/** A kept network restarted: its chain checked against the table, mining resumed, a new relay; same keys and addresses. */
async function resumeNetwork(network: Network, chain: LocalChain, saved: DevnetNetwork, check: (provider: JsonRpcProvider) => Promise<void>, options: DevnetServicesOptions, stops: (() => Promise<unknown>)[], relays: Record<string, LocalRelay>): Promise<DevnetNetwork> {
  const { provider } = devWallet(chain);
  try {
    await check(provider);
    if (!options.automine) await provider.send("evm_setIntervalMining", [network.blockTimeSeconds]);
  } finally {
    provider.destroy();
  }
  const relay = await relayFor(network, chain, stops);
  if (relay) relays[network.id] = relay;
  const { relayUrl: _old, ...kept } = saved;
  return { ...kept, rpcUrl: chain.rpcUrl, pid: chain.pid, ...(relay && { relayUrl: relay.url }) };
}

/** A local relay in front of the node when the network's policy sends through Flashbots or a private RPC first. */
async function relayFor(network: Network, chain: LocalChain, stops: (() => Promise<unknown>)[]): Promise<LocalRelay | undefined> {
  if (!network.relay.preferred.some((kind) => kind === "flashbots" || kind === "private-rpc")) return undefined;
  // 200 ms looks at the head are plenty for 1 s blocks, and keep 21 relays from crowding one event loop.
  const relay = await startLocalRelay({ rpcUrl: chain.rpcUrl, mineBundles: false, pollIntervalMs: 200 });
  stops.push(() => relay.stop());
  return relay;
}

async function deployFacet(name: string, wallet: Wallet): Promise<string> {
  const artifact = loadArtifact(name);
  const facet = await (await new ContractFactory(artifact.abi as never, artifact.bytecode, wallet).deploy()).waitForDeployment();
  return facet.getAddress();
}
