/**
 * The step and watchdog handlers and the environment reader, against the real DynamoDB Local. The
 * gateway is the default, unconfigured one: a step that needs the chain fails with a clear error.
 */
import { createTable } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { readFileSync } from "node:fs";
import { ZeroHash } from "ethers";
import { buildManifest, serializeManifest, createRun, jobName, type Proposal, type ScheduledJob, type SchedulerDeps } from "@payrox/core";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDeps } from "../src/composition.js";
import { ENV, EnvConfigError, readEnv } from "../src/env.js";

const TABLE = "payrox-functions-handlers";
const BASE_ENV = {
  [ENV.TABLE_NAME]: TABLE,
  [ENV.SCHEDULER_GROUP]: "payrox",
  [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
  [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
  [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
  [ENV.EVENT_BUS_NAME]: "payrox",
  [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
  [ENV.DEPLOYMENT_ID]: "payrox-test",
};

let db: DynamoDbLocal;
let deps: SchedulerDeps;

function sqs(bodies: string[]): SQSEvent {
  return { Records: bodies.map((body, i) => ({ messageId: `m${i}`, body }) as SQSRecord) };
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  db = await startDynamoDbLocal();
  await createTable(db.client, TABLE);
  deps = buildDeps(readEnv(BASE_ENV), { dynamoClient: db.client, scheduler: { schedule: async () => {}, cancel: async () => {} }, alerts: { raise: async () => {} } });
});

afterAll(async () => {
  await db?.stop();
});

describe("readEnv", () => {
  it("names every missing or malformed variable", () => {
    // Act
    const attempt = () => readEnv({ ...BASE_ENV, [ENV.TABLE_NAME]: undefined, [ENV.STEP_FUNCTION_ARNS]: '{"commit":"x"}' });
    // Assess
    expect(attempt).toThrow(EnvConfigError);
    expect(attempt).toThrow(/PAYROX_TABLE_NAME is required/);
    expect(attempt).toThrow(/PAYROX_STEP_FUNCTION_ARNS\.commit must be an ARN/);
    expect(attempt).toThrow(/PAYROX_STEP_FUNCTION_ARNS\.apply/);
  });

  it("reads a complete environment", () => {
    expect(readEnv(BASE_ENV)).toMatchObject({ tableName: TABLE, stepFunctionArns: { commit: "arn:aws:lambda:us-east-1:1:function:c" } });
  });

  it("reads the AWS client bounds when set, and refuses ones that are not positive integers", () => {
    // Act
    const unset = readEnv(BASE_ENV);
    const set = readEnv({ ...BASE_ENV, [ENV.AWS_REQUEST_TIMEOUT_MS]: "1500", [ENV.AWS_MAX_ATTEMPTS]: "3" });
    const bad = () => readEnv({ ...BASE_ENV, [ENV.AWS_CONNECT_TIMEOUT_MS]: "0", [ENV.AWS_MAX_ATTEMPTS]: "two" });
    // Assess
    expect(unset.awsClientBounds).toBeUndefined();
    expect(set.awsClientBounds).toEqual({ requestTimeoutMs: 1500, maxAttempts: 3 });
    expect(bad).toThrow(/PAYROX_AWS_CONNECT_TIMEOUT_MS must be at least 1/);
    expect(bad).toThrow(/PAYROX_AWS_MAX_ATTEMPTS must be a number/);
  });
});

describe("step handler", () => {
  it("skips a job of an unknown proposal and reports a malformed SQS body as a batch item failure", async () => {
    // Prepare
    const { createStepHandler } = await import("../src/step.js");
    const handler = createStepHandler(() => deps);
    const job: ScheduledJob = { name: jobName("missing", "base", "commit", "0"), step: "commit", proposalId: "missing", network: "base", attempt: "0", runAtMs: 0 };
    // Act
    const direct = await handler(job, { awsRequestId: "r1" });
    const batch = await handler(sqs([JSON.stringify({ ...job, name: `${job.name}x` }), "{ not json", JSON.stringify({ step: "deploy" })]), { awsRequestId: "r2" });
    // Assess
    expect(direct).toMatchObject({ outcome: "skipped" });
    expect(batch).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }] });
  });

  it("fails a commit with a clear error while no gateway is configured", async () => {
    // Prepare
    const { createStepHandler } = await import("../src/step.js");
    const artifact = JSON.parse(readFileSync(new URL("../../contracts/artifacts/src/examples/CounterFacetV1.sol/CounterFacetV1.json", import.meta.url), "utf8"));
    const facet = { name: "CounterFacetV1", abi: artifact.abi, deployedBytecode: artifact.deployedBytecode, address: "0x00000000000000000000000000000000000c0de1" };
    const manifest = await buildManifest({ name: "x", baseEpoch: 0, previousRoot: ZeroHash, facets: [facet] });
    const proposal: Proposal = { id: "p-gw", manifestJson: serializeManifest(manifest), root: manifest.root, name: "x", networks: ["base"], createdAtMs: Date.now(), proposer: "alice" };
    await deps.store.createProposal(proposal, [createRun({ proposalId: proposal.id, network: "base", batchCount: 1, nowMs: Date.now() })]);
    const job: ScheduledJob = { name: jobName(proposal.id, "base", "commit", "0"), step: "commit", proposalId: proposal.id, network: "base", attempt: "0", runAtMs: 0 };
    // Act
    const direct = createStepHandler(() => deps)(job, { awsRequestId: "r3" });
    // Assess
    await expect(direct).rejects.toThrow(/gateway not configured/);
  });
});

