import fc from "fast-check";
import { StepName } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { auditKey, fromItem, MAX_KEY_PART_BYTES, nonceKey, proposalKey, proposalListKeys, runKey, stepKey, txKey } from "../../src/dynamo/keys.js";
import { StoreInputError } from "../../src/index.js";

describe("keys", () => {
  it("places a proposal's runs, steps and audit entries in the proposal's partition", () => {
    expect(runKey("p1", "base")).toEqual({ PK: "PROPOSAL#p1", SK: "RUN#base" });
    expect(stepKey("p1", "base", StepName.APPLY, "3")).toEqual({ PK: "PROPOSAL#p1", SK: "STEP#base#apply#3" });
    expect(auditKey("p1", 42)).toEqual({ PK: "PROPOSAL#p1", SK: "AUDIT#0000000042" });
  });

  it("orders audit sort keys like their seqs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_999_999_999 }), fc.integer({ min: 1, max: 9_999_999_999 }), (a, b) => {
        expect(auditKey("p", a).SK < auditKey("p", b).SK).toBe(a < b);
      }),
    );
  });

  it("orders the proposal listing by creation time, then id", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 46 }), fc.integer({ min: 0, max: 2 ** 46 }), (a, b) => {
        fc.pre(a !== b);
        expect(proposalListKeys("x", a).GSI1SK < proposalListKeys("x", b).GSI1SK).toBe(a < b);
      }),
    );
  });

  it("lower-cases the signer of a nonce key and keeps the step id of a journal key opaque", () => {
    expect(nonceKey("ethereum", "0xAbC")).toEqual(nonceKey("ethereum", "0xabc"));
    expect(txKey("p#1/eth/apply/0")).toEqual({ PK: "TX#p#1/eth/apply/0", SK: "TX" });
  });

  it("refuses key parts that are empty or contain the separator, and seqs out of range", () => {
    expect(() => runKey("p#1", "base")).toThrow(StoreInputError);
    expect(() => runKey("p1", "")).toThrow(StoreInputError);
    expect(() => stepKey("p1", "base", StepName.APPLY, "1#2")).toThrow(StoreInputError);
    expect(() => auditKey("p1", -1)).toThrow(StoreInputError);
    expect(() => auditKey("p1", 1.5)).toThrow(StoreInputError);
    expect(() => auditKey("p1", 10_000_000_000)).toThrow(StoreInputError);
  });

  it("refuses a key part over MAX_KEY_PART_BYTES UTF-8 bytes, which DynamoDB would refuse as a key", () => {
    // Prepare: the longest accepted id, in one- and two-byte characters
    const longest = "a".repeat(MAX_KEY_PART_BYTES);
    // Act + Assess
    expect(proposalKey(longest).PK).toBe(`PROPOSAL#${longest}`);
    expect(() => proposalKey(`${longest}a`)).toThrow(/at most 512 bytes/);
    expect(() => proposalKey("é".repeat(MAX_KEY_PART_BYTES / 2 + 1))).toThrow(StoreInputError);
    expect(() => proposalListKeys("x".repeat(2_039), 1)).toThrow(StoreInputError);
  });

  it("strips storage-only attributes from an item", () => {
    expect(fromItem({ PK: "a", SK: "b", GSI1PK: "c", GSI1SK: "d", type: "run", ttl: 1, network: "base", version: 2 })).toEqual({ network: "base", version: 2 });
  });
});
