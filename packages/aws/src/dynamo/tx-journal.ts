/**
 * {@link TxJournal} on the single table: one item per step id (`TX#<stepId>`), replaced as a whole by a
 * put conditional on the stored version (absent for version 1). A refused write returns the stored
 * record, read atomically from the refused write itself (`ReturnValuesOnConditionCheckFailure`).
 */
import type { TxJournal, TxJournalPutResult, TxRecord } from "@payrox/core";
import { JournalRecordAbsentError, StoreInputError } from "../errors.js";
import { fromItem, ItemType, TableKeys, txKey } from "./keys.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

/** Options of {@link DynamoTxJournal}. */
export type DynamoTxJournalOptions = DynamoTableOptions;

/** The write-ahead journal of signed transactions, shared by every process that uses the table. */
export class DynamoTxJournal implements TxJournal {
  readonly #table: SingleTable;

  constructor(options: DynamoTxJournalOptions) {
    this.#table = new SingleTable(options);
  }

  /** The record of `stepId`, or undefined (strongly consistent read). */
  async get(stepId: string): Promise<TxRecord | undefined> {
    const item = await this.#table.get(txKey(stepId));
    return item && fromItem<TxRecord>(item);
  }

  /**
   * Stores `record` if the stored version is `record.version - 1` (version 1: only if absent); otherwise
   * returns the stored record unchanged.
   * @throws JournalRecordAbsentError for version > 1 when nothing is stored; DynamoRequestError when the outcome is unknown.
   */
  async put(record: TxRecord): Promise<TxJournalPutResult> {
    if (!Number.isSafeInteger(record.version) || record.version < 1) throw new StoreInputError("record.version", `must be an integer ≥ 1, got ${record.version}`);
    const first = record.version === 1;
    const written = await this.#table.conditionalPut({
      Item: { ...txKey(record.stepId), type: ItemType.TX, ...record },
      ConditionExpression: first ? "attribute_not_exists(#pk)" : "#version = :previous",
      ExpressionAttributeNames: first ? { "#pk": TableKeys.PK } : { "#version": "version" },
      ...(first ? {} : { ExpressionAttributeValues: { ":previous": record.version - 1 } }),
    });
    if (written.ok) return { ok: true };
    if (!written.stored) throw new JournalRecordAbsentError(record);
    return { ok: false, existing: fromItem<TxRecord>(written.stored) };
  }
}
