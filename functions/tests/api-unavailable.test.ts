/**
 * The API when its store does not answer (issue 13, defect 6): DynamoDB Local paused with SIGSTOP, an
 * endpoint that accepts connections and never answers, and a closed port. The composition's own
 * DynamoDB client (bounded timeouts and attempts from the environment) is under test, so the store
 * client is built by `buildDeps` from `PAYROX_DYNAMODB_ENDPOINT`, not handed in.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AWS_CLIENT_BOUNDS } from "@payrox/aws";
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { serializeManifest } from "@payrox/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../src/env.js";
import { apiOverTable, counterManifest } from "./support/api-harness.js";

const TABLE = "payrox-functions-api-unavailable";
/** Short bounds for most cases: one attempt may take 500 ms, two attempts. */
const SHORT_BOUNDS = { [ENV.AWS_CONNECT_TIMEOUT_MS]: "500", [ENV.AWS_REQUEST_TIMEOUT_MS]: "500", [ENV.AWS_MAX_ATTEMPTS]: "2" };

let db: DynamoDbLocal;
let silent: Server;
const heldSockets: Socket[] = [];

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  // The composition's client takes region and credentials from the SDK's chain, as in a Lambda.
  process.env.AWS_REGION = LOCAL_REGION;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  db = await startDynamoDbLocal();
  // An endpoint that accepts every connection and never answers.
  silent = createServer((socket) => void heldSockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  for (const socket of heldSockets) socket.destroy();
  silent?.close();
  await db?.stop();
});

/** Runs `act` with DynamoDB Local stopped (SIGSTOP), resuming it (SIGCONT) whatever happens. */
async function whilePaused<T>(act: () => Promise<T>): Promise<T> {
  process.kill(db.pid, "SIGSTOP");
  try {
    return await act();
  } finally {
    process.kill(db.pid, "SIGCONT");
  }
}

async function timed<T>(act: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await act();
  return { value, ms: Date.now() - started };
}

describe("api handler when the store does not answer", () => {
  it("answers 503 with Retry-After within the configured bound while DynamoDB Local is paused, and 200 once it is resumed", async () => {
    // Prepare: a stored proposal, read through the composition's bounded client
    const api = await apiOverTable(db.client as DynamoDBClient, TABLE, { env: { [ENV.DYNAMODB_ENDPOINT]: db.endpoint, ...SHORT_BOUNDS }, storeClientFromEnv: true });
    const manifest = await counterManifest();
    const created = await api.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: ["base"] }) });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await api.call({ method: "GET", path: `/proposals/${id}` })).status).toBe(200);
    // Act
    const paused = await whilePaused(async () => ({
      show: await timed(() => api.call({ method: "GET", path: `/proposals/${id}` })),
      list: await timed(() => api.call({ method: "GET", path: "/proposals" })),
      propose: await timed(() => api.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: serializeManifest(manifest), networks: ["base"] }) })),
    }));
    const resumed = await api.call({ method: "GET", path: `/proposals/${id}` });
    // Assess: each answered (2 attempts of at most 500 ms, not a hang: the test's timeout is only a safety net)
    for (const { value } of Object.values(paused)) {
      expect(value.status).toBe(503);
      expect(value.headers["retry-after"]).toBe("5");
      expect(value.body.error).toEqual(expect.objectContaining({ code: "service-unavailable", message: expect.stringContaining("retry in 5 s") }));
    }
    expect(resumed.status).toBe(200);
    expect(resumed.body.proposal.id).toBe(id);
  });

  it("answers 503 within a few seconds with the default bounds (no timeout variables set)", async () => {
    // Prepare
    const api = await apiOverTable(db.client as DynamoDBClient, TABLE, { env: { [ENV.DYNAMODB_ENDPOINT]: db.endpoint }, storeClientFromEnv: true, createTable: false });
    expect((await api.call({ method: "GET", path: "/proposals" })).status).toBe(200);
    // Act
    const { value } = await whilePaused(() => timed(() => api.call({ method: "GET", path: "/proposals" })));
    // Assess: answered within maxAttempts × requestTimeout plus backoff (~4.5 s; not timed here: the defaults are checked below)
    expect(value.status).toBe(503);
    expect(value.headers["retry-after"]).toBe("5");
    expect(AWS_CLIENT_BOUNDS.maxAttempts * AWS_CLIENT_BOUNDS.requestTimeoutMs).toBeLessThanOrEqual(5_000);
    expect((await api.call({ method: "GET", path: "/proposals" })).status).toBe(200);
  });

  it("answers 503 when the store's endpoint accepts connections and never answers", async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const api = await apiOverTable(db.client as DynamoDBClient, TABLE, { env: { [ENV.DYNAMODB_ENDPOINT]: endpoint, ...SHORT_BOUNDS }, storeClientFromEnv: true, createTable: false });
    // Act
    const before = heldSockets.length;
    const { value } = await timed(() => api.call({ method: "GET", path: "/proposals/00000000-0000-0000-0000-000000000000/audit" }));
    // Assess: the bounded client gave up after its 2 attempts (one connection each), each cut by its timeout
    expect(value.status).toBe(503);
    expect(value.headers["retry-after"]).toBe("5");
    expect(heldSockets.length - before).toBe(2);
  });

  it("answers 503 when the store's endpoint refuses connections", async () => {
    // Prepare: a port nobody listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const api = await apiOverTable(db.client as DynamoDBClient, TABLE, { env: { [ENV.DYNAMODB_ENDPOINT]: `http://127.0.0.1:${port}`, ...SHORT_BOUNDS }, storeClientFromEnv: true, createTable: false });
    // Act
    const { value } = await timed(() => api.call({ method: "GET", path: "/proposals" }));
    // Assess
    expect(value.status).toBe(503);
    expect(value.body.error.code).toBe("service-unavailable");
  });
});
