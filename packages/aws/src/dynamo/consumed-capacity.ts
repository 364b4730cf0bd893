/**
 * Metering of what DynamoDB bills: a middleware on a low-level client that asks every data-plane call for
 * `ReturnConsumedCapacity: "TOTAL"` and reports the units the service says it consumed. The document
 * clients the adapters build share the low-level client's middleware stack, so metering the one client
 * given to the adapters meters every adapter (the single table's reads and writes, transactions, the
 * chain's journal and nonce store). Off unless installed: the functions never install it.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { isConditionalCheckFailed } from "./single-table.js";

/** The operations that accept `ReturnConsumedCapacity` (DynamoDB API reference). */
const METERED_COMMANDS = new Set([
  "GetItemCommand",
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "QueryCommand",
  "ScanCommand",
  "BatchGetItemCommand",
  "BatchWriteItemCommand",
  "TransactGetItemsCommand",
  "TransactWriteItemsCommand",
  "ExecuteStatementCommand",
  "BatchExecuteStatementCommand",
  "ExecuteTransactionCommand",
]);

/** Units one DynamoDB call consumed, as the service reported them. */
export interface ConsumedCapacityReading {
  /** e.g. `PutItem`, `Query`, `TransactWriteItems`. */
  operation: string;
  /** Read capacity units (on-demand: read request units). */
  readUnits: number;
  /** Write capacity units (on-demand: write request units). */
  writeUnits: number;
  /**
   * The call was a write refused by its condition. DynamoDB still bills such a write, but the error
   * carries no `ConsumedCapacity`: `writeUnits` is then 0 and the meter's owner decides what to charge.
   */
  conditionFailed?: boolean;
}

/** One `ConsumedCapacity` element of a response (a transaction or a batch returns one per table). */
interface CapacityElement {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Installs the metering middleware on `client`; every metered call's reading goes to `onReading`.
 * Idempotent per client. Returns a function that removes it.
 * @example meterConsumedCapacity(client, (r) => totals.write += r.writeUnits)
 */
export function meterConsumedCapacity(client: DynamoDBClient, onReading: (reading: ConsumedCapacityReading) => void): () => void {
  const name = "payroxConsumedCapacity";
  client.middlewareStack.remove(name);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      if (!METERED_COMMANDS.has(command)) return next(args);
      const operation = command.replace(/Command$/, "");
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = "TOTAL";
      try {
        const result = await next(args);
        onReading({ operation, ...sumCapacity((result.output as { ConsumedCapacity?: CapacityElement | CapacityElement[] }).ConsumedCapacity, operation) });
        return result;
      } catch (error) {
        if (isConditionalCheckFailed(error)) onReading({ operation, readUnits: 0, writeUnits: 0, conditionFailed: true });
        throw error;
      }
    },
    { step: "initialize", name, priority: "high" },
  );
  return () => void client.middlewareStack.remove(name);
}

/**
 * Read and write units of a response's `ConsumedCapacity`. With `TOTAL` a response gives `CapacityUnits`
 * and, for some operations, the read/write split; where only the total is given, the operation decides
 * which kind it was.
 */
export function sumCapacity(consumed: CapacityElement | CapacityElement[] | undefined, operation: string): { readUnits: number; writeUnits: number } {
  let readUnits = 0;
  let writeUnits = 0;
  for (const element of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
    if (element.ReadCapacityUnits !== undefined || element.WriteCapacityUnits !== undefined) {
      readUnits += element.ReadCapacityUnits ?? 0;
      writeUnits += element.WriteCapacityUnits ?? 0;
    } else if (isWrite(operation)) {
      writeUnits += element.CapacityUnits ?? 0;
    } else {
      readUnits += element.CapacityUnits ?? 0;
    }
  }
  return { readUnits, writeUnits };
}

function isWrite(operation: string): boolean {
  return /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|ExecuteTransaction)$/.test(operation);
}
