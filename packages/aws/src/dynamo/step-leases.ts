/**
 * Step leases of the run store: one item per (run, step, attempt) in the proposal's partition. A claim is
 * a conditional put — it succeeds if there is no item, the lease expired, or the claimant already holds
 * it, and never once the step is completed. Completion removes the TTL, so completed markers stay.
 */
import type { StepLease, StepName } from "@payrox/core/runs";
import { StepLeaseLostError, StoreInputError } from "../errors.js";
import { fromItem, ItemType, stepKey, TableKeys } from "./keys.js";
import type { SingleTable } from "./single-table.js";

/** A stored lease; `completedAtMs` is set once the step is done. */
export type StoredStepLease = StepLease & { claimedAtMs?: number; completedAtMs?: number };

/** Conditional put of a lease. @returns the lease, or undefined when another owner holds it or the step is done. */
export async function claimStepLease(table: SingleTable, lease: StepLease, nowMs: number, retentionSeconds: number): Promise<StepLease | undefined> {
  // A lease ending exactly at `nowMs` is the owner giving the step back (core's releaseLease): allowed, and
  // claimable by anyone at once; one that ended before `nowMs` is a caller's mistake.
  if (!Number.isSafeInteger(nowMs) || !Number.isSafeInteger(lease.expiresAtMs) || lease.expiresAtMs < nowMs) {
    throw new StoreInputError("lease.expiresAtMs", `must be an integer not before nowMs (${nowMs}), got ${lease.expiresAtMs}`);
  }
  checkOwner(lease);
  const result = await table.conditionalPut({
      Item: {
        ...stepKey(lease.proposalId, lease.network, lease.step, lease.attempt),
        type: ItemType.STEP,
        ...leaseFields(lease),
        claimedAtMs: nowMs,
        // TTL only tidies abandoned leases (long after they expired); completion removes it.
        [TableKeys.TTL]: Math.ceil(lease.expiresAtMs / 1000) + retentionSeconds,
      },
      ConditionExpression: "attribute_not_exists(#pk) OR (attribute_not_exists(#completed) AND (#expires <= :now OR #owner = :owner))",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#completed": "completedAtMs", "#expires": "expiresAtMs", "#owner": "owner" },
      ExpressionAttributeValues: { ":now": nowMs, ":owner": lease.owner },
  });
  return result.ok ? { ...lease } : undefined;
}

/** Marks the step done; only its current owner may (idempotent for that owner). */
export async function completeStepLease(table: SingleTable, lease: StepLease, nowMs: number): Promise<void> {
  checkOwner(lease);
  const result = await table.conditionalUpdate({
      Key: stepKey(lease.proposalId, lease.network, lease.step, lease.attempt),
      UpdateExpression: "SET #completed = if_not_exists(#completed, :now) REMOVE #ttl",
      ConditionExpression: "attribute_exists(#pk) AND #owner = :owner",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#completed": "completedAtMs", "#owner": "owner", "#ttl": TableKeys.TTL },
      ExpressionAttributeValues: { ":now": nowMs, ":owner": lease.owner },
  });
  if (!result.ok) throw new StepLeaseLostError(lease, result.stored && fromItem<StoredStepLease>(result.stored));
}

/** Reads a step's item (strongly consistent). */
export async function getStepLease(table: SingleTable, proposalId: string, network: string, step: StepName, attempt: string): Promise<StoredStepLease | undefined> {
  const item = await table.get(stepKey(proposalId, network, step, attempt));
  return item && fromItem<StoredStepLease>(item);
}

function leaseFields(lease: StepLease): StepLease {
  return { proposalId: lease.proposalId, network: lease.network, step: lease.step, attempt: lease.attempt, owner: lease.owner, expiresAtMs: lease.expiresAtMs };
}

function checkOwner(lease: StepLease): void {
  if (typeof lease.owner !== "string" || lease.owner.length === 0) throw new StoreInputError("lease.owner", "must be a non-empty string");
}
