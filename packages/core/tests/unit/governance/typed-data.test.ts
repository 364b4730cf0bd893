import { AbiCoder, concat, id, keccak256, TypedDataEncoder, verifyTypedData } from "ethers";
import { describe, expect, it } from "vitest";
import { ApprovalAction, approvalDomain, approvalHashes, approvalTypedData, manifestFileHash, type ApprovalSubject } from "../../../src/index.js";
import { approverKey } from "../../support/governance.js";

/** A fixed subject: its digests are pinned below and must not change across releases. */
const SUBJECT: ApprovalSubject = {
  deploymentId: "payrox-prod",
  proposalId: "5b0e6c1e-3f0a-4c2e-9a59-0d3c3c1e7f10",
  root: "0x9f2b0a1d4c6e8f7a5b3c1d2e4f6a8b0c9d7e5f3a1b2c4d6e8f0a9b7c5d3e1f20",
  leafCount: 42,
  manifestHash: manifestFileHash('{\n  "format": "payrox-manifest/v2"\n}\n'),
  policyHash: "0x1111111111111111111111111111111111111111111111111111111111111111",
  targets: [
    { network: "ethereum", chainId: 1, dispatcher: "0x1234567890AbcdEF1234567890aBcdef12345678", activationDelaySeconds: 86_400, expiryWindowSeconds: 604_800 },
    { network: "base", chainId: 8453, dispatcher: "0x1234567890AbcdEF1234567890aBcdef12345678", activationDelaySeconds: 3_600, expiryWindowSeconds: 86_400 },
  ],
  earliestCommitAt: 1_800_000_000,
  cutoverAt: 1_800_090_000,
  deadline: 1_800_003_600,
};

describe("approvalTypedData", () => {
  it("uses the PayRox domain with the deployment id as salt and no chainId", () => {
    const domain = approvalDomain("payrox-prod");
    expect(domain).toEqual({ name: "PayRox", version: "1", salt: keccak256(Buffer.from("payrox-prod")) });
    expect(domain).not.toHaveProperty("chainId");
  });

  it("pins the digests of a fixed proposal (digest stability across releases)", () => {
    // Act
    const approve = approvalHashes(approvalTypedData(SUBJECT, ApprovalAction.APPROVE, 0));
    // Assess
    expect(approve).toEqual({
      domainSeparator: "0xcfb19e76c579887ef9e05001e0fad01c6b681c8dc7210eb4273c846941d9a799",
      structHash: "0xf81b6114af7d8dc3e7fe8f5b375df5075c1f53ae89d72ced4118a9a97a2c5aa2",
      digest: "0x202050792b6e1a290424266145ab671ad288ad50bcd2ae5fee696c73078cac65",
    });
    expect(approvalHashes(approvalTypedData(SUBJECT, ApprovalAction.REJECT, 0)).digest).toBe("0x6593616f248f70f44f3faef3a2a20e61f9c79819eeb0a48d158287105c8c2b8e");
    expect(approvalHashes(approvalTypedData(SUBJECT, ApprovalAction.WITHDRAW, 1)).digest).toBe("0x2bc85f60b2e54f16ffc2ca4721747c69236407293e65b1fb65bcf40c5e69d187");
  });

  it("computes the domain separator as EIP-712 defines it for (name, version, salt)", () => {
    const typeHash = id("EIP712Domain(string name,string version,bytes32 salt)");
    const expected = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "bytes32", "bytes32"], [typeHash, id("PayRox"), id("1"), id("payrox-prod")]));
    expect(approvalHashes(approvalTypedData(SUBJECT, ApprovalAction.APPROVE, 0)).domainSeparator).toBe(expected);
  });

  it("exposes hashes consistent with EIP-712: digest = keccak256(0x1901 ‖ domainSeparator ‖ structHash)", () => {
    const data = approvalTypedData(SUBJECT, ApprovalAction.APPROVE, 3);
    const { domainSeparator, structHash, digest } = approvalHashes(data);
    expect(digest).toBe(keccak256(concat(["0x1901", domainSeparator, structHash])));
    expect(TypedDataEncoder.getPrimaryType(data.types)).toBe("Approve");
  });

  it("gives Approve, Reject and Withdraw distinct digests for the same message, so none replays as another", () => {
    const digests = Object.values(ApprovalAction).map((action) => approvalHashes(approvalTypedData(SUBJECT, action, 0)).digest);
    expect(new Set(digests).size).toBe(3);
  });

  const changes: [string, Partial<ApprovalSubject>][] = [
    ["the deployment", { deploymentId: "payrox-staging" }],
    ["the proposal id", { proposalId: "5b0e6c1e-3f0a-4c2e-9a59-0d3c3c1e7f11" }],
    ["the root", { root: `0x${"ab".repeat(32)}` }],
    ["the leaf count", { leafCount: 43 }],
    ["the manifest file", { manifestHash: manifestFileHash('{\n  "format": "payrox-manifest/v2" \n}\n') }],
    ["the policy", { policyHash: `0x${"22".repeat(32)}` }],
    ["a chain id", { targets: [SUBJECT.targets[0]!, { ...SUBJECT.targets[1]!, chainId: 10 }] }],
    ["a dispatcher", { targets: [SUBJECT.targets[0]!, { ...SUBJECT.targets[1]!, dispatcher: "0x1234567890abcdef1234567890abcdef12345679" }] }],
    ["an activation delay", { targets: [{ ...SUBJECT.targets[0]!, activationDelaySeconds: 60 }, SUBJECT.targets[1]!] }],
    ["an expiry window", { targets: [{ ...SUBJECT.targets[0]!, expiryWindowSeconds: 60 }, SUBJECT.targets[1]!] }],
    ["a dropped network", { targets: [SUBJECT.targets[0]!] }],
    ["the earliest commit", { earliestCommitAt: 1_800_000_001 }],
    ["the cut-over", { cutoverAt: 0 }],
    ["the deadline", { deadline: 1_800_003_601 }],
  ];
  it.each(changes)("changes the digest when %s changes", (_label, patch) => {
    const before = approvalHashes(approvalTypedData(SUBJECT, ApprovalAction.APPROVE, 0)).digest;
    expect(approvalHashes(approvalTypedData({ ...SUBJECT, ...patch }, ApprovalAction.APPROVE, 0)).digest).not.toBe(before);
  });

  it("changes the digest with the nonce, and a wallet's signTypedData signs exactly the digest shown", async () => {
    // Prepare
    const wallet = approverKey(0);
    const data = approvalTypedData(SUBJECT, ApprovalAction.APPROVE, 0);
    // Act
    const signature = await wallet.signTypedData(data.domain, data.types, data.message);
    // Assess
    expect(approvalHashes(approvalTypedData(SUBJECT, ApprovalAction.APPROVE, 1)).digest).not.toBe(approvalHashes(data).digest);
    expect(verifyTypedData(data.domain, data.types, data.message, signature)).toBe(wallet.address);
    expect(TypedDataEncoder.hash(data.domain, data.types, data.message)).toBe(approvalHashes(data).digest);
  });
});
