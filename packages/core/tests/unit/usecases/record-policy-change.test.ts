import { describe, expect, it } from "vitest";
import { loadApprovalPolicy, OPERATIONS_AUDIT_STREAM, policyHash, recordPolicyChange, type PolicyRecord, type PolicyRecordStore } from "../../../src/index.js";
import { eoaPolicy } from "../../support/governance.js";
import { InMemoryAuditLog, ManualClock } from "../../support/in-memory-ports.js";

/** The policy record as a conditional store keeps it; `failNextAdvance` stands for a crash right after the audit append. */
class MemoryPolicyRecords implements PolicyRecordStore {
  record: PolicyRecord | undefined;
  failNextAdvance = false;
  async current(): Promise<PolicyRecord | undefined> {
    return this.record && { ...this.record };
  }
  async advance(expected: PolicyRecord | undefined, next: PolicyRecord): Promise<boolean> {
    if (this.failNextAdvance) {
      this.failNextAdvance = false;
      throw new Error("process died");
    }
    if (this.record?.version !== expected?.version) return false;
    this.record = { ...next };
    return true;
  }
}

const none = loadApprovalPolicy({ approvals: "none" }, { protectedStage: false });

function harness() {
  const audit = new InMemoryAuditLog();
  const records = new MemoryPolicyRecords();
  const deps = { audit, clock: new ManualClock(1_800_000_000_000), actor: "deployment" };
  const changes = async () => (await audit.list(OPERATIONS_AUDIT_STREAM)).map((e) => [e.details?.from, e.details?.to, e.details?.version]);
  return { audit, records, deps, changes };
}

describe("recordPolicyChange", () => {
  it("records the first policy from null, then nothing while it is unchanged", async () => {
    // Prepare
    const { records, deps, changes } = harness();

    // Act
    const first = await recordPolicyChange({ policy: none, records }, deps);
    const again = await recordPolicyChange({ policy: none, records }, deps);

    // Assess
    expect(first).toEqual({ policyHash: policyHash(none), changed: true });
    expect(again).toEqual({ policyHash: policyHash(none), changed: false });
    expect(await changes()).toEqual([[null, policyHash(none), 1]]);
  });

  it("records each change, a change back included", async () => {
    // Prepare
    const { records, deps, changes } = harness();
    const strict = eoaPolicy(3, 2);

    // Act
    for (const policy of [none, strict, none]) await recordPolicyChange({ policy, records }, deps);

    // Assess
    expect(await changes()).toEqual([[null, policyHash(none), 1], [policyHash(none), policyHash(strict), 2], [policyHash(strict), policyHash(none), 3]]);
  });

  it("records a change once when the process died between the entry and the record", async () => {
    // Prepare
    const { records, deps, changes } = harness();
    records.failNextAdvance = true;

    // Act
    await expect(recordPolicyChange({ policy: none, records }, deps)).rejects.toThrow("process died");
    await recordPolicyChange({ policy: none, records }, deps);

    // Assess
    expect(await changes()).toEqual([[null, policyHash(none), 1]]);
    expect(records.record).toEqual({ policyHash: policyHash(none), version: 1 });
  });

  it("records a change once when many containers record it at once", async () => {
    // Prepare
    const { records, deps, changes } = harness();
    const strict = eoaPolicy(3, 2);

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => recordPolicyChange({ policy: strict, records }, deps)));

    // Assess
    expect(results.every((r) => r.changed)).toBe(true);
    expect(await changes()).toEqual([[null, policyHash(strict), 1]]);
  });
});
