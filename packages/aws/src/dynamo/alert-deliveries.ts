/**
 * The alert delivery ledger on the single table, laid out like the job store:
 *
 * | item | PK | SK | GSI1PK / GSI1SK |
 * | --- | --- | --- | --- |
 * | delivery | `ALERTDELIVERY#<alertId>#<destination>` | `DELIVERY` | while pending only: `ALERTS#DUE` / `<dueAtMs, 15 digits>#<alertId>#<destination>` |
 *
 * - written by {@link DynamoIncidentLedger}'s open/resolve in the same TransactWriteItems as the incident's
 *   transition ({@link deliveryPuts}), pending and claimed by the writer: an incident is never opened
 *   without its deliveries, and deliveries never exist for an incident that was not opened;
 * - listDue: Query GSI1 `ALERTS#DUE`, `SK < pad(now + 1)`, filtered to free or expired leases (the index is
 *   sparse: delivered and failed items drop their GSI1 keys, and TTL removes them `retentionSeconds` later);
 * - claim: UpdateItem on the item's own key, conditional on pending, due, lease free or expired and
 *   `attempts` unchanged since the listing → one winner among racing sweeps;
 * - markDelivered / markFailed / release: UpdateItem conditional on `leaseOwner = :owner`.
 */
import type { AlertDelivery, AlertDeliveryLedger, NewAlertDeliveries } from "@payrox/core/runs";
import { AlertDeliveryStatus, pendingDeliveries } from "@payrox/core/runs";
import { StoreInputError } from "../errors.js";
import { fromItem, ItemType, keyPart, TableKeys } from "./keys.js";
import { dueKeys, listDueItems } from "./due-index.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

const DUE_PARTITION = "ALERTS#DUE";
/** TransactWriteItems takes 100 items: the incident and up to 99 deliveries. */
export const MAX_DESTINATIONS = 99;

/** Key of one alert's delivery to one destination. */
export function alertDeliveryKey(alertId: string, destination: string): { PK: string; SK: string } {
  return { PK: `ALERTDELIVERY#${keyPart("alertId", alertId)}#${keyPart("destination", destination)}`, SK: "DELIVERY" };
}

/** GSI1 keys of a pending delivery: one partition, due order. */
export function alertDueIndexKeys(alertId: string, destination: string, dueAtMs: number): { GSI1PK: string; GSI1SK: string } {
  return dueKeys(DUE_PARTITION, dueAtMs, `${alertId}#${destination}`);
}

/** The transaction Puts of `pending`'s deliveries (the incident's own write goes first). @throws StoreInputError */
export function deliveryPuts(tableName: string, pending: NewAlertDeliveries): { Put: { TableName: string; Item: Record<string, unknown> } }[] {
  if (pending.destinations.length > MAX_DESTINATIONS) throw new StoreInputError("destinations", `at most ${MAX_DESTINATIONS} per alert, got ${pending.destinations.length}`);
  if (!Number.isSafeInteger(pending.leaseMs) || pending.leaseMs <= 0) throw new StoreInputError("leaseMs", `must be a positive integer, got ${pending.leaseMs}`);
  checkOwner(pending.owner);
  // Unconditional: the incident's condition decides the whole transaction.
  return pendingDeliveries(pending).map((d) => ({
    Put: { TableName: tableName, Item: { ...alertDeliveryKey(d.alertId, d.destination), ...alertDueIndexKeys(d.alertId, d.destination, d.dueAtMs), type: ItemType.ALERT_DELIVERY, ...d } },
  }));
}

/** Options of {@link DynamoAlertDeliveries}. */
export interface DynamoAlertDeliveriesOptions extends DynamoTableOptions {
  /** How long a delivered or failed delivery is kept before TTL deletes it. @default 2592000 (30 days) */
  retentionSeconds?: number;
}

/** {@link AlertDeliveryLedger} on the table. */
export class DynamoAlertDeliveries implements AlertDeliveryLedger {
  readonly #table: SingleTable;
  readonly #retentionSeconds: number;

  constructor(options: DynamoAlertDeliveriesOptions) {
    this.#table = new SingleTable(options);
    this.#retentionSeconds = options.retentionSeconds ?? 30 * 24 * 3600;
  }

