/**
 * The HTTP API handler against the real DynamoDB Local, composed by `buildDeps` with the real Dynamo
 * adapters and the devnet's LocalScheduler on the same table; the gateway only reads facet code.
 */
import { readFileSync } from "node:fs";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { createTable, DynamoJobStore } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { buildManifest, jobName, listNetworks, serializeManifest, type Alert, type Manifest, type SchedulerDeps } from "@payrox/core";
import { LocalScheduler } from "@payrox/devnet";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { ZeroHash } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeps } from "../src/composition.js";
import { ENV, readEnv } from "../src/env.js";
import { codeReadingGateway } from "./support/api-harness.js";

const TABLE = "payrox-functions-api";
const CALLER = "arn:aws:iam::123456789012:user/alice";
const SECRET_RPC = "https://rpc.example.com/v1/secret-api-key-123";
const TARGETS = ["base", "arbitrum-one"];

type Handler = Awaited<ReturnType<typeof import("../src/api.js").createApiHandler>>;
type Response = Awaited<ReturnType<Handler>>;

let db: DynamoDbLocal;
let deps: SchedulerDeps;
let jobs: DynamoJobStore;
let handler: Handler;
let manifest: Manifest;
/** Chain calls beyond reading facet code: the API must make none. */
const chain = { calls: 0 };

