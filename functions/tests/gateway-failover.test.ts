/**
 * The Lambdas' gateway over a network configured with several RPC URLs: the first one points at nothing,
 * reads go through the next; a network whose quorum its URLs can't meet is refused before any Lambda runs;
 * an endpoint the quorum outvotes is logged and counted (RpcDisagreements), not only kept in memory.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadNetworkConfig, NetworkConfigError } from "@payrox/core";
import { loadArtifact } from "../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../contracts/lib/local-chain.js";
import { readEnv, ENV } from "../src/env.js";
import { chainEventSource, chainGateway } from "../src/gateway.js";
import { MetricName } from "../src/metric-names.js";
import { logger, metrics } from "../src/observability.js";
import { startTamperProxy, type TamperProxy } from "../../packages/chain/tests/support/replicas.js";

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
  afterEach(() => vi.restoreAllMocks());

  it("reads the dispatcher through the second URL when the preferred one answers nothing", async () => {
    // Port 1 on 127.0.0.1: nothing listens there, the connection is refused at once.
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrls: ["http://127.0.0.1:1", chain.rpcUrl], kmsKeyId: "alias/devnet-2", dispatcher } } });
    const gateway = await chainGateway({ env, networks });
    expect(await gateway.readState("devnet-2")).toMatchObject({ activeEpoch: 0n, applied: 0, paused: false });
    expect((await gateway.latestBlock("devnet-2")).number).toBeGreaterThan(0);
  });

  it("logs and counts an endpoint the quorum outvotes, naming the network, method and endpoint", async () => {
    // Prepare: three URLs of one node, 2 of 3 must agree; the preferred one lies about every eth_call
    const liar: TamperProxy = await startTamperProxy(chain.rpcUrl, (method) => (method === "eth_call" ? `0x${"ab".repeat(32)}` : undefined));
    const honest: TamperProxy = await startTamperProxy(chain.rpcUrl, () => undefined);
    liar.enabled = true;
    const warnings: unknown[][] = [];
    vi.spyOn(logger, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args));
    const counted: string[] = [];
    const single = metrics.singleMetric.bind(metrics);
    vi.spyOn(metrics, "singleMetric").mockImplementation(() => {
      const m = single();
      const add = m.addMetric.bind(m);
      vi.spyOn(m, "addMetric").mockImplementation((name, unit, value) => {
        counted.push(name);
        return add(name, unit, value);
      });
      return m;
    });
    const networks = loadNetworkConfig({ networks: { "devnet-2": { rpcUrls: [liar.url, honest.url, chain.rpcUrl], quorum: 2, kmsKeyId: "alias/devnet-2", dispatcher } } });
    try {
      // Act: a step's read, and the chain watcher's (its own provider)
      const gateway = await chainGateway({ env, networks });
      const state = await gateway.readState("devnet-2");
      await chainEventSource({ env, networks }).head("devnet-2");

      // Assess: the honest answer is used, and the lie is reported where an operator sees it
      expect(state).toMatchObject({ activeEpoch: 0n, paused: false });
      const reported = warnings.filter(([message]) => typeof message === "string" && /disagree/i.test(message));
      expect(reported.length).toBeGreaterThan(0);
      expect(reported[0]![1]).toMatchObject({ network: "devnet-2", method: "eth_call", dissent: [{ endpoint: `#0 ${liar.url}` }] });
      expect(counted).toContain(MetricName.RPC_DISAGREEMENTS);
    } finally {
      await liar.close();
      await honest.close();
    }
  });

  it("refuses a quorum that one endpoint down would stall, before building anything", () => {
    expect(() => loadNetworkConfig({ networks: { "devnet-2": { rpcUrls: ["http://127.0.0.1:1", chain.rpcUrl], quorum: 2, kmsKeyId: "k", dispatcher } } })).toThrow(NetworkConfigError);
  });
});
