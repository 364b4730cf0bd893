/**
 * The DynamoDB single table, declared from the same `tableDefinition` the store's tests and the devnet
 * create, so the cloud schema can't drift from the code that reads it.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { tableDefinition, TableKeys } from "@payrox/aws";
import { Table, type StackContext } from "sst/constructs";
import { isProtectedStage, resourceName } from "./naming.js";

const FIELD_TYPES: Record<string, "string" | "number" | "binary"> = { S: "string", N: "number", B: "binary" };

/** The table: on-demand, PITR, TTL on `ttl`; retained and deletion-protected on protected stages. */
export function StorageStack({ app, stack }: StackContext) {
  const definition = tableDefinition(resourceName(app, "table"));
  const keyOf = (schema: { AttributeName?: string; KeyType?: string }[] | undefined, type: "HASH" | "RANGE") => schema?.find((k) => k.KeyType === type)?.AttributeName;
  const protectedStage = isProtectedStage(app.stage);
  const table = new Table(stack, "Table", {
    fields: Object.fromEntries((definition.AttributeDefinitions ?? []).map((a) => [a.AttributeName!, FIELD_TYPES[a.AttributeType!]!])),
    primaryIndex: { partitionKey: keyOf(definition.KeySchema, "HASH")!, sortKey: keyOf(definition.KeySchema, "RANGE") },
    globalIndexes: Object.fromEntries(
      (definition.GlobalSecondaryIndexes ?? []).map((index) => [
        index.IndexName!,
        { partitionKey: keyOf(index.KeySchema, "HASH")!, sortKey: keyOf(index.KeySchema, "RANGE"), projection: "all" as const },
      ]),
    ),
    timeToLiveAttribute: TableKeys.TTL,
    cdk: {
      table: {
        tableName: definition.TableName,
        // Point-in-time recovery: SST turns it on for every table (asserted in stacks/test).
        deletionProtection: protectedStage,
        removalPolicy: protectedStage ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      },
    },
  });
  stack.addOutputs({ TableName: table.tableName });
  return { table, indexNames: (definition.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName!) };
}
