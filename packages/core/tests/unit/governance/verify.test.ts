import { getAddress, Signature, toBeHex } from "ethers";
import { describe, expect, it } from "vitest";
import {
  ApprovalAction,
  ApprovalRejectedError,
  approvalHashes,
  approvalRulesOf,
  approvalTypedData,
  loadApprovalPolicy,
  parseSubmittedSignature,
  verifySignature,
  type ApprovalSubject,
  type VerifyContext,
} from "../../../src/index.js";
import { approverKey, eoaPolicy, TableErc1271 } from "../../support/governance.js";

const SAFE = getAddress("0x00000000000000000000000000000000005afe01");
const subject: ApprovalSubject = {
  deploymentId: "payrox-test",
  proposalId: "p-1",
  root: `0x${"12".repeat(32)}`,
  leafCount: 6,
  manifestHash: `0x${"34".repeat(32)}`,
  policyHash: `0x${"56".repeat(32)}`,
  targets: [{ network: "base", chainId: 8453, dispatcher: "0x00000000000000000000000000000000000d15a7", activationDelaySeconds: 3_600, expiryWindowSeconds: 86_400 }],
  earliestCommitAt: 0,
  cutoverAt: 0,
  deadline: 1_900_000_000,
};
const rules = approvalRulesOf(eoaPolicy(3, 2))!;
const ctx = (patch: Partial<VerifyContext> = {}): VerifyContext => ({ subject, rules, proposer: "bob", ...patch });

async function sign(i: number, action: ApprovalAction = ApprovalAction.APPROVE, nonce = 0, over: ApprovalSubject = subject): Promise<string> {
  const data = approvalTypedData(over, action, nonce);
  return approverKey(i).signTypedData(data.domain, data.types, data.message);
}

async function refusal(promise: Promise<unknown>): Promise<ApprovalRejectedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApprovalRejectedError);
  return error as ApprovalRejectedError;
}

