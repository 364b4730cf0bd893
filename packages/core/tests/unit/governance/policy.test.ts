import { describe, expect, it } from "vitest";
import { ApprovalPolicyError, approvalRulesOf, loadApprovalPolicy, policyHash } from "../../../src/index.js";
import { approverKey } from "../../support/governance.js";

const A = approverKey(0).address;
const B = approverKey(1).address;
const rules = (patch: Record<string, unknown> = {}) => ({
  approvers: [
    { id: "ops-1", address: A, kind: "eoa" },
    { id: "treasury-safe", address: B, kind: "erc1271", network: "base" },
  ],
  threshold: 2,
  windowSeconds: 3_600,
  proposerMap: { "arn:aws:iam::1:user/alice": A },
  allOrNone: true,
  ...patch,
});

function refusal(source: unknown, protectedStage = false): ApprovalPolicyError {
  try {
    loadApprovalPolicy(source, { protectedStage, isKnownNetwork: (id) => ["base", "ethereum"].includes(id) });
  } catch (error) {
    expect(error).toBeInstanceOf(ApprovalPolicyError);
    return error as ApprovalPolicyError;
  }
  throw new Error("expected the policy to be refused");
}

describe("loadApprovalPolicy", () => {
  it("accepts a policy, applies forbidSelfApproval's default and normalises addresses to EIP-55", () => {
    // Prepare
    const lower = rules({ approvers: [{ id: "ops-1", address: A.toLowerCase(), kind: "eoa" }, { id: "treasury-safe", address: B, kind: "erc1271", network: "base" }] });
    // Act
    const policy = loadApprovalPolicy(JSON.stringify({ approvals: lower }), { protectedStage: true });
    // Assess
    const r = approvalRulesOf(policy)!;
    expect(r.forbidSelfApproval).toBe(true);
    expect(r.approvers[0]!.address).toBe(A);
    expect(r.threshold).toBe(2);
  });

  it('accepts approvals: "none" on an unprotected stage and refuses it on a protected one', () => {
    expect(approvalRulesOf(loadApprovalPolicy({ approvals: "none" }, { protectedStage: false }))).toBeUndefined();
    expect(refusal({ approvals: "none" }, true)).toMatchObject({ field: "approvals" });
  });

  const cases: [string, unknown, string][] = [
    ["no policy at all", undefined, "approvals"],
    ["an empty string", "", "approvals"],
    ["text that is not JSON", "{ approvals", ""],
    ["a document without approvals", {}, "approvals"],
    ["a threshold above the approver count", { approvals: rules({ threshold: 3 }) }, "approvals.threshold"],
    ["a zero threshold", { approvals: rules({ threshold: 0 }) }, "approvals.threshold"],
    ["no approvers", { approvals: rules({ approvers: [], threshold: 1 }) }, "approvals.approvers"],
    ["a malformed address", { approvals: rules({ approvers: [{ id: "x", address: "0x1234", kind: "eoa" }], threshold: 1, proposerMap: {} }) }, "approvals.approvers.0.address"],
    ["an unknown approver kind", { approvals: rules({ approvers: [{ id: "x", address: A, kind: "passkey" }], threshold: 1 }) }, "approvals.approvers.0.kind"],
    ["an ERC-1271 approver without a network", { approvals: rules({ approvers: [{ id: "x", address: A, kind: "erc1271" }], threshold: 1 }) }, "approvals.approvers.0.network"],
    ["an ERC-1271 approver on an unknown network", { approvals: rules({ approvers: [{ id: "ops-1", address: A, kind: "eoa" }, { id: "s", address: B, kind: "erc1271", network: "goerli" }] }) }, "approvals.approvers.1.network"],
    ["the same address twice", { approvals: rules({ approvers: [{ id: "a", address: A, kind: "eoa" }, { id: "b", address: A.toLowerCase(), kind: "eoa" }] }) }, "approvals.approvers.1.address"],
    ["a proposer mapped to a non-approver", { approvals: rules({ proposerMap: { bob: approverKey(9).address } }) }, "approvals.proposerMap.bob"],
    ["a missing allOrNone", { approvals: { ...rules(), allOrNone: undefined } }, "approvals.allOrNone"],
    ["a window under a minute", { approvals: rules({ windowSeconds: 59 }) }, "approvals.windowSeconds"],
    ["an unknown field", { approvals: rules({ quorum: 2 }) }, "approvals"],
  ];
  it.each(cases)("refuses %s with a typed error naming the field", (_label, source, field) => {
    expect(refusal(source).field).toBe(field);
  });
});

describe("policyHash", () => {
  it("hashes two spellings of one policy alike (key order, address case) and any rule change differently", () => {
    // Prepare
    const a = loadApprovalPolicy({ approvals: rules() }, { protectedStage: false });
    const reordered = loadApprovalPolicy({ approvals: Object.fromEntries(Object.entries({ ...rules(), approvers: rules().approvers.map((x) => ({ ...x, address: x.address.toLowerCase() })) }).reverse()) }, { protectedStage: false });
    const stricter = loadApprovalPolicy({ approvals: rules({ windowSeconds: 3_601 }) }, { protectedStage: false });
    // Act / Assess
    expect(policyHash(a)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(policyHash(reordered)).toBe(policyHash(a));
    expect(policyHash(stricter)).not.toBe(policyHash(a));
    expect(policyHash(loadApprovalPolicy({ approvals: rules({ forbidSelfApproval: false }) }, { protectedStage: false }))).not.toBe(policyHash(a));
  });
});
