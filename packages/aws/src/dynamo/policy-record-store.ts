/**
 * The governance PolicyRecordStore on the single table: one item (`POLICY` / `CURRENT`) holding the hash
 * of the approval policy the deployment last ran with, moved only by a conditional write on its version.
 */
import type { PolicyRecord, PolicyRecordStore } from "@payrox/core/runs";
import { ItemType, POLICY_RECORD_KEY, TableKeys } from "./keys.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

/** Options of {@link DynamoPolicyRecordStore}. */
export type DynamoPolicyRecordStoreOptions = DynamoTableOptions;

/** The policy record in DynamoDB. */
export class DynamoPolicyRecordStore implements PolicyRecordStore {
  readonly #table: SingleTable;

  constructor(options: DynamoPolicyRecordStoreOptions) {
    this.#table = new SingleTable(options);
  }

  /** The recorded policy (the table's get is strongly consistent). */
  async current(): Promise<PolicyRecord | undefined> {
    const item = await this.#table.get(POLICY_RECORD_KEY);
    return item && { policyHash: String(item.policyHash), version: Number(item.version) };
  }

  /** Conditional put: absent when `expected` is undefined, else still at `expected.version`. */
  async advance(expected: PolicyRecord | undefined, next: PolicyRecord): Promise<boolean> {
    const result = await this.#table.conditionalPut({
      Item: { ...POLICY_RECORD_KEY, type: ItemType.POLICY, policyHash: next.policyHash, version: next.version },
      ...(expected
        ? { ConditionExpression: "#version = :version", ExpressionAttributeNames: { "#version": "version" }, ExpressionAttributeValues: { ":version": expected.version } }
        : { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": TableKeys.PK } }),
    });
    return result.ok;
  }
}
