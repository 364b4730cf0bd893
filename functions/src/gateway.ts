/**
 * The production {@link GatewayFactory}: one JSON-RPC provider, KMS signer, DynamoDB nonce store and
 * transaction journal per configured network, behind the chain package's journaled gateway.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoNonceStore, DynamoTxJournal } from "@payrox/aws";
import { createKmsClient, DispatcherEventReader, JournaledDispatcherGateway, KmsSigner, type DispatcherNetwork, type WatchedDispatcher } from "@payrox/chain";
import { JsonRpcProvider } from "ethers";
import type { GatewayContext } from "./composition.js";

/** A configured network the gateway can't reach (no dispatcher address yet). */
export class GatewayConfigError extends Error {
  constructor(readonly network: string, message: string) {
    super(`network ${network}: ${message}`);
    this.name = "GatewayConfigError";
  }
}

/**
 * Builds the gateway from the networks' configuration (RPC URL, KMS key id, dispatcher address).
 * @throws GatewayConfigError naming the first network without a dispatcher address
 */
export const chainGateway = ({ env, networks }: GatewayContext): JournaledDispatcherGateway => {
  const dynamo = new DynamoDBClient(env.dynamoEndpoint ? { endpoint: env.dynamoEndpoint } : {});
  const table = { client: dynamo, tableName: env.tableName };
  const nonceStore = new DynamoNonceStore(table);
  const journal = new DynamoTxJournal(table);
  const kms = createKmsClient();
  const entries = networks.map((network): [string, DispatcherNetwork] => {
    if (!network.dispatcher) throw new GatewayConfigError(network.id, "no `dispatcher` address in the network configuration");
    // Sending a Flashbots/private-RPC network's transactions to the public mempool would be a silent
    // fallback: refuse until those relays (and their auth keys) are wired in here.
    const unwired = network.relay.preferred.find((kind) => kind === "flashbots" || kind === "private-rpc");
    if (unwired) throw new GatewayConfigError(network.id, `its relay policy prefers ${unwired}, which the Lambda gateway does not wire yet; transactions are never sent publicly in its place`);
    const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true });
    const signer = new KmsSigner({ keyId: network.kmsKeyId, client: kms }, provider);
    return [network.id, { provider, dispatcher: network.dispatcher, signer, nonceStore, journal, confirmations: network.confirmations }];
  });
  return new JournaledDispatcherGateway({ networks: Object.fromEntries(entries) });
};

/** The watchdog's event reader: each configured network's dispatcher, PayRox's sender being its KMS key's address. */
export const chainEventSource = ({ networks }: GatewayContext): DispatcherEventReader => {
  const kms = createKmsClient();
  const entries = networks.flatMap((network): [string, WatchedDispatcher][] => {
    if (!network.dispatcher) return [];
    const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true });
    const signer = new KmsSigner({ keyId: network.kmsKeyId, client: kms }, provider);
    return [[network.id, { provider, dispatcher: network.dispatcher, senders: async () => [await signer.getAddress()] }]];
  });
  return new DispatcherEventReader({ networks: Object.fromEntries(entries) });
};
