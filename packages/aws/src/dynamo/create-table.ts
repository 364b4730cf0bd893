/**
 * Creates the single table (on-demand billing, PK/SK, GSI1, TTL on `ttl`) — for tests and the devnet;
 * the cloud stack declares the same schema in CDK.
 */
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { DynamoRequestError } from "../errors.js";
import { TableKeys } from "./keys.js";

/** The table's schema, for the stack and for {@link createTable}. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: TableKeys.PK, AttributeType: "S" },
      { AttributeName: TableKeys.SK, AttributeType: "S" },
      { AttributeName: TableKeys.GSI1PK, AttributeType: "S" },
      { AttributeName: TableKeys.GSI1SK, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: TableKeys.PK, KeyType: "HASH" },
      { AttributeName: TableKeys.SK, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TableKeys.GSI1,
        KeySchema: [
          { AttributeName: TableKeys.GSI1PK, KeyType: "HASH" },
          { AttributeName: TableKeys.GSI1SK, KeyType: "RANGE" },
        ],
        // ALL: a listing page needs whole proposals (the port returns them), and proposals are few.
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}

/** Options of {@link createTable}. */
export interface CreateTableOptions {
  /**
   * Seconds to wait for the table to become ACTIVE.
   * @default 60
   */
  maxWaitSeconds?: number;
}

/**
 * Creates the table if it does not exist, waits until it is ACTIVE and enables TTL on `ttl`.
 * Idempotent: an existing table is left as is (TTL is enabled if it was not).
 * @returns whether the table was created by this call.
 */
export async function createTable(client: DynamoDBClient, tableName: string, options: CreateTableOptions = {}): Promise<{ created: boolean }> {
  let created = true;
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceInUseException") throw new DynamoRequestError("CreateTable", tableName, (error as { name?: string }).name, { cause: error });
    created = false;
  }
  try {
    await waitUntilTableExists({ client, maxWaitTime: options.maxWaitSeconds ?? 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== "ENABLED" && status !== "ENABLING") {
      await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TableKeys.TTL, Enabled: true } }));
    }
  } catch (error) {
    throw new DynamoRequestError("CreateTable", tableName, (error as { name?: string }).name, { cause: error });
  }
  return { created };
}
