/**
 * The production {@link GatewayFactory}: one JSON-RPC provider (failover over the network's `rpcUrls`, with
 * its quorum, when it lists several), KMS signer, relay policy, DynamoDB nonce
 * store and transaction journal per configured network, behind the chain package's journaled gateway.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { boundedClientConfig, DynamoNonceStore, DynamoTxJournal } from "@payrox/aws";
import { createKmsClient, DispatcherApprovalTargets, DispatcherEventReader, EthersErc1271Reader, FlashbotsRelay, JournaledDispatcherGateway, KmsSigner, networkProvider, PrivateRpcRelay, PublicMempoolRelay, RelayRouter, type DispatcherNetwork, type WatchedDispatcher } from "@payrox/chain";
import { relayPolicyOf, rpcEndpointsOf, voidAfterSecondsOf, RelayKind, type Relay, type ResolvedNetwork } from "@payrox/core";
import { BaseWallet, randomBytes, SigningKey, type JsonRpcApiProvider, type Signer } from "ethers";
import type { GatewayContext } from "./composition.js";
import { reportRpcEvent } from "./observability.js";

/** A configured network the gateway can't reach (no dispatcher address, no relay URL). */
export class GatewayConfigError extends Error {
  constructor(readonly network: string, message: string) {
    super(`network ${network}: ${message}`);
    this.name = "GatewayConfigError";
  }
}

/** What {@link chainGateway} may be given instead of building it (the devnet, tests). */
export interface ChainGatewayOptions {
  /** @default a client for `env.dynamoEndpoint` or the Lambda's region */
  dynamoClient?: DynamoDBClient;
  /** @default `createKmsClient()` (region, credentials and `AWS_ENDPOINT_URL_KMS` from the environment) */
  kms?: KMSClient;
  /**
   * The identity that signs `X-Flashbots-Signature` (reputation only: it holds no funds and signs no
   * transaction). @default `env.flashbotsAuthKey` (secret PAYROX_FLASHBOTS_AUTH_KEY), else a fresh random key per container
   */
  relayAuthSigner?: Signer;
  /** Delay between two looks at the chain while confirming, in ms. @default the TxSender's (1 s) */
  pollIntervalMs?: number;
}

/**
 * Builds the gateway from the networks' configuration (RPC URL, KMS key id, dispatcher, relay URL).
 * Each network submits through its registry relay policy, in order; the public mempool is used only where
 * the policy allows it.
 * @throws GatewayConfigError naming the first network without a dispatcher address or a needed relay URL
 */
export async function chainGateway({ env, networks }: GatewayContext, options: ChainGatewayOptions = {}): Promise<JournaledDispatcherGateway> {
  const dynamo = options.dynamoClient ?? new DynamoDBClient({ ...boundedClientConfig(env.awsClientBounds), ...(env.dynamoEndpoint && { endpoint: env.dynamoEndpoint }) });
  const table = { client: dynamo, tableName: env.tableName };
  const nonceStore = new DynamoNonceStore(table);
  const journal = new DynamoTxJournal(table);
  const kms = options.kms ?? createKmsClient();
  const authSigner = options.relayAuthSigner ?? relayIdentity(env.flashbotsAuthKey);
  const entries: [string, DispatcherNetwork][] = [];
  for (const network of networks) {
    if (!network.dispatcher) throw new GatewayConfigError(network.id, "no `dispatcher` address in the network configuration");
    const provider = providerOf(network);
    const signer = new KmsSigner({ keyId: network.kmsKeyId, client: kms }, provider);
    const relay = await relayOf(network, provider, authSigner);
    entries.push([network.id, {
      provider, dispatcher: network.dispatcher, signer, nonceStore, journal, relay, confirmations: network.confirmations,
      // No gas limit above what the network lets one transaction use (EIP-7825's 16,777,216 on Ethereum).
      maxTxGas: BigInt(network.maxTxGas),
      // A transaction that can never land is replaced at its nonce by a no-op after this long.
      voidAfterMs: voidAfterSecondsOf(network) * 1000,
      ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
    }]);
  }
  return new JournaledDispatcherGateway({ networks: Object.fromEntries(entries) });
}

/**
 * The network's provider: a plain JsonRpcProvider for one URL, failover (and its quorum) for several, whose
 * reports (an endpoint outvoted, down, lagging) go to the log and metrics.
 */
