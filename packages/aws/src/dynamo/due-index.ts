/**
 * The "due" index both leased queues of the table use (scheduled jobs, alert deliveries): pending items sit
 * in one GSI1 partition per queue, sorted by their padded due time, and carry a lease (`leaseExpiresAtMs`).
 */
import { padNumber, TableKeys } from "./keys.js";
import { StoreInputError } from "../errors.js";
import type { Item, SingleTable } from "./single-table.js";

/** Digits of the padded due time at the start of every due-index sort key. */
const DUE_WIDTH = 15;

/** GSI1 keys of a pending item of queue `partition`, due at `dueAtMs`; `suffix` orders items due together. */
export function dueKeys(partition: string, dueAtMs: number, suffix: string): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: partition, GSI1SK: `${padNumber("dueAtMs", dueAtMs, DUE_WIDTH)}#${suffix}` };
}

/**
 * Items of queue `partition` due at `nowMs` whose lease is free or expired, in due order, at most `limit`.
 * `Limit` counts items read before the lease filter, so it pages on until full or the due range ends.
 */
export async function listDueItems(table: SingleTable, partition: string, nowMs: number, limit: number): Promise<Item[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreInputError("limit", `must be a positive integer, got ${limit}`);
  const found: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.query({
      IndexName: TableKeys.GSI1,
      // Every SK starts with the padded due time, so `SK < pad(now + 1)` is exactly `dueAtMs <= now`.
      KeyConditionExpression: "#gpk = :due AND #gsk < :upper",
      FilterExpression: "attribute_not_exists(#expires) OR #expires <= :now",
      ExpressionAttributeNames: { "#gpk": TableKeys.GSI1PK, "#gsk": TableKeys.GSI1SK, "#expires": "leaseExpiresAtMs" },
      ExpressionAttributeValues: { ":due": partition, ":upper": padNumber("nowMs", nowMs + 1, DUE_WIDTH), ":now": nowMs },
      Limit: limit,
      ExclusiveStartKey: startKey,
    });
    found.push(...page.items);
    startKey = page.lastKey;
  } while (startKey && found.length < limit);
  return found.slice(0, limit);
}