function event(method: string, path: string, options: { body?: string; query?: Record<string, string>; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { "content-type": "application/json", ...options.headers },
    ...(options.query && { queryStringParameters: options.query }),
    ...(options.body !== undefined && { body: options.body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" },
      requestId: "req",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: 0,
      authorizer: { iam: { userArn: CALLER } },
    } as APIGatewayProxyEventV2["requestContext"],
  };
}

async function call(method: string, path: string, options?: { body?: string; query?: Record<string, string> }): Promise<{ status: number; body: any }> {
  const response: Response = await handler(event(method, path, options), { awsRequestId: "test-request" });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

async function itemCount(): Promise<number> {
  const out = await db.client.send(new ScanCommand({ TableName: TABLE, Select: "COUNT" }));
  return out.Count ?? 0;
}

/** Asserts a refused request: 4xx, an error code and message, and no item written. */
async function expectRefused(request: Promise<{ status: number; body: any }>, status: number, code: string | RegExp): Promise<void> {
  const before = await itemCount();
  const { status: actual, body } = await request;
  expect(actual).toBe(status);
  expect(body.error.code).toMatch(code);
  expect(body.error.message).toEqual(expect.any(String));
  expect(await itemCount()).toBe(before);
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
  db = await startDynamoDbLocal();
  await createTable(db.client, TABLE);
  const env = readEnv({
    [ENV.TABLE_NAME]: TABLE,
    [ENV.NETWORK_CONFIG]: JSON.stringify({ networks: Object.fromEntries(TARGETS.map((id) => [id, { rpcUrl: SECRET_RPC, kmsKeyId: `alias/payrox-${id}` }])) }),
    [ENV.SCHEDULER_GROUP]: "payrox",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
    [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
    [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
    [ENV.EVENT_BUS_NAME]: "payrox",
    [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
    [ENV.DEPLOYMENT_ID]: "payrox-test",
  });
  jobs = new DynamoJobStore({ client: db.client, tableName: TABLE });
  const alerts: Alert[] = [];
  deps = buildDeps(env, {
    dynamoClient: db.client,
    scheduler: new LocalScheduler({ store: jobs }),
    alerts: { raise: async (alert) => void alerts.push(alert) },
    gatewayFactory: () => codeReadingGateway(chain),
  });
  handler = (await import("../src/api.js")).createApiHandler(() => deps);
  const artifact = JSON.parse(readFileSync(new URL("../../contracts/artifacts/src/examples/CounterFacetV1.sol/CounterFacetV1.json", import.meta.url), "utf8"));
  manifest = await buildManifest({
    name: "counter-v1",
    baseEpoch: 0,
    previousRoot: ZeroHash,
    facets: [{ name: "CounterFacetV1", abi: artifact.abi, deployedBytecode: artifact.deployedBytecode, bytecode: artifact.bytecode, address: "0x00000000000000000000000000000000000c0de1" }],
  });
});

afterAll(async () => {
  await db?.stop();
});

describe("api handler", () => {
  let id: string;

  it("creates a proposal with one PROPOSED run per network and schedules each commit", async () => {
    // Prepare
    const body = JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: TARGETS, earliestCommitAt: "2030-01-01T00:00:00Z" });
    // Act
    const { status, body: created } = await call("POST", "/proposals", { body });
    // Assess
    expect(status).toBe(201);
    id = created.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.proposal.proposer).toBe(CALLER);
    expect(created.proposal.earliestCommitAtMs).toBe(Date.parse("2030-01-01T00:00:00Z"));
    for (const network of TARGETS) expect((await jobs.get(jobName(id, network, "commit", "0")))?.runAtMs).toBe(Date.parse("2030-01-01T00:00:00Z"));
  });

  it("refuses a second proposal on a network the first holds with 409 network-busy naming it (the manifest as JSON text parses the same) and writes nothing", async () => {
    const before = await itemCount();
    const { status, body } = await call("POST", "/proposals", { body: JSON.stringify({ manifest: serializeManifest(manifest), networks: ["base"] }) });
    expect(status).toBe(409);
    expect(body.error).toMatchObject({ code: "network-busy", network: "base", holder: id });
    expect(body.error.message).toContain(id);
    expect(await itemCount()).toBe(before);
  });

  it("shows a proposal with its run state per network", async () => {
    const { status, body } = await call("GET", `/proposals/${id}`);
    expect(status).toBe(200);
    expect(body.proposal.root).toBe(manifest.root);
    expect(body.proposal.manifest.root).toBe(manifest.root);
    expect(body.runs.map((r: { network: string; state: string }) => [r.network, r.state]).sort()).toEqual(TARGETS.map((n) => [n, "PROPOSED"]).sort());
    expect(body.runs[0].status).toEqual(expect.any(String));
  });

  it("lists proposals, newest first, with a limit", async () => {
    const { status, body } = await call("GET", "/proposals", { query: { limit: "10" } });
    expect(status).toBe(200);
    expect(body.proposals.map((p: { id: string }) => p.id)).toContain(id);
    expect(body.proposals[0].manifestJson).toBeUndefined();
  });

  it("returns the audit trail with a verified hash chain", async () => {
    const { status, body } = await call("GET", `/proposals/${id}/audit`);
    expect(status).toBe(200);
    expect(body.entries[0].event).toBe("proposal.created");
    expect(body.verification.ok).toBe(true);
  });

  it("answers a GET whose answer did not change 304 without a body (ETag), and a POST never", async () => {
    // Prepare
    const first = await handler(event("GET", "/networks"), { awsRequestId: "etag-1" });
    const etag = String(first.headers!.etag);
    // Act
    const again = await handler(event("GET", "/networks", { headers: { "if-none-match": etag } }), { awsRequestId: "etag-2" });
    const list = await handler(event("GET", "/proposals", { headers: { "if-none-match": etag } }), { awsRequestId: "etag-3" });
    // Assess
    expect(first.statusCode).toBe(200);
    expect(again).toMatchObject({ statusCode: 304, body: "", headers: { etag } });
    expect(list.statusCode).toBe(200);
    expect(list.headers!.etag).not.toBe(etag);
  });

  it("lists alert incidents newest first with their evidence (GET /alerts), and refuses a bad limit", async () => {
    // Prepare: an incident raised through the deployment's own alert sink
    await deps.alerts.raise({ type: "codehash-mismatch", severity: "critical", dedupeKey: "codehash-mismatch:p-alerts:base", proposalId: "p-alerts", network: "base", message: "facet code changed", evidence: { values: { expected: "0xaa", actual: "0xbb" } }, id: "a1", status: "raised", atMs: Date.now(), runbook: "packages/core/RUNBOOKS.md#codehash-mismatch" } as Alert);
    // Act
    const { status, body } = await call("GET", "/alerts", { query: { limit: "10" } });
    // Assess
    expect(status).toBe(200);
    expect(body.alerts[0]).toMatchObject({ type: "codehash-mismatch", status: "open", network: "base", proposalId: "p-alerts", message: "facet code changed", evidence: { values: { expected: "0xaa", actual: "0xbb" } } });
    await expectRefused(call("GET", "/alerts", { query: { limit: "0" } }), 400, "invalid-query");
  });

  it("reads each configured network's dispatcher live (GET /networks/live) without configuration secrets", async () => {
    // Act
    const { status, body } = await call("GET", "/networks/live");
    // Assess
    expect(status).toBe(200);
    expect(body.networks.map((n: { network: string }) => n.network).sort()).toEqual([...TARGETS].sort());
    for (const n of body.networks) expect(n).toMatchObject({ ok: true, activeEpoch: 0, pendingRoot: ZeroHash, paused: false });
    expect(JSON.stringify(body)).not.toContain(SECRET_RPC);
  });

  it("lists the registry's networks without configuration secrets", async () => {
    const { status, body } = await call("GET", "/networks");
    expect(status).toBe(200);
    expect(body.networks).toHaveLength(listNetworks().length);
    expect(body.networks.filter((n: { kind: string }) => n.kind !== "devnet")).toHaveLength(22);
    // What a client needs to pick targets: each network's per-transaction gas limit and CREATE2 support.
    expect(body.networks.find((n: { id: string }) => n.id === "ethereum")).toMatchObject({ maxTxGas: 16_777_216, create2: "canonical" });
    expect(body.networks.find((n: { id: string }) => n.id === "zksync-era")).toMatchObject({ create2: "unsupported" });
    expect(body.networks.filter((n: { kind: string }) => n.kind === "devnet").length).toBeGreaterThan(0);
    expect(body.networks.filter((n: { configured: boolean }) => n.configured).map((n: { id: string }) => n.id).sort()).toEqual([...TARGETS].sort());
    expect(JSON.stringify(body)).not.toMatch(/secret-api-key|rpcUrl|kmsKeyId|alias\/payrox/);
  });

  describe("refuses bad input with a 4xx and writes nothing", () => {
    const valid = () => ({ manifest: JSON.parse(serializeManifest(manifest)), networks: ["base"] });

    it("rejects malformed JSON", () => expectRefused(call("POST", "/proposals", { body: "{ not json" }), 400, "malformed-json"));
    it("rejects an unknown network", () => expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), networks: ["base", "nope-net"] }) }), 400, "unknown-network"));
    it("rejects a registry network that is not configured", () => expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), networks: ["ethereum"] }) }), 400, "unknown-network"));
    it("rejects an oversized body", () => expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), manifest: "x".repeat(1024 * 1024 + 1) }) }), 413, "body-too-large"));
    it("rejects a manifest whose root does not match its entries", () => {
      const tampered = { ...valid().manifest, root: `0x${"ab".repeat(32)}` };
      return expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), manifest: tampered }) }), 400, "invalid-manifest");
    });
    it("rejects a tampered entry", () => {
      const m = valid().manifest;
      m.entries[0].facet = "0x00000000000000000000000000000000000bad01";
      return expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), manifest: m }) }), 400, "invalid-manifest");
    });
    it("rejects a missing field", () => expectRefused(call("POST", "/proposals", { body: JSON.stringify({ manifest: valid().manifest }) }), 400, "invalid-body"));
    it("rejects an unknown field", () => expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), earliestCommitAtMs: 5 }) }), 400, "invalid-body"));
    it("rejects a malformed time", () => expectRefused(call("POST", "/proposals", { body: JSON.stringify({ ...valid(), cutoverAt: "tomorrow" }) }), 400, "invalid-body"));
    it("rejects an empty body", () => expectRefused(call("POST", "/proposals"), 400, "malformed-json"));
    it("rejects a bad list limit", () => expectRefused(call("GET", "/proposals", { query: { limit: "1000" } }), 400, "invalid-query"));
    it("rejects a forged cursor", () => expectRefused(call("GET", "/proposals", { query: { cursor: "not-a-cursor" } }), 400, "invalid-cursor"));
    it("answers 404 for an unknown proposal", () => expectRefused(call("GET", "/proposals/00000000-0000-0000-0000-000000000000"), 404, "proposal-not-found"));
    it("answers 404 for the audit of an unknown proposal", () => expectRefused(call("GET", "/proposals/unknown/audit"), 404, "proposal-not-found"));
    it("answers 404 for an unknown route", () => expectRefused(call("GET", "/nope"), 404, "route-not-found"));
    it("answers 405 for a wrong method", () => expectRefused(call("DELETE", "/proposals"), 405, "method-not-allowed"));
    // Issue 13, defect 2: a facet whose code differs on a target network would commit, then revert at apply.
    it("rejects a manifest whose facet has another code hash on a target network, before any commit", async () => {
      const v2 = JSON.parse(readFileSync(new URL("../../contracts/artifacts/src/examples/CounterFacetV2.sol/CounterFacetV2.json", import.meta.url), "utf8"));
      const other = await buildManifest({ name: "counter-v2", baseEpoch: 0, previousRoot: ZeroHash, facets: [{ name: "CounterFacetV2", abi: v2.abi, deployedBytecode: v2.deployedBytecode, address: "0x00000000000000000000000000000000000c0de2" }] });
      await expectRefused(call("POST", "/proposals", { body: JSON.stringify({ manifest: JSON.parse(serializeManifest(other)), networks: TARGETS }) }), 400, "facet-codehash-mismatch");
    });
    it("answers 404 for the cancel of an unknown proposal", () => expectRefused(call("POST", "/proposals/unknown-id/cancel"), 404, "proposal-not-found"));

    // Issue 13, defect 3: each of these was a 500.
    it("rejects a manifest nested 10,000 deep as an object", () => {
      const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
      return expectRefused(call("POST", "/proposals", { body: `{"manifest":{"a":${deep}},"networks":["base"]}` }), 400, "body-too-deep");
    });
    it("rejects a manifest nested 10,000 deep as JSON text", () => {
      const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
      return expectRefused(call("POST", "/proposals", { body: JSON.stringify({ manifest: `{"a":${deep}}`, networks: ["base"] }) }), 400, /^(invalid-manifest|manifest-too-deep)$/);
    });
    for (const path of ["/proposals/%E0%A4%A", "/proposals/%zz", "/proposals/%E0%A4%A/audit", "/proposals/%zz/cancel"]) {
      const method = path.endsWith("/cancel") ? "POST" : "GET";
      it(`rejects the malformed percent-escape of ${method} ${path}`, () => expectRefused(call(method, path), 400, "malformed-path"));
    }
    for (const length of [2_039, 2_048, 5_000]) {
      it(`rejects a proposal id of ${length} characters`, () => expectRefused(call("GET", `/proposals/${"a".repeat(length)}`), 400, "invalid-proposal-id"));
    }
    it("rejects the audit and cancel of an oversized id", async () => {
      await expectRefused(call("GET", `/proposals/${"é".repeat(1_100)}/audit`), 400, "invalid-proposal-id");
      await expectRefused(call("POST", `/proposals/${"a".repeat(3_000)}/cancel`), 400, "invalid-proposal-id");
    });
    it("rejects a forged cursor with empty key strings", () => {
      const cursor = Buffer.from(JSON.stringify({ PK: "", SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: "" })).toString("base64url");
      return expectRefused(call("GET", "/proposals", { query: { cursor } }), 400, "invalid-cursor");
    });
    it("rejects a forged cursor whose keys name another item", () => {
      const cursor = Buffer.from(JSON.stringify({ PK: `PROPOSAL#${"x".repeat(3_000)}`, SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: "x" })).toString("base64url");
      return expectRefused(call("GET", "/proposals", { query: { cursor } }), 400, "invalid-cursor");
    });
  });

  it("cancels every PROPOSED run, then answers 409 to a second cancel", async () => {
    // Act
    const first = await call("POST", `/proposals/${id}/cancel`);
    // Assess
    expect(first.status).toBe(200);
    expect(first.body.runs.map((r: { outcome: string }) => r.outcome)).toEqual(["cancelled", "cancelled"]);
    expect((await call("GET", `/proposals/${id}`)).body.runs.every((r: { state: string }) => r.state === "CANCELLED")).toBe(true);
    await expectRefused(call("POST", `/proposals/${id}/cancel`), 409, "proposal-finished");
    const audit = await call("GET", `/proposals/${id}/audit`);
    expect(audit.body.entries.filter((e: { event: string; actor: string }) => e.event === "run.cancelled" && e.actor === CALLER)).toHaveLength(2);
    expect(audit.body.verification.ok).toBe(true);
    expect(chain.calls).toBe(0);
  });

  it("accepts exactly one of 20 concurrent identical proposals once the networks are free; the 19 others get 409 naming it and write nothing", async () => {
    // Prepare: the first proposal was cancelled above, freeing both networks
    const before = await itemCount();
    const body = JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: TARGETS, earliestCommitAt: "2030-01-01T00:00:00Z" });
    // Act
    const responses = await Promise.all(Array.from({ length: 20 }, () => call("POST", "/proposals", { body })));
    // Assess
    const accepted = responses.filter((r) => r.status === 201);
    expect(accepted).toHaveLength(1);
    const winner = accepted[0]!.body.id;
    const refused = responses.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(19);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: "network-busy", holder: winner });
    }
    const listed = await call("GET", "/proposals", { query: { limit: "100" } });
    expect(listed.body.proposals.filter((p: { id: string; root: string }) => p.root === manifest.root && p.id !== id).map((p: { id: string }) => p.id)).toEqual([winner]);
    // The winner's proposal, 2 runs, 2 locks, its audit entry, its 2 commit jobs — nothing of the losers'.
    expect(await itemCount()).toBeGreaterThan(before);
    const audit = await call("GET", `/proposals/${winner}/audit`);
    expect(audit.body.entries.map((e: { event: string }) => e.event)).toEqual(["proposal.created"]);
  });
});
