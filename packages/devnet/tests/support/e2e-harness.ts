/**
 * The world of the scheduler's end-to-end test, built from the real local services only: DynamoDB Local
 * (one single table), the local KMS server (one ECC_SECG_P256K1 key per network), and one anvil node per
 * network with the dispatcher, its roles granted to the KMS address, and the example facets deployed.
 * The keys and mnemonic are public DEVELOPMENT material: local chains only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { Contract, ContractFactory, parseEther, ZeroHash, type JsonRpcProvider, type Wallet } from "ethers";
import { createTable, DynamoAuditLog, DynamoIncidentLedger, DynamoJobStore, DynamoNonceStore, DynamoRunStore, DynamoTxJournal } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { JournaledDispatcherGateway, KmsSigner } from "@payrox/chain";
import {
  buildManifest, DedupingAlertSink, findNetwork, runStep, TERMINAL_STATES, type Alert, type IncidentLedger, type AlertSink, type DispatcherGateway, type Manifest, type Relay, type Run, type SchedulerDeps, type SchedulerOptions, type TxJournal,
} from "@payrox/core";
import { loadArtifact } from "../../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../../contracts/lib/local-chain.js";
import { LocalScheduler, startKmsServer, type KmsServer } from "../../src/index.js";

/** Seconds between a commit and its ETA on every dispatcher: long enough that a test can act before it. */
export const ACTIVATION_DELAY_SECONDS = 15;
/** Shared by the proposal and every apply step: one leaf per batch, so a 4-selector facet takes 4 batches. */
export const E2E_OPTIONS: SchedulerOptions = { planOptions: { maxBatchSize: 1 } };
const TABLE = "payrox-e2e";
const KMS_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/** One target network: its node, dispatcher and KMS signer. */
export interface E2eNetwork {
  id: string;
  chain: LocalChain;
  provider: JsonRpcProvider;
  /** Dev account #0: deployer and funder. */
  wallet: Wallet;
  dispatcher: string;
  signer: KmsSigner;
  signerAddress: string;
  /** CounterFacetV1's address (the same on every network: same deployer, same nonce). */
  counterV1: string;
}

/** Every running service, and how to stop it. */
export interface E2eWorld {
  dynamo: DynamoDbLocal;
  kms: KmsServer;
  kmsClient: KMSClient;
  networks: Record<string, E2eNetwork>;
  /** The single table, for adapters a test adds (`{ client, tableName }`). */
  table: { client: DynamoDbLocal["client"]; tableName: string };
  store: DynamoRunStore;
  audit: DynamoAuditLog;
  nonceStore: DynamoNonceStore;
  journal: DynamoTxJournal;
  scheduler: LocalScheduler;
  stop(): Promise<void>;
}

/**
 * An AlertSink that keeps what it is given — with a ledger, only what the production dedupe delivers
 * (one alert and one resolution per incident), so tests see what a receiver would.
 */
