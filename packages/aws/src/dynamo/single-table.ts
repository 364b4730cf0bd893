/**
 * The one table every adapter of this package shares: a DynamoDB document client configured the way the
 * adapters need it, the table name, and SDK-exception translation. Conditional-write failures come back
 * as values (with the stored item), everything else as an {@link AwsAdapterError}.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type PutCommandInput,
  type QueryCommandInput,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { DynamoRequestError, ItemTooLargeError } from "../errors.js";
import type { ItemKey } from "./keys.js";

/** Options every DynamoDB adapter of this package takes. */
export interface DynamoTableOptions {
  /**
   * A low-level client (region, credentials, endpoint). The adapters wrap it in a document client with
   * `removeUndefinedValues: true`, so optional fields left undefined are simply not stored.
   */
  client: DynamoDBClient;
  /** The single table, created with {@link createTable} (or the stack's equivalent). */
  tableName: string;
}

/** A DynamoDB item as the document client returns it. */
export type Item = Record<string, unknown>;

/** Outcome of a conditional write: done, or refused with the stored item (absent when there was none). */
export type ConditionalWriteResult = { ok: true } | { ok: false; stored: Item | undefined };

/** Wraps a low-level client in the document client the adapters use. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The shared table: document client, name, and SDK calls with error translation. */
export class SingleTable {
  /** The document client (`removeUndefinedValues: true`). */
  readonly doc: DynamoDBDocumentClient;
  /** The table name. */
  readonly name: string;

  constructor(options: DynamoTableOptions) {
    this.doc = createDocumentClient(options.client);
    this.name = options.tableName;
  }

  /** Reads one item, strongly consistent. */
  async get(key: ItemKey): Promise<Item | undefined> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
      return Item;
    } catch (error) {
      throw this.translate("GetItem", error);
    }
  }

  /** A conditional PutItem; a failed condition comes back as `{ ok: false, stored }`. */
  async conditionalPut(input: Omit<PutCommandInput, "TableName" | "ReturnValuesOnConditionCheckFailure">): Promise<ConditionalWriteResult> {
    return this.#conditional("PutItem", () => this.doc.send(new PutCommand({ ...input, TableName: this.name, ReturnValuesOnConditionCheckFailure: "ALL_OLD" })));
  }

  /** A conditional UpdateItem; a failed condition comes back as `{ ok: false, stored }`. */
  async conditionalUpdate(input: Omit<UpdateCommandInput, "TableName" | "ReturnValuesOnConditionCheckFailure">): Promise<ConditionalWriteResult> {
    return this.#conditional("UpdateItem", () => this.doc.send(new UpdateCommand({ ...input, TableName: this.name, ReturnValuesOnConditionCheckFailure: "ALL_OLD" })));
  }

  /** One page of a query. */
  async query(input: Omit<QueryCommandInput, "TableName">): Promise<{ items: Item[]; lastKey?: Record<string, unknown> }> {
    try {
      const page = await this.doc.send(new QueryCommand({ ...input, TableName: this.name }));
      return { items: page.Items ?? [], ...(page.LastEvaluatedKey ? { lastKey: page.LastEvaluatedKey } : {}) };
    } catch (error) {
      throw this.translate("Query", error);
    }
  }

  /** Runs a query through every page and returns all items (in index order). */
  async queryAll(input: Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey">): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.query({ ...input, ExclusiveStartKey: startKey });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }

  /** Turns an SDK exception into this package's error for `operation`. */
  translate(operation: string, error: unknown): Error {
    const name = (error as { name?: string } | undefined)?.name;
    if (name === "ValidationException" && /item size|size has exceeded/i.test((error as Error).message ?? "")) {
      return new ItemTooLargeError(operation, this.name, { cause: error });
    }
    return new DynamoRequestError(operation, this.name, name, { cause: error });
  }

  async #conditional(operation: string, write: () => Promise<unknown>): Promise<ConditionalWriteResult> {
    try {
      await write();
      return { ok: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw this.translate(operation, error);
      // The stored item arrives raw (AttributeValue maps): the document client does not convert errors.
      const raw = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
      return { ok: false, stored: raw ? (unmarshall(raw) as Item) : undefined };
    }
  }
}

/** Whether an SDK exception is a failed condition of a single-item write. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}
