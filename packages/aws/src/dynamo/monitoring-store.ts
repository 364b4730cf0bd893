/**
 * DynamoDB adapters of the monitoring ports on the single table: the incident ledger (one item per
 * dedupe key; conditional writes make "first raise wins" hold across Lambdas), the gas history per
 * (network, step), the chain watcher's cursor per network, and the alert dead letters.
 */
import { TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import type { AlertDeadLetters, ChainCursor, ChainCursorStore, DeadLetter, GasHistory, GasSample, Incident, IncidentLedger, IncidentReader, NewAlertDeliveries } from "@payrox/core/runs";
import { GasHistoryContentionError, StoreInputError } from "../errors.js";
import { deliveryPuts } from "./alert-deliveries.js";
import { retryOnCollision, type CollisionRetryOptions } from "./collision-retry.js";
import { chainCursorKey, DEAD_LETTER_PARTITION, deadLetterKey, fromItem, gasHistoryKey, INCIDENT_LIST_PARTITION, incidentKey, incidentListKeys, ItemType, TableKeys } from "./keys.js";
import { SingleTable, type DynamoTableOptions, type Item } from "./single-table.js";

/** {@link IncidentLedger} and {@link IncidentReader} on the table: `INCIDENT#<dedupeKey>`, listed through GSI1. */
export class DynamoIncidentLedger implements IncidentLedger, IncidentReader {
  readonly #table: SingleTable;
  constructor(options: DynamoTableOptions) {
    this.#table = new SingleTable(options);
  }

  /** Opens the incident if absent (or released after a failed delivery); with `deliveries`, writes them in the same transaction. */
  async open(incident: Incident, deliveries?: NewAlertDeliveries): Promise<boolean> {
    const write = {
      // The item's `type` attribute is the item kind; the alert type is stored as `alertType`.
      Item: { ...incidentKey(incident.dedupeKey), ...incidentListKeys(incident.dedupeKey, incident.openedAtMs), ...incident, type: ItemType.INCIDENT, alertType: incident.type, status: "open" },
      ConditionExpression: "attribute_not_exists(#pk) OR #status = :released",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#status": "status" },
      ExpressionAttributeValues: { ":released": "released" },
    };
    if (!deliveries) return (await this.#table.conditionalPut(write)).ok;
    return this.#transact([{ Put: { TableName: this.#table.name, ...write } }, ...deliveryPuts(this.#table.name, deliveries)]);
  }

  /** Resolves an open incident (with `deliveries`, written in the same transaction); @returns it, or undefined when it was not open. */
  async resolve(dedupeKey: string, atMs: number, deliveries?: NewAlertDeliveries): Promise<Incident | undefined> {
    const update = {
      Key: incidentKey(dedupeKey),
      UpdateExpression: "SET #status = :resolved, #resolvedAt = :at",
      ConditionExpression: "#status = :open",
      ExpressionAttributeNames: { "#status": "status", "#resolvedAt": "resolvedAtMs" },
      ExpressionAttributeValues: { ":resolved": "resolved", ":open": "open", ":at": atMs },
    };
    const written = deliveries
      ? await this.#transact([{ Update: { TableName: this.#table.name, ...update } }, ...deliveryPuts(this.#table.name, deliveries)])
      : (await this.#table.conditionalUpdate(update)).ok;
    return written ? this.get(dedupeKey) : undefined;
  }

  /**
   * Runs a transaction whose first item is the incident's conditional write.
   * @returns false when that condition failed (nothing was written)
   */
  async #transact(items: NonNullable<TransactWriteCommandInput["TransactItems"]>): Promise<boolean> {
    let lastError: unknown;
    const outcome = await retryOnCollision<boolean>({ maxAttempts: 5 }, async () => {
      try {
        await this.#table.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return { done: true, value: true };
      } catch (error) {
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        if ((error as Error).name !== "TransactionCanceledException" || !reasons) throw this.#table.translate("TransactWriteItems", error);
        if (reasons[0]?.Code === "ConditionalCheckFailed") return { done: true, value: false };
        lastError = error;
        // A concurrent writer of the same incident: retry, and the retry sees its result.
        if (reasons.some((r) => r.Code === "TransactionConflict")) return { done: false };
        throw this.#table.translate("TransactWriteItems", error);
      }
    });
    if ("exhausted" in outcome) throw this.#table.translate("TransactWriteItems", lastError);
    return outcome.value;
  }

  /** Puts the incident back to `status` (delivery of its alert failed). */
  async revert(dedupeKey: string, status: "open" | "released"): Promise<void> {
    await this.#table.conditionalUpdate({
      Key: incidentKey(dedupeKey),
      UpdateExpression: "SET #status = :status REMOVE #resolvedAt",
      ConditionExpression: "attribute_exists(#pk)",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#status": "status", "#resolvedAt": "resolvedAtMs" },
      ExpressionAttributeValues: { ":status": status },
    });
  }

  /** The incident, strongly consistent. */
  async get(dedupeKey: string): Promise<Incident | undefined> {
    const item = await this.#table.get(incidentKey(dedupeKey));
    return item && incidentOfItem(item);
  }

  /**
   * Incidents newest first (GSI1, eventually consistent: one opened a moment ago may be missing). Incidents
   * opened before they carried the list keys are not listed.
   */
  async listIncidents({ limit }: { limit: number }): Promise<Incident[]> {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) throw new StoreInputError("limit", `must be an integer in [1, 100], got ${limit}`);
    const page = await this.#table.query({
      IndexName: TableKeys.GSI1,
      KeyConditionExpression: "#gpk = :partition",
      ExpressionAttributeNames: { "#gpk": TableKeys.GSI1PK },
      ExpressionAttributeValues: { ":partition": INCIDENT_LIST_PARTITION },
      ScanIndexForward: false,
      Limit: limit,
    });
    return page.items.map(incidentOfItem);
  }
}