describe("watchdog handler", () => {
  it("sweeps recent proposals", async () => {
    const { createWatchdogHandler } = await import("../src/watchdog.js");
    const result = await createWatchdogHandler(() => deps)({}, { awsRequestId: "w1" });
    expect(result).toEqual({ checked: 1, late: [], stuck: [], redriven: [], alertDeliveries: { delivered: [], retrying: [], failed: [] } }); // the PROPOSED run of p-gw above
  });
});

describe("watchdog handler › chain watcher failures", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs a network the chain watcher could not read and counts it (ChainWatchFailures), so a stalled watcher is seen", async () => {
    // Prepare: a network whose RPC fails every read
    const { createWatchdogHandler } = await import("../src/watchdog.js");
    const { MetricName } = await import("../src/metric-names.js");
    const { logger, metrics } = await import("../src/observability.js");
    const events = {
      networks: () => ["devnet-1"],
      ownSenders: async () => [],
      head: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:1")),
      blockHash: async () => undefined,
      getLogs: async () => [],
    };
    const watched: SchedulerDeps = { ...deps, monitoring: { ...deps.monitoring, events, cursors: { get: async () => undefined, put: async () => {} } } };
    const warnings: unknown[][] = [];
    vi.spyOn(logger, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args));
    const counted: [string, number][] = [];
    const single = metrics.singleMetric.bind(metrics);
    vi.spyOn(metrics, "singleMetric").mockImplementation(() => {
      const m = single();
      const add = m.addMetric.bind(m);
      vi.spyOn(m, "addMetric").mockImplementation((name, unit, value) => {
        counted.push([name, value]);
        return add(name, unit, value);
      });
      return m;
    });

    // Act
    const result = await createWatchdogHandler(() => watched)({}, { awsRequestId: "w2" });

    // Assess
    expect(result.chain).toEqual([{ network: "devnet-1", ok: false, error: expect.stringContaining("ECONNREFUSED") }]);
    expect(warnings.find(([message]) => typeof message === "string" && /chain watcher/i.test(message))?.[1]).toMatchObject({ network: "devnet-1", error: expect.stringContaining("ECONNREFUSED") });
    expect(counted).toContainEqual([MetricName.CHAIN_WATCH_FAILURES, 1]);
  });
});

describe("api handler on an unexpected failure", () => {
  it("answers 500 with a generic message that leaks nothing", async () => {
    // Prepare
    const { createApiHandler } = await import("../src/api.js");
    const broken: SchedulerDeps = { ...deps, store: { ...deps.store, getProposal: async () => Promise.reject(new Error("db password is hunter2")) } };
    const event = { rawPath: "/proposals/x", requestContext: { http: { method: "GET" }, stage: "$default" } } as never;
    // Act
    const response = await createApiHandler(() => broken)(event, { awsRequestId: "req-500" });
    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: "internal", message: expect.stringContaining("req-500") } });
    expect(response.body).not.toContain("hunter2");
  });
});

describe("watchdog handler › leftover roots", () => {
  afterEach(() => vi.restoreAllMocks());

  it("retries the cancel of a leftover root that keeps a network busy, and warns while it stays held", async () => {
    // Prepare: a run that failed after its commit holds optimism with no expiry (its own cancel did not go through)
    const { createWatchdogHandler } = await import("../src/watchdog.js");
    const { logger } = await import("../src/observability.js");
    const proposal: Proposal = { id: "p-leftover", manifestJson: "{}", root: `0x${"ab".repeat(32)}`, name: "x", networks: ["optimism"], createdAtMs: Date.now(), proposer: "alice" };
    const run = createRun({ proposalId: proposal.id, network: "optimism", batchCount: 1, nowMs: Date.now() });
    await deps.store.createProposal(proposal, [run]);
    await deps.store.saveRun({ ...run, state: "FAILED", failure: { code: "FacetHasNoCode", message: "x" }, committedEpoch: 1, version: run.version + 1 }, run.version);
    await deps.store.holdNetwork!("optimism", proposal.id, Number.MAX_SAFE_INTEGER);
    const warnings: unknown[][] = [];
    vi.spyOn(logger, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args));
    // Act: the default gateway can't reach a chain, so the retry fails again
    const result = await createWatchdogHandler(() => deps)({}, { awsRequestId: "w3" });
    // Assess
    expect(result.leftoverRoots).toEqual([{ network: "optimism", proposalId: proposal.id, outcome: "held", reason: expect.stringContaining("gateway not configured") }]);
    expect(await deps.store.networkHolder("optimism")).toBe(proposal.id);
    expect((await deps.audit.list(proposal.id)).filter((e) => e.event === "cancel.failed")).toMatchObject([{ actor: "watchdog", network: "optimism" }]);
    expect(warnings.find(([message]) => typeof message === "string" && /leftover root/.test(message))?.[1]).toMatchObject({ network: "optimism", outcome: "held" });
  });
});