function providerOf(network: ResolvedNetwork): JsonRpcApiProvider {
  return networkProvider({ id: network.id, chainId: network.chainId, ...rpcEndpointsOf(network), onEvent: reportRpcEvent });
}

/**
 * The Flashbots reputation identity: the configured private key, else a random one (accepted by relays;
 * it only forgoes the reputation a stable key builds up).
 * @throws GatewayConfigError when the configured key is not a 32-byte hex private key
 */
function relayIdentity(privateKey: string | undefined): Signer {
  // A BaseWallet over a SigningKey is all a relay identity needs: ethers' Wallet would bundle its
  // keystore (aes-js, scrypt) and HD wallet code for nothing.
  if (privateKey === undefined) return new BaseWallet(new SigningKey(randomBytes(32)));
  try {
    return new BaseWallet(new SigningKey(privateKey.startsWith("0x") ? privateKey : `0x${privateKey}`));
  } catch (error) {
    throw new GatewayConfigError("flashbots", `PAYROX_FLASHBOTS_AUTH_KEY is not a 0x-prefixed 32-byte hex private key (${(error as Error).message.split(" (")[0]})`);
  }
}

/** The network's relay policy as a {@link RelayRouter} over the adapters it names. */
async function relayOf(network: ResolvedNetwork, provider: JsonRpcApiProvider, authSigner: Signer): Promise<Relay> {
  const policy = relayPolicyOf(network);
  const kinds = new Set([...policy.preferred, ...(policy.allowPublicFallback ? [RelayKind.PUBLIC] : [])]);
  const relays: Partial<Record<RelayKind, Relay>> = {};
  for (const kind of kinds) {
    if (kind === RelayKind.PUBLIC) {
      relays[kind] = new PublicMempoolRelay({ provider });
      continue;
    }
    // The config loader requires this URL; checked again so a hand-built context can't fall back silently.
    if (!network.relayUrl) throw new GatewayConfigError(network.id, `its relay policy prefers ${kind} but no relayUrl is configured; transactions are never sent publicly in its place`);
    relays[kind] = kind === RelayKind.FLASHBOTS
      ? await FlashbotsRelay.create({ provider, authSigner, relayUrl: network.relayUrl })
      : new PrivateRpcRelay({ provider, url: network.relayUrl });
  }
  return new RelayRouter({ policy, relays });
}

/**
 * The watchdog's event reader: each configured network's dispatcher, PayRox's sender being its KMS key's address.
 * `kms` replaces the environment's KMS client (the devnet's local server).
 */
export function chainEventSource({ networks }: GatewayContext, options: Pick<ChainGatewayOptions, "kms"> = {}): DispatcherEventReader {
  const kms = options.kms ?? createKmsClient();
  const entries = networks.flatMap((network): [string, WatchedDispatcher][] => {
    if (!network.dispatcher) return [];
    const provider = providerOf(network);
    const signer = new KmsSigner({ keyId: network.kmsKeyId, client: kms }, provider);
    return [[network.id, { provider, dispatcher: network.dispatcher, senders: async () => [await signer.getAddress()] }]];
  });
  return new DispatcherEventReader({ networks: Object.fromEntries(entries) });
}

/**
 * What a new proposal's approval binds about each configured network with a dispatcher (chain id,
 * activation delay, expiry window), read through the network's provider.
 */
export function approvalTargets({ networks }: Pick<GatewayContext, "networks">): DispatcherApprovalTargets {
  const entries = networks.flatMap((n) => (n.dispatcher ? [[n.id, { provider: providerOf(n), dispatcher: n.dispatcher, chainId: n.chainId }] as const] : []));
  return new DispatcherApprovalTargets(Object.fromEntries(entries));
}

/**
 * ERC-1271 answers through each configured network's provider: with several RPC URLs and a quorum, the
 * failover provider's, so the block and the answer come from endpoints that agree.
 */
export function erc1271Reader({ networks }: Pick<GatewayContext, "networks">): EthersErc1271Reader {
  const byId = new Map(networks.map((n) => [n.id, n]));
  const providers = new Map<string, JsonRpcApiProvider>();
  return new EthersErc1271Reader({
    provider: (id) => {
      const network = byId.get(id);
      if (!network) return undefined;
      if (!providers.has(id)) providers.set(id, providerOf(network));
      return providers.get(id);
    },
  });
}