describe("verifySignature", () => {
  it("recovers the same approver from the 65-byte and the EIP-2098 64-byte form", async () => {
    // Prepare
    const long = await sign(1);
    const short = Signature.from(long).compactSerialized;
    // Act
    const a = await verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature: long }), ctx());
    const b = await verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature: short }), ctx());
    // Assess
    expect(short.length).toBe(2 + 128);
    expect(a.approver.id).toBe("a1");
    expect(b.approver).toEqual(a.approver);
    expect(b.hashes.digest).toBe(approvalHashes(approvalTypedData(subject, "Approve", 0)).digest);
  });

  const malformed: [string, unknown][] = [
    ["a signature that is not hex", { action: "Approve", nonce: 0, signature: "0xzz" }],
    ["a missing nonce", { action: "Approve", signature: `0x${"11".repeat(65)}` }],
    ["an unknown action", { action: "Veto", nonce: 0, signature: `0x${"11".repeat(65)}` }],
    ["a 63-byte signature", { action: "Approve", nonce: 0, signature: `0x${"11".repeat(63)}` }],
    ["an r that is not on the curve", { action: "Approve", nonce: 0, signature: `0x${"00".repeat(64)}1b` }],
  ];
  it.each(malformed)("refuses %s as malformed-signature (400)", async (_label, body) => {
    const error = await refusal((async () => verifySignature(parseSubmittedSignature(body), ctx()))());
    expect(error).toMatchObject({ code: "malformed-signature", status: 400 });
  });

  it("refuses a high-s (malleated) signature as malformed", async () => {
    const sig = Signature.from(await sign(1));
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const high = `${sig.r}${toBeHex(n - BigInt(sig.s), 32).slice(2)}${sig.v === 27 ? "1c" : "1b"}`;
    const error = await refusal(verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature: high }), ctx()));
    expect(error.code).toBe("malformed-signature");
  });

  it("refuses a key that is not an approver (403)", async () => {
    const error = await refusal(verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature: await sign(7) }), ctx()));
    expect(error).toMatchObject({ code: "not-approver", status: 403, details: { signer: approverKey(7).address } });
  });

  it("refuses a named address that is not an approver (403)", async () => {
    const error = await refusal(verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature: await sign(1), approver: approverKey(7).address }), ctx()));
    expect(error.code).toBe("not-approver");
  });

  const others: [string, Partial<ApprovalSubject>][] = [
    ["another proposal", { proposalId: "p-2" }],
    ["another chain", { targets: [{ ...subject.targets[0]!, chainId: 10 }] }],
    ["another dispatcher", { targets: [{ ...subject.targets[0]!, dispatcher: "0x00000000000000000000000000000000000d15a8" }] }],
    ["another manifest", { manifestHash: `0x${"35".repeat(32)}` }],
    ["another policy", { policyHash: `0x${"57".repeat(32)}` }],
  ];
  it.each(others)("refuses a signature over %s as digest-mismatch when the approver is named", async (_label, patch) => {
    const signature = await sign(1, ApprovalAction.APPROVE, 0, { ...subject, ...patch });
    const error = await refusal(verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature, approver: approverKey(1).address }), ctx()));
    expect(error).toMatchObject({ code: "digest-mismatch", details: { digest: approvalHashes(approvalTypedData(subject, "Approve", 0)).digest } });
  });

  it("refuses a Reject submitted as an Approve (the action is part of what is signed)", async () => {
    const error = await refusal(verifySignature(parseSubmittedSignature({ action: "Approve", nonce: 0, signature: await sign(1, ApprovalAction.REJECT), approver: approverKey(1).address }), ctx()));
    expect(error.code).toBe("digest-mismatch");
  });

  it("refuses the proposer's own approval when self-approval is forbidden, but takes its Reject", async () => {
    // Prepare: alice maps to approver 0
    const approve = parseSubmittedSignature({ action: "Approve", nonce: 0, signature: await sign(0) });
    const reject = parseSubmittedSignature({ action: "Reject", nonce: 0, signature: await sign(0, ApprovalAction.REJECT) });
    // Act / Assess
    expect(await refusal(verifySignature(approve, ctx({ proposer: "alice" })))).toMatchObject({ code: "self-approval", status: 403 });
    expect((await verifySignature(reject, ctx({ proposer: "alice" }))).approver.id).toBe("a0");
    const lenient = approvalRulesOf(eoaPolicy(3, 2, { forbidSelfApproval: false }))!;
    expect((await verifySignature(approve, ctx({ proposer: "alice", rules: lenient }))).approver.id).toBe("a0");
  });
});

describe("verifySignature › ERC-1271 approvers", () => {
  const policy = loadApprovalPolicy(
    { approvals: { approvers: [{ id: "k", address: approverKey(0).address, kind: "eoa" }, { id: "safe", address: SAFE, kind: "erc1271", network: "base" }], threshold: 1, windowSeconds: 3_600, proposerMap: {}, allOrNone: false } },
    { protectedStage: true },
  );
  const safeRules = approvalRulesOf(policy)!;
  const digest = approvalHashes(approvalTypedData(subject, "Approve", 0)).digest;
  const submitted = parseSubmittedSignature({ action: "Approve", nonce: 0, signature: "0xc0ffee", approver: SAFE });

  it("accepts the account's signature when isValidSignature returns the magic value", async () => {
    const reader = new TableErc1271();
    reader.valid.set(SAFE.toLowerCase(), new Set([`${digest}:0xc0ffee`]));
    const verified = await verifySignature(submitted, ctx({ rules: safeRules, erc1271: reader }));
    expect(verified).toMatchObject({ approver: { id: "safe" }, blockNumber: 7 });
  });

  it("refuses an answer other than the magic value as erc1271-rejected", async () => {
    const error = await refusal(verifySignature(submitted, ctx({ rules: safeRules, erc1271: new TableErc1271() })));
    expect(error).toMatchObject({ code: "erc1271-rejected", status: 403 });
  });

  it("refuses a revert as erc1271-reverted, and so without a reader", async () => {
    const reader = new TableErc1271();
    reader.reverting.add(SAFE.toLowerCase());
    expect((await refusal(verifySignature(submitted, ctx({ rules: safeRules, erc1271: reader })))).code).toBe("erc1271-reverted");
    expect((await refusal(verifySignature(submitted, ctx({ rules: safeRules })))).code).toBe("erc1271-reverted");
  });
});
