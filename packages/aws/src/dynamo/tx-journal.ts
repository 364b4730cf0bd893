/**
 * {@link TxJournal} on the single table: one item per step id (`TX#<stepId>`), replaced as a whole by a
 * put conditional on the stored version (absent for version 1). A refused write returns the stored
 * record, read atomically from the refused write itself (`ReturnValuesOnConditionCheckFailure`).
 *
 * It is also the {@link JournaledTxLookup} of the chain watcher: each put first indexes its newest
 * attempt's hash (`TXHASH#<hash>` → step id). Indexing before the record is written keeps "journaled
 * before broadcast" true for the index too; an index item whose record write then lost its race points at
 * a record without that hash, and the lookup, which checks the record, ignores it.
 */
import type { JournaledTxLookup, TxJournal, TxJournalPutResult, TxRecord } from "@payrox/core/runs";
import { JournalRecordAbsentError, StoreInputError } from "../errors.js";
import { fromItem, ItemType, TableKeys, txHashKey, txKey, txNonceKey } from "./keys.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

/** Options of {@link DynamoTxJournal}. */
export type DynamoTxJournalOptions = DynamoTableOptions;

/** The write-ahead journal of signed transactions, shared by every process that uses the table. */
export class DynamoTxJournal implements TxJournal, JournaledTxLookup {
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
    const newest = record.attempts.at(-1);
    // Attempts are append-only and each is newest in the put that adds it, so indexing the newest covers all.
    if (newest) await this.#table.conditionalPut({ Item: { ...txHashKey(newest.hash), type: ItemType.TX_HASH, txHash: newest.hash.toLowerCase(), stepId: record.stepId, network: record.network } });
    // The nonce index, for the nonce store's reclaim of an abandoned reservation (see findByNonce).
    if (first) await this.#table.conditionalPut({ Item: { ...txNonceKey(record.network, record.from, record.nonce), type: ItemType.TX_NONCE, stepId: record.stepId } });
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

  /**
   * The step journaled with `from`'s transaction at `nonce` on `network` (strongly consistent reads); the
   * index item is checked against the record, so one left by a lost first write is ignored.
   */
  async findByNonce(network: string, from: string, nonce: number): Promise<string | undefined> {
    const index = await this.#table.get(txNonceKey(network, from, nonce));
    if (typeof index?.stepId !== "string") return undefined;
    const record = await this.get(index.stepId);
    return record && record.network === network && record.from.toLowerCase() === from.toLowerCase() && record.nonce === nonce ? record.stepId : undefined;
  }

  /** The step that journaled `txHash` on `network`, or undefined (strongly consistent reads). */
  async findByTxHash(network: string, txHash: string): Promise<{ stepId: string } | undefined> {
    const index = await this.#table.get(txHashKey(txHash));
    if (typeof index?.stepId !== "string") return undefined;
    const record = await this.get(index.stepId);
    const hash = txHash.toLowerCase();
    if (!record || record.network !== network || !record.attempts.some((a) => a.hash.toLowerCase() === hash)) return undefined;
    return { stepId: record.stepId };
  }
}
