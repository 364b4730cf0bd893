import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNetworkConfig } from "@payrox/core";
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

  it("refuses a configured network without a dispatcher address, naming it", () => {
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-2" } } });
    expect(() => chainGateway({ env, networks })).toThrow(GatewayConfigError);
    expect(() => chainGateway({ env, networks })).toThrow(/network devnet-2: no `dispatcher` address/);
  });

  it("refuses a network whose relay policy needs a relay it can't build, instead of sending publicly", () => {
    const networks = loadNetworkConfig({ networks: { "devnet-1": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-1", dispatcher, relayUrl: "http://127.0.0.1:1" } } });
    expect(() => chainGateway({ env, networks })).toThrow(/devnet-1: its relay policy prefers flashbots/);
  });

  it("reads the dispatcher's state through the configured RPC URL", async () => {
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrl: chain.rpcUrl, kmsKeyId: "alias/devnet-2", dispatcher } } });
    const gateway = chainGateway({ env, networks });
    const state = await gateway.readState("devnet-2");
    expect(state).toMatchObject({ activeEpoch: 0n, applied: 0, leafCount: 0, paused: false });
    expect((await gateway.latestBlock("devnet-2")).number).toBeGreaterThan(0);
  });
});
