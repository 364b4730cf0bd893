/**
 * `payrox approve`'s signing side, without a network: the typed data it builds from the API's subject,
 * the `--print` payload, the signature it sends, the key file it reads, and its usage errors. The API is
 * an in-memory stand-in of the two calls (the integration test runs the real one).
 */
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApprovalAction, approvalHashes, approvalTypedData, loadApprovalPolicy, verifySignature, type ApprovalSubject } from "@payrox/core";
import { keccak256, toBeHex, TypedDataEncoder, verifyTypedData, Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { ApprovalsViewSchema, type ApprovalSubmission, type ApprovalsView, type ApprovalSubmitResult } from "../src/api-client.js";
import { readApproverKey } from "../src/approval/key-file.js";
import { prepareApproval } from "../src/approval/prepare.js";
import { approveWithSigner, describeResult, submitPrepared } from "../src/approval/submit.js";
import { DEVNET_APPROVAL_POLICY, DEVNET_ONLY_APPROVER_KEYS, devnetSigningApprovers } from "../src/devnet/approvers.js";
import { ApprovalViewError, ApproverKeyError, NotAnApproverError, SignatureMismatchError } from "../src/errors.js";
import { run } from "../src/run.js";

/** Test-only approver keys (derived from fixed numbers, never funded anywhere). */
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(toBeHex(0xc11a0000 + i, 32))));
const outsider = new Wallet(keccak256(toBeHex(0xbad, 32)));

const subject: ApprovalSubject = {
  deploymentId: "payrox-test",
  proposalId: "p-1",
  root: "0x" + "ab".repeat(32),
  leafCount: 68,
  manifestHash: "0x" + "cd".repeat(32),
  policyHash: "0x" + "ef".repeat(32),
  targets: [
    { network: "devnet-1", chainId: 31337, dispatcher: "0x00000000000000000000000000000000000d15a7", activationDelaySeconds: 30, expiryWindowSeconds: 86_400 },
    { network: "devnet-2", chainId: 31338, dispatcher: "0x00000000000000000000000000000000000d15a7", activationDelaySeconds: 30, expiryWindowSeconds: 86_400 },
  ],
  earliestCommitAt: 0,
  cutoverAt: 1_800_000_000,
  deadline: 1_800_086_400,
};

/** The API's view of `subject` with approver 1 at nonce 2 (it approved and withdrew before). */
function viewOf(over: Partial<ApprovalsView> = {}): ApprovalsView {
  return ApprovalsViewSchema.parse({
    proposalId: subject.proposalId,
    status: "AWAITING_APPROVAL",
    threshold: 2,
    approved: 0,
    deadline: subject.deadline,
    subject,
    approvers: keys.map((k, i) => ({ id: `a${i}`, address: k.address, kind: "eoa", nextNonce: i === 1 ? 2 : 0, ...(i === 1 && { status: "withdrawn" }) })),
    approvals: [],
    ...over,
  });
}

/** The two API calls `approve` makes, in memory; records what was sent. */
function stubApi(view = viewOf()) {
  const sent: { id: string; body: ApprovalSubmission }[] = [];
  return {
    sent,
    approvals: async () => view,
    submitApproval: async (id: string, body: ApprovalSubmission): Promise<ApprovalSubmitResult> => {
      sent.push({ id, body });
      return { approval: { approver: body.approver!, approverId: "a0", status: "approved", action: body.action, nonce: body.nonce, digest: "0x" }, status: "AWAITING_APPROVAL", approvals: 1, threshold: 2, scheduled: false, rejected: false };
    },
  };
}

