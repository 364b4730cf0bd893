/**
 * DynamoDB Local's data directory: started with `dbPath`, stopped by PID and started again on it, the
 * table and its items are still there; started in memory, they are gone. Each instance binds a free
 * port and is stopped by PID; the data lives in a temp directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { GetItemCommand, ListTablesCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createTable, DynamoDbLocalStartError } from "../../src/index.js";
import { startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalOptions } from "../../src/testing/dynamodb-local.js";

const dir = mkdtempSync(join(tmpdir(), "payrox-dynamodb-local-"));
let running: DynamoDbLocal | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts an instance, writes one item to a fresh table, stops it by PID, and starts a second one with the same options. */
async function restartedAfterWrite(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const first = await startDynamoDbLocal(options);
  running = first;
  await createTable(first.client, "kept");
  await first.client.send(new PutItemCommand({ TableName: "kept", Item: { PK: { S: "P#1" }, SK: { S: "S#1" }, note: { S: "still here" } } }));
  await first.stop();
  expect(() => process.kill(first.pid, 0)).toThrow();
  running = await startDynamoDbLocal(options);
  return running;
}

describe("startDynamoDbLocal", () => {
  it("keeps the table and its items across a stop by PID when started with dbPath", async () => {
    // Prepare / Act
    const second = await restartedAfterWrite({ dbPath: join(dir, "db") });
    // Assess
    const { Item } = await second.client.send(new GetItemCommand({ TableName: "kept", Key: { PK: { S: "P#1" }, SK: { S: "S#1" } }, ConsistentRead: true }));
    expect(Item?.note).toEqual({ S: "still here" });
  });

  it("forgets everything across a restart when started in memory", async () => {
    // Prepare / Act
    const second = await restartedAfterWrite({});
    // Assess
    expect((await second.client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });
});

describe("startDynamoDbLocal on a port another server answers", () => {
  it("refuses to hand out a server that is not its own child (the port was taken before Java bound it)", async () => {
    // Prepare: an impostor answering ListTables like DynamoDB Local, on the port DynamoDB Local is asked to use
    const impostor = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      res.end('{"TableNames":[]}');
    });
    await new Promise<void>((resolve) => impostor.listen(0, resolve));
    const port = (impostor.address() as AddressInfo).port;
    try {
      // Act
      const started: DynamoDbLocal | unknown = await startDynamoDbLocal({ port }).catch((error: unknown) => error);
      if (!(started instanceof Error)) running = started as DynamoDbLocal;
      // Assess
      expect(started).toBeInstanceOf(DynamoDbLocalStartError);
      expect((started as Error).message).toContain(`port ${port}`);
    } finally {
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  });
});
