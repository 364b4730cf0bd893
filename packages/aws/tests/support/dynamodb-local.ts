/**
 * Vitest wiring for integration tests: one DynamoDB Local per test file (started in beforeAll, stopped
 * by PID in afterAll) and one table with the production schema per file.
 *
 * Set `PAYROX_TEST_DYNAMODB_ENDPOINT` (e.g. from a vitest globalSetup that calls `startDynamoDbLocal`
 * once) to share one instance between files instead; table names then get a per-process suffix so
 * files never see each other's items.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { createTable } from "../../src/index.js";
import { createLocalDynamoClient, startDynamoDbLocal, type DynamoDbLocal } from "../../src/testing/dynamodb-local.js";

/** Names the environment variable that points the tests at an already running DynamoDB Local. */
export const SHARED_ENDPOINT_ENV = "PAYROX_TEST_DYNAMODB_ENDPOINT";

/** What a test file gets: the table's options for the adapters, and the raw client. */
export interface LocalTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** `{ client, tableName }`, the options every adapter takes. */
  readonly options: { client: DynamoDBClient; tableName: string };
  /** The endpoint, for tests that build a second client (a second "process"). */
  readonly endpoint: string;
}

/** Starts DynamoDB Local (unless a shared one is configured) and creates the file's table before its tests. */
export function useLocalTable(baseName: string): LocalTable {
  const shared = process.env[SHARED_ENDPOINT_ENV];
  const tableName = shared ? `${baseName}-${process.pid}` : baseName;
  let local: DynamoDbLocal | undefined;
  let client: DynamoDBClient | undefined;
  let endpoint = shared ?? "";
  beforeAll(async () => {
    if (shared) client = createLocalDynamoClient(shared);
    else {
      local = await startDynamoDbLocal();
      client = local.client;
      endpoint = local.endpoint;
    }
    await createTable(client, tableName);
  });
  afterAll(async () => {
    if (local) await local.stop();
    else client?.destroy();
  });
  const started = (): DynamoDBClient => {
    if (!client) throw new Error("DynamoDB Local is not started: use the table inside tests, not at collection time");
    return client;
  };
  return {
    get client() {
      return started();
    },
    tableName,
    get options() {
      return { client: started(), tableName };
    },
    get endpoint() {
      started();
      return endpoint;
    },
  };
}