/** `payrox …` in-process; no network is reached by the cases that use it. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: process.cwd() });
  return { code, stdout, stderr };
}

describe("prepareApproval", () => {
  it.each([ApprovalAction.APPROVE, ApprovalAction.REJECT, ApprovalAction.WITHDRAW])("builds the %s typed data core builds from the subject, with the approver's next nonce", async (action) => {
    // Act
    const prepared = await prepareApproval(stubApi(), { proposalId: "p-1", action, approver: keys[1]!.address.toLowerCase() });

    // Assess
    const expected = approvalTypedData(subject, action, 2);
    expect(prepared.nonce).toBe(2);
    expect(prepared.typedData).toEqual(expected);
    expect(prepared.hashes).toEqual(approvalHashes(expected));
    expect(prepared.approver?.id).toBe("a1");
  });

  it("gives a payload in eth_signTypedData_v4 shape whose JSON hashes to the same digest", async () => {
    // Act
    const prepared = await prepareApproval(stubApi(), { proposalId: "p-1", action: ApprovalAction.APPROVE, nonce: 5 });
    const parsed = JSON.parse(JSON.stringify(prepared.payload)) as typeof prepared.payload;

    // Assess
    expect(parsed.primaryType).toBe("Approve");
    expect(parsed.types.EIP712Domain).toEqual([
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "salt", type: "bytes32" },
    ]);
    const { EIP712Domain: _domain, ...types } = parsed.types;
    expect(TypedDataEncoder.hash(parsed.domain, types, parsed.message)).toBe(prepared.hashes.digest);
    expect(TypedDataEncoder.hashDomain(parsed.domain)).toBe(prepared.hashes.domainSeparator);
    expect(prepared.hashes.digest).toBe(approvalHashes(approvalTypedData(subject, ApprovalAction.APPROVE, 5)).digest);
  });

  it("refuses a signer the policy does not list, before anything is signed", async () => {
    await expect(prepareApproval(stubApi(), { proposalId: "p-1", action: ApprovalAction.APPROVE, approver: outsider.address })).rejects.toBeInstanceOf(NotAnApproverError);
  });

  it("refuses a view whose subject is another proposal's", async () => {
    // Prepare
    const api = stubApi(viewOf({ subject: { ...subject, targets: [...subject.targets], proposalId: "p-2" } }));

    // Act / Assess
    await expect(prepareApproval(api, { proposalId: "p-1", action: ApprovalAction.APPROVE, approver: keys[0]!.address })).rejects.toBeInstanceOf(ApprovalViewError);
  });
});

describe("approveWithSigner", () => {
  it("sends a signature that recovers to the key's address and that core's verifier accepts", async () => {
    // Prepare
    const api = stubApi();
    const rules = loadApprovalPolicy({ approvals: { approvers: keys.map((k, i) => ({ id: `a${i}`, address: k.address, kind: "eoa" })), threshold: 2, windowSeconds: 3600, proposerMap: {}, allOrNone: false } }, { protectedStage: true }).approvals;
    if (rules === "none") throw new Error("unreachable");

    // Act
    const { prepared, signature } = await approveWithSigner(api, { proposalId: "p-1", action: ApprovalAction.APPROVE, signer: keys[0]! });

    // Assess
    expect(api.sent).toEqual([{ id: "p-1", body: { action: "Approve", nonce: 0, signature, approver: keys[0]!.address } }]);
    expect(verifyTypedData(prepared.typedData.domain, prepared.typedData.types, prepared.typedData.message, signature)).toBe(keys[0]!.address);
    const verified = await verifySignature(api.sent[0]!.body, { subject, rules, proposer: "nobody" });
    expect(verified.approver.address).toBe(keys[0]!.address);
    expect(verified.hashes.digest).toBe(prepared.hashes.digest);
  });

  it("sends nothing for a key that is not an approver", async () => {
    // Prepare
    const api = stubApi();

    // Act / Assess
    await expect(approveWithSigner(api, { proposalId: "p-1", action: ApprovalAction.APPROVE, signer: outsider })).rejects.toBeInstanceOf(NotAnApproverError);
    expect(api.sent).toEqual([]);
  });
});

describe("submitPrepared", () => {
  it("sends nothing when a --signature is another key's or over other typed data", async () => {
    // Prepare
    const api = stubApi();
    const prepared = await prepareApproval(api, { proposalId: "p-1", action: ApprovalAction.APPROVE, approver: keys[0]!.address });
    const byOther = await keys[2]!.signTypedData(prepared.typedData.domain, prepared.typedData.types, prepared.typedData.message);
    const reject = approvalTypedData(subject, ApprovalAction.REJECT, 0);
    const overOther = await keys[0]!.signTypedData(reject.domain, reject.types, reject.message);

    // Act / Assess
    await expect(submitPrepared(api, prepared, byOther)).rejects.toThrow(SignatureMismatchError);
    await expect(submitPrepared(api, prepared, overOther)).rejects.toThrow(new RegExp(prepared.hashes.digest));
    await expect(submitPrepared(api, prepared, "0x1234")).rejects.toThrow(SignatureMismatchError);
    expect(api.sent).toEqual([]);
  });
});

describe("describeResult", () => {
  it("says k/M, the status, and when the threshold was crossed that the commits are scheduled", () => {
    const base = { approval: { approver: "0x", approverId: "a", status: "approved", action: "Approve", nonce: 0, digest: "0x" }, threshold: 2, rejected: false };
    expect(describeResult({ ...base, approvals: 1, status: "AWAITING_APPROVAL", scheduled: false })).toBe("AWAITING_APPROVAL 1/2");
    expect(describeResult({ ...base, approvals: 2, status: "APPROVED", scheduled: true })).toBe("2/2 → APPROVED, commits scheduled");
  });
});

describe("readApproverKey", () => {
  async function keyFile(content: string, mode: number): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), "payrox-key-")), "approver.key");
    await writeFile(path, content);
    await chmod(path, mode);
    return path;
  }

  it("reads a 0x key from a file only its owner can read", async () => {
    const wallet = await readApproverKey(await keyFile(`${keys[0]!.privateKey}\n`, 0o600));
    expect(wallet.address).toBe(keys[0]!.address);
  });

  it.skipIf(process.platform === "win32")("refuses a file others can read, without showing the key", async () => {
    // Act
    const error = await readApproverKey(await keyFile(keys[0]!.privateKey, 0o644)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ApproverKeyError);
    expect((error as Error).message).toMatch(/mode 644.*chmod 600/);
    expect((error as Error).message).not.toContain(keys[0]!.privateKey.slice(2, 20));
  });

  it("refuses a file that holds anything but one key, without showing its content", async () => {
    const content = "0x" + "12".repeat(31) + " secret-words";
    const error = await readApproverKey(await keyFile(content, 0o600)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApproverKeyError);
    expect((error as Error).message).not.toContain("secret-words");
  });
});

describe("payrox approve (usage)", () => {
  it.each([
    [["p-1"], /give one of --key-file, --print or --signature/],
    [["p-1", "--print", "--signature", "0x12"], /--print and --signature can't be combined/],
    [["p-1", "--print"], /--print needs --approver/],
    [["p-1", "--signature", "0x12"], /--signature needs --approver/],
    [["p-1", "--print", "--nonce", "0", "--reject", "--withdraw"], /--reject and --withdraw can't be combined/],
    [["p-1", "--print", "--approver", "0x123"], /--approver must be an address/],
  ])("exits 2 for %j", async (args, message) => {
    const { code, stderr } = await cli("approve", ...args, "--api", "http://127.0.0.1:9");
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it.skipIf(process.platform === "win32")("exits 1 for a key file others can read, before any request and without printing the key", async () => {
    // Prepare
    const path = join(await mkdtemp(join(tmpdir(), "payrox-key-")), "open.key");
    await writeFile(path, keys[0]!.privateKey);
    await chmod(path, 0o644);

    // Act
    const { code, stdout, stderr } = await cli("approve", "p-1", "--key-file", path, "--api", "http://127.0.0.1:9");

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/ApproverKeyError|approver key file .* may be read/);
    expect(stderr + stdout).not.toContain(keys[0]!.privateKey.slice(2));
  });
});

describe("the devnet's approvers", () => {
  it("are anvil's public accounts 7, 8, 9 in a 2-of-3 policy core accepts, with the proposer mapped to the third", () => {
    // Act
    const policy = loadApprovalPolicy(DEVNET_APPROVAL_POLICY, { protectedStage: false });

    // Assess
    for (const approver of DEVNET_ONLY_APPROVER_KEYS) expect(new Wallet(approver.privateKey).address).toBe(approver.address);
    expect(policy.approvals === "none" ? 0 : policy.approvals.threshold).toBe(2);
    expect(devnetSigningApprovers().map((a) => a.wallet.address)).not.toContain(DEVNET_ONLY_APPROVER_KEYS[2]!.address);
  });
});
