/**
 * Optional vitest `globalSetup`: one DynamoDB Local for every integration test file of a run (instead of
 * one per file), handed to the files through `PAYROX_TEST_DYNAMODB_ENDPOINT`. Wire it in a project's
 * `test.globalSetup`; without it each file starts its own instance.
 */
import { startDynamoDbLocal } from "../../src/testing/dynamodb-local.js";
import { SHARED_ENDPOINT_ENV } from "./dynamodb-local.js";

/** Starts the shared instance unless one is configured already; returns its teardown. */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env[SHARED_ENDPOINT_ENV]) return undefined;
  const local = await startDynamoDbLocal();
  process.env[SHARED_ENDPOINT_ENV] = local.endpoint;
  return async () => {
    delete process.env[SHARED_ENDPOINT_ENV];
    await local.stop();
  };
}
