import { describe, expect, it } from "vitest";
import { DynamoAuditLog, meterConsumedCapacity, type ConsumedCapacityReading } from "../../src/index.js";
import { SingleTable } from "../../src/dynamo/single-table.js";
import { createLocalDynamoClient } from "../../src/testing/dynamodb-local.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("consumed-capacity-test");

/** A client of its own with the meter installed, and what it read. */
function metered(): { table: SingleTable; readings: ConsumedCapacityReading[]; client: ReturnType<typeof createLocalDynamoClient> } {
  const client = createLocalDynamoClient(db.endpoint);
  const readings: ConsumedCapacityReading[] = [];
  meterConsumedCapacity(client, (r) => readings.push(r));
  return { table: new SingleTable({ client, tableName: db.tableName }), readings, client };
}

describe("meterConsumedCapacity", () => {
  it("reports the units DynamoDB Local says a put, a strongly consistent get and a query consumed, through the document client", async () => {
    // Prepare: a 3 KB item (a write of up to 1 KB is one unit, a strongly consistent read of up to 4 KB one unit)
    const { table, readings, client } = metered();
    const key = { PK: "METER#1", SK: "ITEM" };

    // Act
    await table.conditionalPut({ Item: { ...key, blob: "x".repeat(3_000) }, ConditionExpression: "attribute_not_exists(PK)" });
    await table.get(key);
    await table.query({ KeyConditionExpression: "PK = :pk", ExpressionAttributeValues: { ":pk": key.PK } });
    client.destroy();

    // Assess: what the service reported, per operation (a write to a table with indexes may count them too, so at least 3)
    expect(readings.map((r) => r.operation)).toEqual(["PutItem", "GetItem", "Query"]);
    expect(readings[0]!.writeUnits).toBeGreaterThanOrEqual(3);
    expect(readings[0]!.readUnits).toBe(0);
    expect(readings[1]).toMatchObject({ readUnits: 1, writeUnits: 0 });
    expect(readings[2]!.readUnits).toBeGreaterThan(0);
  });

  it("marks a write refused by its condition, and passes the refusal on to the adapter unchanged", async () => {
    // Prepare
    const { table, readings, client } = metered();
    const key = { PK: "METER#2", SK: "ITEM" };
    await table.conditionalPut({ Item: key, ConditionExpression: "attribute_not_exists(PK)" });

    // Act
    const second = await table.conditionalPut({ Item: key, ConditionExpression: "attribute_not_exists(PK)" });
    client.destroy();

    // Assess
    expect(second.ok).toBe(false);
    expect(readings.at(-1)).toEqual({ operation: "PutItem", readUnits: 0, writeUnits: 0, conditionFailed: true });
  });

  it("meters the adapters' own calls (run store, audit log) without changing what they store", async () => {
    // Prepare
    const client = createLocalDynamoClient(db.endpoint);
    const readings: ConsumedCapacityReading[] = [];
    meterConsumedCapacity(client, (r) => readings.push(r));
    const audit = new DynamoAuditLog({ client, tableName: db.tableName });

    // Act
    await audit.append({ proposalId: "p-meter", network: "devnet-1", event: "run.created", actor: "test", atMs: 1 });
    const entries = await audit.list("p-meter");
    client.destroy();

    // Assess
    expect(entries).toHaveLength(1);
    expect(readings.reduce((s, r) => s + r.writeUnits, 0)).toBeGreaterThan(0);
    expect(readings.reduce((s, r) => s + r.readUnits, 0)).toBeGreaterThan(0);
  });
});
