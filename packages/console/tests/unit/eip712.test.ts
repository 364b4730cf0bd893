import { describe, expect, it } from "vitest";
import { TypedDataEncoder, Wallet } from "ethers";
import { approvalHashes, approvalTypedData, type ApprovalSubject } from "@payrox/core";
import { forWallet, hashTypedData, type TypedData } from "../../src/eip712.js";

const subject: ApprovalSubject = {
  deploymentId: "payrox-devnet",
  proposalId: "p-123",
  root: "0x" + "11".repeat(32),
  leafCount: 68,
  manifestHash: "0x" + "22".repeat(32),
  policyHash: "0x" + "33".repeat(32),
  targets: [
    { network: "devnet-1", chainId: 31337, dispatcher: "0x" + "aa".repeat(20), activationDelaySeconds: 30, expiryWindowSeconds: 86400 },
    { network: "devnet-2", chainId: 31338, dispatcher: "0x" + "bb".repeat(20), activationDelaySeconds: 30, expiryWindowSeconds: 86400 },
  ],
  earliestCommitAt: 0,
  cutoverAt: 1_800_000_000,
  deadline: 1_900_000_000,
};

describe("hashTypedData", () => {
  it("computes the same domain separator, struct hash and digest as core (ethers) for each action", () => {
    for (const action of ["Approve", "Reject", "Withdraw"] as const) {
      // Prepare
      const data = approvalTypedData(subject, action, 3);
      // Act
      const ours = hashTypedData(JSON.parse(JSON.stringify(data)) as TypedData);
      // Assess
      expect(ours).toEqual(approvalHashes(data));
    }
  });

  it("hashes what the wallet signs: a signature of forWallet(data) recovers over our digest", async () => {
    // Prepare
    const wallet = Wallet.createRandom();
    const data = JSON.parse(JSON.stringify(approvalTypedData(subject, "Approve", 0))) as TypedData;
    const { EIP712Domain: _domain, ...types } = forWallet(data).types;
    // Act
    const signature = await wallet.signTypedData(data.domain, types, data.message);
    // Assess
    expect(TypedDataEncoder.hash(data.domain, types, data.message)).toBe(hashTypedData(data).digest);
    expect(forWallet(data).types.EIP712Domain!.map((f) => f.name)).toEqual(["name", "version", "salt"]);
    expect(signature).toMatch(/^0x[0-9a-f]{130}$/);
  });

  it("refuses typed data with a missing field instead of hashing something else", () => {
    // Prepare
    const data = JSON.parse(JSON.stringify(approvalTypedData(subject, "Approve", 0))) as TypedData;
    delete data.message.nonce;
    // Act + Assess
    expect(() => hashTypedData(data)).toThrow(/Approve\.nonce is missing/);
  });
});
