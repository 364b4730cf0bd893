/**
 * The Lambdas' gateway over a network configured with several RPC URLs: the first one points at nothing,
 * reads go through the next; a network whose quorum its URLs can't meet is refused before any Lambda runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNetworkConfig, NetworkConfigError } from "@payrox/core";
import { loadArtifact } from "../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../contracts/lib/local-chain.js";
import { readEnv, ENV } from "../src/env.js";
import { chainGateway } from "../src/gateway.js";

const env = readEnv({
  [ENV.TABLE_NAME]: "payrox-gateway-failover-test",
  [ENV.SCHEDULER_GROUP]: "payrox",
  [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
  [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
  [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
  [ENV.EVENT_BUS_NAME]: "payrox",
  [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
  [ENV.DEPLOYMENT_ID]: "payrox-test",
});

describe("chainGateway with rpcUrls", () => {
  let chain: LocalChain;
  let dispatcher: string;

  beforeAll(async () => {
    chain = await startLocalChain({ kind: "anvil", chainId: 31339 });
    const { wallet, provider } = devWallet(chain);
    dispatcher = (await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address))).address;
    provider.destroy();
  });
  afterAll(async () => chain?.stop());

  it("reads the dispatcher through the second URL when the preferred one answers nothing", async () => {
    // Port 1 on 127.0.0.1: nothing listens there, the connection is refused at once.
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrls: ["http://127.0.0.1:1", chain.rpcUrl], kmsKeyId: "alias/devnet-2", dispatcher } } });
    const gateway = await chainGateway({ env, networks });
    expect(await gateway.readState("devnet-2")).toMatchObject({ activeEpoch: 0n, applied: 0, paused: false });
    expect((await gateway.latestBlock("devnet-2")).number).toBeGreaterThan(0);
  });

  it("refuses a quorum that one endpoint down would stall, before building anything", () => {
    expect(() => loadNetworkConfig({ networks: { "devnet-2": { rpcUrls: ["http://127.0.0.1:1", chain.rpcUrl], quorum: 2, kmsKeyId: "k", dispatcher } } })).toThrow(NetworkConfigError);
  });
});