export class RecordingAlertSink implements AlertSink {
  readonly alerts: Alert[] = [];
  readonly #dedupe: DedupingAlertSink | undefined;
  constructor(ledger?: IncidentLedger) {
    this.#dedupe = ledger && new DedupingAlertSink({ ledger, sink: { raise: async (alert) => void this.alerts.push(alert) } });
  }
  async raise(alert: Alert): Promise<void> {
    if (this.#dedupe) return this.#dedupe.raise(alert);
    this.alerts.push(alert);
  }
}

/** Starts DynamoDB Local, the KMS server and one anvil per registry id in `networkIds`, and deploys. */
export async function startE2eWorld(networkIds: readonly string[]): Promise<E2eWorld> {
  const stops: (() => Promise<void>)[] = [];
  const keyDir = mkdtempSync(join(tmpdir(), "payrox-e2e-kms-"));
  stops.push(async () => rmSync(keyDir, { recursive: true, force: true }));
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDbLocal();
    stops.push(() => dynamo.stop());
    await createTable(dynamo.client, TABLE);
    const kms = await startKmsServer({ keyFile: join(keyDir, "kms-keys.json") });
    stops.push(() => kms.stop());
    const kmsClient = new KMSClient({ endpoint: kms.url, region: kms.region, credentials: KMS_CREDENTIALS });
    stops.push(async () => kmsClient.destroy());

    const networks: Record<string, E2eNetwork> = {};
    // Sequential and identical per network, so the dev wallet's nonces (and so facet addresses) match.
    for (const id of networkIds) {
      const registered = findNetwork(id);
      if (!registered) throw new Error(`network ${id} is not in the registry`);
      const chain = await startLocalChain({ kind: "anvil", chainId: registered.chainId, blockTime: 1 });
      stops.push(() => chain.stop());
      const { provider, wallet } = devWallet(chain);
      stops.push(async () => provider.destroy());
      networks[id] = await deployNetwork(id, chain, provider, wallet, kmsClient);
    }
    const table = { client: dynamo.client, tableName: TABLE };
    return {
      dynamo, kms, kmsClient, networks, table,
      store: new DynamoRunStore(table),
      audit: new DynamoAuditLog(table),
      nonceStore: new DynamoNonceStore(table),
      journal: new DynamoTxJournal(table),
      scheduler: new LocalScheduler({ store: new DynamoJobStore(table), jitter: { mode: "none" }, retry: { baseDelayMs: 500, maxDelayMs: 4_000, maxAttempts: 8 } }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function deployNetwork(id: string, chain: LocalChain, provider: JsonRpcProvider, wallet: Wallet, kmsClient: KMSClient): Promise<E2eNetwork> {
  const { KeyMetadata } = await kmsClient.send(new CreateKeyCommand({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY", Description: `payrox e2e ${id}` }));
  const signer = new KmsSigner({ keyId: KeyMetadata!.KeyId!, client: kmsClient }, provider);
  const signerAddress = await signer.getAddress();

  const deployment = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { activationDelay: ACTIVATION_DELAY_SECONDS }));
  const admin = new Contract(deployment.address, loadArtifact("DispatcherAdminFacet").abi as never, wallet);
  for (const role of ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"]) {
    await (await admin.getFunction("grantRole")(await admin.getFunction(role)(), signerAddress)).wait();
  }
  const counterV1 = await deployFacet("CounterFacetV1", wallet);
  await deployFacet("CounterFacetV2", wallet);
  await (await wallet.sendTransaction({ to: signerAddress, value: parseEther("10") })).wait();
  return { id, chain, provider, wallet, dispatcher: deployment.address, signer, signerAddress, counterV1 };
}

async function deployFacet(name: string, wallet: Wallet): Promise<string> {
  const artifact = loadArtifact(name);
  const facet = await (await new ContractFactory(artifact.abi as never, artifact.bytecode, wallet).deploy()).waitForDeployment();
  return facet.getAddress();
}

/** What a test may change in the wiring: a journal decorator per network, options, the alert sink. */
export interface E2eDepsOptions {
  wrapJournal?: (network: string, journal: TxJournal) => TxJournal;
  /** Decorates the real gateway (fault injection around a confirmed send). */
  wrapGateway?: (gateway: DispatcherGateway) => DispatcherGateway;
  options?: SchedulerOptions;
  alerts?: RecordingAlertSink;
  /** A relay per network (default: the public mempool of its node). */
  relays?: Readonly<Record<string, Relay>>;
}

/** SchedulerDeps over the world's real adapters: a JournaledDispatcherGateway signing with KMS, a real clock. */
export function schedulerDeps(world: E2eWorld, { wrapJournal, wrapGateway = (g) => g, options = E2E_OPTIONS, alerts = new RecordingAlertSink(new DynamoIncidentLedger(world.table)), relays = {} }: E2eDepsOptions = {}): SchedulerDeps & { alerts: RecordingAlertSink } {
  const gatewayNetworks = Object.fromEntries(
    Object.values(world.networks).map((n) => [
      n.id,
      {
        provider: n.provider, dispatcher: n.dispatcher, signer: n.signer, nonceStore: world.nonceStore,
        journal: wrapJournal ? wrapJournal(n.id, world.journal) : world.journal, pollIntervalMs: 100, timeoutMs: 60_000,
        ...(relays[n.id] && { relay: relays[n.id] }),
      },
    ]),
  );
  return {
    store: world.store, audit: world.audit, scheduler: world.scheduler, alerts,
    gateway: wrapGateway(new JournaledDispatcherGateway({ networks: gatewayNetworks })),
    clock: { now: () => Date.now() },
    networks: (id) => (world.networks[id] ? findNetwork(id) : undefined),
    actor: "scheduler-e2e",
    owner: "scheduler-e2e",
    options,
  };
}

/**
 * Deploys a fresh CounterFacetV1 on every network (same deployer nonce, so the same address) and returns
 * it, so a test can give a manifest routes to a facet instance no earlier manifest used.
 */
export async function deployCounterEverywhere(world: E2eWorld): Promise<string> {
  const addresses = new Set<string>();
  for (const n of Object.values(world.networks)) addresses.add(await deployFacet("CounterFacetV1", n.wallet));
  if (addresses.size !== 1) throw new Error(`CounterFacetV1 landed at different addresses on the networks: ${[...addresses].join(", ")}`);
  return [...addresses][0]!;
}

/** A manifest routing every CounterFacetV1 selector to `facet`, on top of `network`'s live active root and epoch. */
export async function counterManifest(world: E2eWorld, network: string, name: string, facet = world.networks[network]!.counterV1): Promise<Manifest> {
  const n = world.networks[network]!;
  const artifact = loadArtifact("CounterFacetV1");
  const views = new Contract(n.dispatcher, ["function activeEpoch() view returns (uint64)", "function activeRoot() view returns (bytes32)"], n.provider);
  const [epoch, root] = await Promise.all([views.getFunction("activeEpoch")(), views.getFunction("activeRoot")()]);
  return buildManifest(
    { name, baseEpoch: Number(epoch), previousRoot: epoch === 0n ? ZeroHash : String(root), facets: [{ name: artifact.contractName, abi: artifact.abi as never, deployedBytecode: artifact.deployedBytecode, address: facet }] },
    { readCode: (address) => n.provider.getCode(address) },
  );
}

/**
 * Runs the LocalScheduler loop (dispatching to the real `runStep`) until every run of the proposal is
 * terminal, then stops it. `beforeStep` runs just before a job is dispatched (fault injection).
 * @throws with every run's state when `timeoutMs` passes first
 */
export async function driveToTerminal(
  deps: SchedulerDeps,
  scheduler: LocalScheduler,
  proposalId: string,
  networks: readonly string[],
  { timeoutMs = 120_000, beforeStep }: { timeoutMs?: number; beforeStep?: (job: Parameters<typeof runStep>[0]) => Promise<void> } = {},
): Promise<Record<string, Run>> {
  const errors: string[] = [];
  scheduler.start({
    dispatch: async (job) => {
      await beforeStep?.(job);
      await runStep(job, deps);
    },
    pollMs: 200,
    onError: (error) => errors.push(String(error)),
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const runs = await Promise.all(networks.map((n) => deps.store.getRun(proposalId, n)));
      if (runs.every((r) => r && TERMINAL_STATES.has(r.state))) return Object.fromEntries(runs.map((r) => [r!.network, r!]));
      if (Date.now() > deadline) {
        const states = runs.map((r, i) => `${networks[i]}: ${r ? `${r.state} ${r.batchesApplied}/${r.batchCount}` : "missing"}`).join(", ");
        throw new Error(`runs of ${proposalId} not terminal after ${timeoutMs} ms (${states}); scheduler errors: ${errors.join(" | ") || "none"}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await scheduler.stop();
  }
}
