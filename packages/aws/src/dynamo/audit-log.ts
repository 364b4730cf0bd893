/**
 * {@link AuditLog} on the single table: one item per entry in the proposal's partition, SK
 * `AUDIT#<seq, 10 digits>`. An append reads the last entry, chains onto it and writes only if that seq
 * is still free; a concurrent append that took the seq makes it re-read and retry.
 */
import { chainEntry, type AuditEntry, type AuditEventInput, type AuditLog } from "@payrox/core";
import { AuditAppendContentionError } from "../errors.js";
import { retryOnCollision, type CollisionRetryOptions } from "./collision-retry.js";
import { auditKey, fromItem, ItemType, proposalKey, SkPrefix, TableKeys } from "./keys.js";
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
    const outcome = await retryOnCollision<AuditEntry>(this.#retry, async () => {
      const last = await this.last(input.proposalId);
      // Chain onto the stored head even if it was tampered with: the verifier reports that entry,
      // and later events must still be recorded.
      const entry = chainEntry(input, last && { seq: last.seq, hash: last.hash, proposalId: input.proposalId });
      const written = await this.#table.conditionalPut({
        Item: { ...auditKey(entry.proposalId, entry.seq), type: ItemType.AUDIT, ...entry },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": TableKeys.PK },
      });
      return written.ok ? { done: true, value: entry } : { done: false };
    });
    if ("exhausted" in outcome) throw new AuditAppendContentionError(input.proposalId, outcome.exhausted);
    return outcome.value;
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
