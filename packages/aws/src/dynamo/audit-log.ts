/**
 * {@link AuditLog} on the single table: one item per entry in the proposal's partition, SK
 * `AUDIT#<seq, 10 digits>`. An append reads the last entry, chains onto it and writes only if that seq
 * is still free; a concurrent append that took the seq makes it re-read and retry. An entry with an
 * idempotency `key` is written in one transaction with a marker `AUDITKEY#<sha256(key)>` holding its seq,
 * each only if absent: a second append of the same key finds the marker and returns the stored entry.
 */
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { chainEntry, type AuditEntry, type AuditEventInput, type AuditLog } from "@payrox/core/runs";
import { AuditAppendContentionError } from "../errors.js";
import { retryOnCollision, type CollisionRetryOptions } from "./collision-retry.js";
import { auditKey, auditMarkerKey, fromItem, ItemType, proposalKey, SkPrefix, TableKeys } from "./keys.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

/** Options of {@link DynamoAuditLog}. */
export interface DynamoAuditLogOptions extends DynamoTableOptions {
  /** Retries when concurrent appends to one proposal collide. */
  retry?: CollisionRetryOptions;
}

/** The append-only, hash-chained audit trail in DynamoDB. */
export class DynamoAuditLog implements AuditLog {
  readonly #table: SingleTable;
  readonly #retry: CollisionRetryOptions | undefined;

  constructor(options: DynamoAuditLogOptions) {
    this.#table = new SingleTable(options);
    this.#retry = options.retry;
  }

  /**
   * Appends after the proposal's last entry (seq + 1, prevHash = its hash).
   * @throws AuditAppendContentionError when every retry collided with another append.
   */
  async append(input: AuditEventInput): Promise<AuditEntry> {
    if (input.key !== undefined) {
      const stored = await this.#byKey(input.proposalId, input.key);
      if (stored) return stored;
    }
    const outcome = await retryOnCollision<AuditEntry>(this.#retry, async () => {
      const last = await this.last(input.proposalId);
      // Chain onto the stored head even if it was tampered with: the verifier reports that entry,
      // and later events must still be recorded.
      const entry = chainEntry(input, last && { seq: last.seq, hash: last.hash, proposalId: input.proposalId });
      if (input.key === undefined) {
        const written = await this.#table.conditionalPut({
          Item: { ...auditKey(entry.proposalId, entry.seq), type: ItemType.AUDIT, ...entry },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": TableKeys.PK },
        });
        return written.ok ? { done: true, value: entry } : { done: false };
      }
      return this.#putKeyed(entry, input.key);
    });
    if ("exhausted" in outcome) throw new AuditAppendContentionError(input.proposalId, outcome.exhausted);
    return outcome.value;
  }

  /** Writes a keyed entry and its marker together; a marker already there means the key is recorded. */
  async #putKeyed(entry: AuditEntry, key: string): Promise<{ done: true; value: AuditEntry } | { done: false }> {
    const absent = { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": TableKeys.PK } };
    try {
      await this.#table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.#table.name, Item: { ...auditKey(entry.proposalId, entry.seq), type: ItemType.AUDIT, ...entry }, ...absent } },
            { Put: { TableName: this.#table.name, Item: { ...auditMarkerKey(entry.proposalId, key), type: ItemType.AUDIT_KEY, seq: entry.seq }, ...absent } },
          ],
        }),
      );
      return { done: true, value: entry };
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if ((error as Error).name !== "TransactionCanceledException" || !reasons) throw this.#table.translate("TransactWriteItems", error);
      if (reasons[1]?.Code === "ConditionalCheckFailed") {
        // A concurrent append of the same key won: return what it stored.
        const stored = await this.#byKey(entry.proposalId, key);
        if (stored) return { done: true, value: stored };
      }
      // The seq was taken by another append, or a transaction conflict: re-read the head and retry.
      if (reasons.some((r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict")) return { done: false };
      throw this.#table.translate("TransactWriteItems", error);
    }
  }

  /** The entry recorded under idempotency key `key`, or undefined. */
  async #byKey(proposalId: string, key: string): Promise<AuditEntry | undefined> {
    const marker = await this.#table.get(auditMarkerKey(proposalId, key));
    if (!marker) return undefined;
    const item = await this.#table.get(auditKey(proposalId, Number(marker.seq)));
    return item && fromItem<AuditEntry>(item);
  }

  /** Every entry of the proposal in seq order, as stored (verify with `verifyAuditChain`). */
  async list(proposalId: string): Promise<AuditEntry[]> {
    const items = await this.#table.queryAll({
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#sk": TableKeys.SK },
      ExpressionAttributeValues: { ":pk": proposalKey(proposalId).PK, ":prefix": SkPrefix.AUDIT },
      ConsistentRead: true,
    });
    return items.map((item) => fromItem<AuditEntry>(item));
  }

  /** The proposal's newest entry, or undefined (strongly consistent). */
  async last(proposalId: string): Promise<AuditEntry | undefined> {
    const page = await this.#table.query({
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#sk": TableKeys.SK },
      ExpressionAttributeValues: { ":pk": proposalKey(proposalId).PK, ":prefix": SkPrefix.AUDIT },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    const item = page.items[0];
    return item && fromItem<AuditEntry>(item);
  }
}
