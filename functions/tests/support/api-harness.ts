/**
 * The HTTP API handler over the real DynamoDB Local, as the API tests build it: `buildDeps` with the
 * real Dynamo adapters, the devnet's LocalScheduler on the same table, and a gateway that only reads facet
 * code and dispatcher state (every other chain call is counted and fails).
 */
import { readFileSync } from "node:fs";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { createTable, DynamoJobStore } from "@payrox/aws";
import { buildManifest, type DispatcherGateway, type Manifest, type SchedulerDeps } from "@payrox/core";
import { LocalScheduler } from "@payrox/devnet";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { keccak256, ZeroHash } from "ethers";
import { buildDeps, type CompositionOverrides } from "../../src/composition.js";
import { ENV, readEnv } from "../../src/env.js";

/** The networks the harness configures. */
export const HARNESS_NETWORKS = ["base", "arbitrum-one"] as const;

/** What an API test request may set. */
export interface RequestParts {
  method: string;
  path: string;
  body?: string;
  isBase64Encoded?: boolean;
  query?: Record<string, string>;
  /** The request's headers; `null` sends an event without any (a client that sent none). */
  headers?: Record<string, string> | null;
}

/** An API Gateway HTTP API (payload v2) event for `parts`. */
export function apiEvent(parts: RequestParts): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: parts.path,
    rawQueryString: new URLSearchParams(parts.query ?? {}).toString(),
    headers: (parts.headers === null ? undefined : (parts.headers ?? { "content-type": "application/json" })) as APIGatewayProxyEventV2["headers"],
    ...(parts.query && { queryStringParameters: parts.query }),
    ...(parts.body !== undefined && { body: parts.body }),
    isBase64Encoded: parts.isBase64Encoded ?? false,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method: parts.method, path: parts.path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" },
      requestId: "req",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: 0,
    } as APIGatewayProxyEventV2["requestContext"],
  };
}

/** The functions' environment for `tableName` (network config for {@link HARNESS_NETWORKS}). */
export function harnessEnv(tableName: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [ENV.TABLE_NAME]: tableName,
    [ENV.NETWORK_CONFIG]: JSON.stringify({ networks: Object.fromEntries(HARNESS_NETWORKS.map((id) => [id, { rpcUrl: "http://127.0.0.1:1", kmsKeyId: `alias/payrox-${id}` }])) }),
    [ENV.SCHEDULER_GROUP]: "payrox",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
    [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
    [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
    [ENV.EVENT_BUS_NAME]: "payrox",
    [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
    [ENV.DEPLOYMENT_ID]: "payrox-test",
    ...extra,
  };
}

/** The API handler with its deps on `tableName` (created here); `client` talks to DynamoDB (Local). */
export async function apiOverTable(
  client: DynamoDBClient,
  tableName: string,
  options: {
    env?: Record<string, string>;
    overrides?: CompositionOverrides;
    /** Let `buildDeps` build the store's DynamoDB client from the environment (endpoint, timeouts) instead of using `client`. */
    storeClientFromEnv?: boolean;
    /** Create the table (false when it exists). @default true */
    createTable?: boolean;
  } = {},
) {
  if (options.createTable !== false) await createTable(client, tableName);
  const jobs = new DynamoJobStore({ client, tableName });
  const chain = { calls: 0 };
  const deps: SchedulerDeps = buildDeps(readEnv(harnessEnv(tableName, options.env)), {
    ...(!options.storeClientFromEnv && { dynamoClient: client }),
    scheduler: new LocalScheduler({ store: jobs }),
    alerts: { raise: async () => {} },
    gatewayFactory: () => codeReadingGateway(chain),
    ...options.overrides,
  });
  // Imported late, so the caller's POWERTOOLS_* settings apply to the handler's logger and metrics.
  const { createApiHandler } = await import("../../src/api.js");
  const handler = createApiHandler(() => deps);
  return {
    deps,
    handler,
    /** How many times the API reached the chain beyond reading facet code (must stay 0). */
    chainCalls: () => chain.calls,
    /** Sends one request and returns the status, headers and parsed body. */
    async call(parts: RequestParts): Promise<{ status: number; headers: Record<string, string | number | boolean>; body: any }> {
      const response = await handler(apiEvent(parts), { awsRequestId: "test-request" });
      return { status: response.statusCode, headers: (response.headers ?? {}) as Record<string, string | number | boolean>, body: JSON.parse(response.body) };
    },
  };
}

/** Every item of the table, as sorted JSON lines: equal snapshots mean nothing was written. */
export async function tableSnapshot(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const lines: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(startKey && { ExclusiveStartKey: startKey as never }) }));
    for (const item of page.Items ?? []) lines.push(JSON.stringify(canonical(item)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return lines.sort();
}

/** CounterFacetV1's artifact (the facet of the API tests' manifests). */
function counterArtifact(): { abi: never; deployedBytecode: string; bytecode: string } {
  return JSON.parse(readFileSync(new URL("../../../contracts/artifacts/src/examples/CounterFacetV1.sol/CounterFacetV1.json", import.meta.url), "utf8"));
}

/**
 * The chain as the API tests give it: reading code answers CounterFacetV1's code hash for any address
 * (the facet every test manifest routes to), so a proposal's facet check passes, and reading a dispatcher's
 * state answers a fresh dispatcher (epoch 0), which a proposal records to report drift later; any other
 * call — the API's propose, show and cancel never send — is counted in `chain.calls` and fails.
 */
export function codeReadingGateway(chain: { calls: number }): DispatcherGateway {
  const codehash = keccak256(counterArtifact().deployedBytecode);
  const refuse = async (): Promise<never> => {
    chain.calls++;
    throw new Error("the API must not reach the chain beyond reading facet code and dispatcher state");
  };
  const fresh = { activeEpoch: 0n, activeRoot: ZeroHash, pendingRoot: ZeroHash, pendingEpoch: 0n, pendingEta: 0, applied: 0, leafCount: 0, paused: false, nextEpoch: 1n, cancelling: false, expiryWindowSeconds: 86_400, activationDelaySeconds: 3_600 };
  return { codeHash: async () => codehash, readState: async () => ({ ...fresh }), latestBlock: refuse, send: refuse, resume: refuse };
}

/** The CounterFacetV1 example manifest (one facet, built from the contracts' artifacts). */
export async function counterManifest(): Promise<Manifest> {
  const artifact = counterArtifact();
  return buildManifest({
    name: "counter-v1",
    baseEpoch: 0,
    previousRoot: ZeroHash,
    facets: [{ name: "CounterFacetV1", abi: artifact.abi, deployedBytecode: artifact.deployedBytecode, bytecode: artifact.bytecode, address: "0x00000000000000000000000000000000000c0de1" }],
  });
}

/** `value` with every object's keys in sorted order, so equal items stringify equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}