function incidentOfItem(item: Item): Incident {
  const { alertType, ...rest } = fromItem<Omit<Incident, "type"> & { alertType: Incident["type"] }>(item);
  return { ...rest, type: alertType };
}

/** Options of {@link DynamoGasHistory}. */
export interface DynamoGasHistoryOptions extends DynamoTableOptions {
  /** Samples kept per (network, step). @default 10 */
  capacity?: number;
  /** Retries of an append that raced another. */
  retry?: CollisionRetryOptions;
}

/** {@link GasHistory} on the table: `GAS#<network>#<step>`, the samples list replaced under a version check. */
export class DynamoGasHistory implements GasHistory {
  readonly #table: SingleTable;
  readonly #capacity: number;
  readonly #retry: CollisionRetryOptions;
  constructor(options: DynamoGasHistoryOptions) {
    this.#table = new SingleTable(options);
    this.#capacity = options.capacity ?? 10;
    this.#retry = options.retry ?? { maxAttempts: 10 };
    if (!Number.isSafeInteger(this.#capacity) || this.#capacity < 1) throw new StoreInputError("capacity", `must be a positive integer, got ${this.#capacity}`);
  }

  /** Samples, oldest first. */
  async recent(network: string, step: string): Promise<GasSample[]> {
    return (await this.#read(network, step)).samples;
  }

  /** Appends a sample (ignored if its tx hash is known), keeping the newest `capacity`. @throws GasHistoryContentionError */
  async add(network: string, step: string, sample: GasSample): Promise<void> {
    if (!/^\d+$/.test(sample.gas)) throw new StoreInputError("sample.gas", `must be a decimal integer string, got ${JSON.stringify(sample.gas)}`);
    const outcome = await retryOnCollision(this.#retry, async () => {
      const { samples, version } = await this.#read(network, step);
      if (samples.some((s) => s.txHash === sample.txHash)) return { done: true, value: undefined };
      const written = await this.#table.conditionalPut({
        Item: { ...gasHistoryKey(network, step), type: ItemType.GAS, network, step, samples: [...samples, sample].slice(-this.#capacity), version: version + 1 },
        ConditionExpression: version === 0 ? "attribute_not_exists(#pk)" : "#version = :version",
        ExpressionAttributeNames: version === 0 ? { "#pk": TableKeys.PK } : { "#version": "version" },
        ...(version === 0 ? {} : { ExpressionAttributeValues: { ":version": version } }),
      });
      return written.ok ? { done: true, value: undefined } : { done: false };
    });
    if ("exhausted" in outcome) throw new GasHistoryContentionError(network, step, outcome.exhausted);
  }

  async #read(network: string, step: string): Promise<{ samples: GasSample[]; version: number }> {
    const item = await this.#table.get(gasHistoryKey(network, step));
    return { samples: (item?.samples as GasSample[] | undefined) ?? [], version: (item?.version as number | undefined) ?? 0 };
  }
}

/** {@link ChainCursorStore} on the table: `CURSOR#<network>`. */
export class DynamoChainCursorStore implements ChainCursorStore {
  readonly #table: SingleTable;
  constructor(options: DynamoTableOptions) {
    this.#table = new SingleTable(options);
  }

  /** The network's cursor, strongly consistent. */
  async get(network: string): Promise<ChainCursor | undefined> {
    const item = await this.#table.get(chainCursorKey(network));
    return item && fromItem<ChainCursor>(item);
  }

  /** Replaces the network's cursor. */
  async put(cursor: ChainCursor): Promise<void> {
    if (!Number.isSafeInteger(cursor.blockNumber) || cursor.blockNumber < 0) throw new StoreInputError("cursor.blockNumber", `must be a block number, got ${cursor.blockNumber}`);
    await this.#table.conditionalPut({ Item: { ...chainCursorKey(cursor.network), type: ItemType.CURSOR, ...cursor } });
  }
}

/** {@link AlertDeadLetters} on the table: one partition, sorted by time. */
export class DynamoAlertDeadLetters implements AlertDeadLetters {
  readonly #table: SingleTable;
  constructor(options: DynamoTableOptions) {
    this.#table = new SingleTable(options);
  }

  /** Stores a letter (a second letter for the same alert, endpoint and time replaces it). */
  async put(letter: DeadLetter): Promise<void> {
    await this.#table.conditionalPut({ Item: { ...deadLetterKey(letter.atMs, letter.alert.id, letter.endpoint), type: ItemType.DEAD_LETTER, ...letter } });
  }

  /** The newest letters first. */
  async list(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const { items } = await this.#table.query({
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": TableKeys.PK },
      ExpressionAttributeValues: { ":pk": DEAD_LETTER_PARTITION },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: options.limit ?? 100,
    });
    return items.map((item) => fromItem<DeadLetter>(item));
  }
}
