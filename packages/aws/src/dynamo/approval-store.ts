/**
 * The governance ApprovalStore on the single table: one item per (proposal, approver) in the proposal's
 * partition (`APPROVAL#<address>`), written with a conditional put that checks the approver's last nonce
 * and status, so an approver counts once and a used nonce can't be used again; and the proposal's
 * approval status, moved out of AWAITING_APPROVAL by one conditional update — the threshold crossing.
 */
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { ApprovalStatus, ApproverStatus, type ApprovalBasis, type ApprovalStore, type ApprovalWriteResult, type CloseApprovalResult, type StoredApproval } from "@payrox/core/runs";
import { StoreInputError } from "../errors.js";
import { approvalKey, fromItem, ItemType, proposalKey, SkPrefix, TableKeys } from "./keys.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

/** TransactWriteItems takes at most 100 items: the proposal's update and up to 99 approver records. */
const MAX_BASIS = 99;

/** Options of {@link DynamoApprovalStore}. */
export type DynamoApprovalStoreOptions = DynamoTableOptions;

/** Approvals in DynamoDB. */
export class DynamoApprovalStore implements ApprovalStore {
  readonly #table: SingleTable;

  constructor(options: DynamoApprovalStoreOptions) {
    this.#table = new SingleTable(options);
  }

  /** Conditional put of the approver's record (see {@link ApprovalStore.putApproval}). */
  async putApproval(next: StoredApproval): Promise<ApprovalWriteResult> {
    if (!Number.isSafeInteger(next.nonce) || next.nonce < 0) throw new StoreInputError("nonce", `must be a non-negative integer, got ${next.nonce}`);
    const key = approvalKey(next.proposalId, next.approver);
    if (next.nonce === 0 && next.status === ApproverStatus.WITHDRAWN) {
      // Nothing can have been approved before nonce 0: refuse without writing, reporting what is stored.
      return { ok: false, stored: await this.#get(next.proposalId, next.approver) };
    }
    let names: Record<string, string> = { "#pk": TableKeys.PK };
    const values: Record<string, unknown> = {};
    let condition = "attribute_not_exists(#pk)";
    if (next.nonce > 0) {
      names = { "#nonce": "nonce", "#status": "status" };
      Object.assign(values, { ":prev": next.nonce - 1, ":rejected": ApproverStatus.REJECTED });
      condition = "#nonce = :prev AND #status <> :rejected";
      if (next.status === ApproverStatus.APPROVED) {
        condition += " AND #status <> :approved";
        values[":approved"] = ApproverStatus.APPROVED;
      } else if (next.status === ApproverStatus.WITHDRAWN) {
        condition += " AND #status = :approved";
        values[":approved"] = ApproverStatus.APPROVED;
      }
    }
    const result = await this.#table.conditionalPut({
      Item: { ...key, type: ItemType.APPROVAL, ...next },
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length > 0 && { ExpressionAttributeValues: values }),
    });
    return result.ok ? { ok: true } : { ok: false, stored: result.stored && fromItem<StoredApproval>(result.stored) };
  }

  /** Every approver record of the proposal (strongly consistent). */
  async listApprovals(proposalId: string): Promise<StoredApproval[]> {
    const items = await this.#table.queryAll({
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#sk": TableKeys.SK },
      ExpressionAttributeValues: { ":pk": proposalKey(proposalId).PK, ":prefix": SkPrefix.APPROVAL },
      ConsistentRead: true,
    });
    return items.map((item) => fromItem<StoredApproval>(item));
  }

  /**
   * One conditional update of the proposal item's `approval.status` out of AWAITING_APPROVAL; with a
   * `basis`, one transaction that also checks each counted approver record is unchanged.
   */
  async closeApproval(proposalId: string, to: "APPROVED" | "REJECTED", atMs: number, basis: readonly ApprovalBasis[] = []): Promise<CloseApprovalResult> {
    if (basis.length > MAX_BASIS) throw new StoreInputError("basis", `at most ${MAX_BASIS} approver records per status move, got ${basis.length}`);
    const update = {
      TableName: this.#table.name,
      Key: proposalKey(proposalId),
      UpdateExpression: "SET #approval.#status = :to, #approval.#decided = :at",
      ConditionExpression: "attribute_exists(#pk) AND #approval.#status = :awaiting",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#approval": "approval", "#status": "status", "#decided": "decidedAtMs" },
      ExpressionAttributeValues: { ":to": to, ":at": atMs, ":awaiting": ApprovalStatus.AWAITING_APPROVAL },
    };
    if (basis.length === 0) {
      const { TableName: _name, ...input } = update;
      return (await this.#table.conditionalUpdate(input)).ok ? { closed: true } : { closed: false, reason: "not-awaiting" };
    }
    const checks = basis.map((expected) => ({
      ConditionCheck: {
        TableName: this.#table.name,
        Key: approvalKey(proposalId, expected.approver),
        ConditionExpression: "#nonce = :nonce AND #status = :status",
        ExpressionAttributeNames: { "#nonce": "nonce", "#status": "status" },
        ExpressionAttributeValues: { ":nonce": expected.nonce, ":status": expected.status },
      },
    }));
    try {
      await this.#table.doc.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...checks] }));
      return { closed: true };
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if ((error as Error).name !== "TransactionCanceledException" || !reasons) throw this.#table.translate("TransactWriteItems", error);
      if (reasons[0]?.Code === "ConditionalCheckFailed") return { closed: false, reason: "not-awaiting" };
      if (reasons.slice(1).some((r) => r.Code === "ConditionalCheckFailed")) return { closed: false, reason: "basis-changed" };
      // Conflicting concurrent transactions (TransactionConflict): the caller counts again and retries.
      if (reasons.some((r) => r.Code === "TransactionConflict")) return { closed: false, reason: "basis-changed" };
      throw this.#table.translate("TransactWriteItems", error);
    }
  }

  async #get(proposalId: string, approver: string): Promise<StoredApproval | undefined> {
    const item = await this.#table.get(approvalKey(proposalId, approver));
    return item && fromItem<StoredApproval>(item);
  }
}
