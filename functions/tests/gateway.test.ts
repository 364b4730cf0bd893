import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getNetwork, loadNetworkConfig } from "@payrox/core";
import { loadArtifact } from "../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../contracts/lib/local-chain.js";
import { readEnv, ENV } from "../src/env.js";
import { chainGateway, GatewayConfigError } from "../src/gateway.js";

const env = readEnv({
  [ENV.TABLE_NAME]: "payrox-gateway-test",
  [ENV.SCHEDULER_GROUP]: "payrox",
  [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
  [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
  [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
  [ENV.EVENT_BUS_NAME]: "payrox",
  [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
  [ENV.DEPLOYMENT_ID]: "payrox-test",
});

describe("chainGateway", () => {
  let chain: LocalChain;
  let dispatcher: string;

  beforeAll(async () => {
    chain = await startLocalChain({ kind: "anvil", chainId: 31339 });
    const { wallet, provider } = devWallet(chain);
    dispatcher = (await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address))).address;
    provider.destroy();
  });
  afterAll(async () => chain?.stop());

  it("refuses a configured network without a dispatcher address, naming it", async () => {
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-2" } } });
    await expect(chainGateway({ env, networks })).rejects.toThrow(GatewayConfigError);
    await expect(chainGateway({ env, networks })).rejects.toThrow(/network devnet-2: no `dispatcher` address/);
  });

  it("refuses a Flashbots-only network without a relay URL instead of sending publicly", async () => {
    // The config loader already demands the URL; a hand-built context must not slip past it either.
    const networks = [{ ...getNetwork("devnet-1"), rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-1", dispatcher }];
    await expect(chainGateway({ env, networks })).rejects.toThrow(/devnet-1: its relay policy prefers flashbots but no relayUrl/);
  });

  it("builds the relay policy of every configured network (Flashbots, private RPC with public fallback, sequencer)", async () => {
    const networks = loadNetworkConfig({
      networks: {
        "devnet-1": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-1", dispatcher, relayUrl: "http://127.0.0.1:1" },
        "devnet-2": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-2", dispatcher },
        "devnet-3": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-3", dispatcher, relayUrl: "http://127.0.0.1:1" },
      },
    });
    const gateway = await chainGateway({ env, networks });
    expect((await gateway.readState("devnet-3")).activeEpoch).toBe(0n);
  });

  it("refuses a malformed Flashbots auth key instead of signing relay requests with a random one", async () => {
    const networks = loadNetworkConfig({ networks: { "devnet-1": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-1", dispatcher, relayUrl: "http://127.0.0.1:1" } } });
    await expect(chainGateway({ env: { ...env, flashbotsAuthKey: "0x1234" }, networks })).rejects.toThrow(/PAYROX_FLASHBOTS_AUTH_KEY is not a 0x-prefixed 32-byte hex private key/);
  });

  it("reads the dispatcher's state through the configured RPC URL", async () => {
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-2", dispatcher } } });
    const gateway = await chainGateway({ env, networks });
    const state = await gateway.readState("devnet-2");
    expect(state).toMatchObject({ activeEpoch: 0n, applied: 0, leafCount: 0, paused: false });
    expect((await gateway.latestBlock("devnet-2")).number).toBeGreaterThan(0);
  });
});