  /** Pending deliveries due at `nowMs` with a free or expired lease, due order. */
  async listDue(nowMs: number, limit: number): Promise<AlertDelivery[]> {
    return (await listDueItems(this.#table, DUE_PARTITION, nowMs, limit)).map((item) => fromItem<AlertDelivery>(item));
  }

  /** Claims a listed delivery if it is still pending, due, unleased (or expired) and unchanged. */
  async claim(delivery: AlertDelivery, owner: string, leaseMs: number, nowMs: number): Promise<AlertDelivery | undefined> {
    checkOwner(owner);
    if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) throw new StoreInputError("leaseMs", `must be a positive integer, got ${leaseMs}`);
    const claimed: AlertDelivery = { ...delivery, leaseOwner: owner, leaseExpiresAtMs: nowMs + leaseMs, attempts: delivery.attempts + 1 };
    const result = await this.#table.conditionalUpdate({
      Key: alertDeliveryKey(delivery.alertId, delivery.destination),
      UpdateExpression: "SET #owner = :owner, #expires = :expires, #attempts = :next",
      ConditionExpression: "#status = :pending AND #due <= :now AND #attempts = :seen AND (attribute_not_exists(#expires) OR #expires <= :now)",
      ExpressionAttributeNames: { "#status": "status", "#owner": "leaseOwner", "#expires": "leaseExpiresAtMs", "#due": "dueAtMs", "#attempts": "attempts" },
      ExpressionAttributeValues: { ":owner": owner, ":expires": claimed.leaseExpiresAtMs, ":next": claimed.attempts, ":pending": AlertDeliveryStatus.PENDING, ":now": nowMs, ":seen": delivery.attempts },
    });
    return result.ok ? claimed : undefined;
  }

  /** Delivered: leaves the due index. */
  async markDelivered(delivery: AlertDelivery, nowMs: number, status?: number): Promise<boolean> {
    return this.#finish(delivery, AlertDeliveryStatus.DELIVERED, nowMs, undefined, status);
  }

  /** Failed for good: leaves the due index, keeps the error. */
  async markFailed(delivery: AlertDelivery, error: string, nowMs: number, status?: number): Promise<boolean> {
    return this.#finish(delivery, AlertDeliveryStatus.FAILED, nowMs, error, status);
  }

  /** Back to the due index at `retryAtMs`, lease dropped. */
  async release(delivery: AlertDelivery, retryAtMs: number, error: string, status?: number): Promise<boolean> {
    return this.#holderUpdate(delivery, {
      UpdateExpression: `SET #due = :due, #gsk = :gsk, #error = :error${status === undefined ? "" : ", #lastStatus = :lastStatus"} REMOVE #owner, #expires${status === undefined ? ", #lastStatus" : ""}`,
      ExpressionAttributeNames: { "#due": "dueAtMs", "#gsk": TableKeys.GSI1SK, "#error": "lastError", "#lastStatus": "lastStatus" },
      ExpressionAttributeValues: { ":due": retryAtMs, ":gsk": alertDueIndexKeys(delivery.alertId, delivery.destination, retryAtMs).GSI1SK, ":error": error, ...(status !== undefined && { ":lastStatus": status }) },
    });
  }

  /** One delivery, strongly consistent. */
  async get(alertId: string, destination: string): Promise<AlertDelivery | undefined> {
    const item = await this.#table.get(alertDeliveryKey(alertId, destination));
    return item && fromItem<AlertDelivery>(item);
  }

  async #finish(delivery: AlertDelivery, status: AlertDeliveryStatus, nowMs: number, error?: string, httpStatus?: number): Promise<boolean> {
    const sets = ["#status = :status", "#finished = :now", "#ttl = :ttl", ...(error === undefined ? [] : ["#error = :error"]), ...(httpStatus === undefined ? [] : ["#lastStatus = :lastStatus"])];
    return this.#holderUpdate(delivery, {
      UpdateExpression: `SET ${sets.join(", ")} REMOVE #gpk, #gsk, #owner, #expires`,
      ExpressionAttributeNames: { "#finished": "finishedAtMs", "#ttl": TableKeys.TTL, "#gpk": TableKeys.GSI1PK, "#gsk": TableKeys.GSI1SK, ...(error === undefined ? {} : { "#error": "lastError" }), ...(httpStatus === undefined ? {} : { "#lastStatus": "lastStatus" }) },
      ExpressionAttributeValues: { ":status": status, ":now": nowMs, ":ttl": Math.ceil(nowMs / 1000) + this.#retentionSeconds, ...(error === undefined ? {} : { ":error": error }), ...(httpStatus === undefined ? {} : { ":lastStatus": httpStatus }) },
    });
  }

  /** An update allowed only while `delivery.leaseOwner` still holds the pending delivery. */
  async #holderUpdate(delivery: AlertDelivery, update: { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> }): Promise<boolean> {
    const owner = delivery.leaseOwner ?? "";
    checkOwner(owner);
    const result = await this.#table.conditionalUpdate({
      Key: alertDeliveryKey(delivery.alertId, delivery.destination),
      UpdateExpression: update.UpdateExpression,
      ConditionExpression: "#status = :pending AND #owner = :owner",
      ExpressionAttributeNames: { "#status": "status", "#owner": "leaseOwner", "#expires": "leaseExpiresAtMs", ...update.ExpressionAttributeNames },
      ExpressionAttributeValues: { ":pending": AlertDeliveryStatus.PENDING, ":owner": owner, ...update.ExpressionAttributeValues },
    });
    return result.ok;
  }
}

function checkOwner(owner: string): void {
  if (typeof owner !== "string" || owner.length === 0) throw new StoreInputError("owner", "must be a non-empty string (the claiming process's id)");
}
