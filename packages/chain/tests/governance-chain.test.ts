/**
 * Governance adapters on anvil: DispatcherApprovalTargets against a real ManifestDispatcher, and ERC-1271
 * approvals by a real Safe (npm @safe-global/safe-contracts 1.4.1 artifacts: singleton, proxy factory,
 * CompatibilityFallbackHandler) read through EthersErc1271Reader and verified by core's governance rules.
 */
import type { JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalRejectedError, approvalHashes, approvalRulesOf, approvalTypedData, loadApprovalPolicy, verifyQuorum, verifySignature, type ApprovalSubject, type StoredApproval } from "@payrox/core";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { ApprovalTargetReadError, DispatcherApprovalTargets, EthersErc1271Reader } from "../src/index.js";
import { deploySafe, safeOwners } from "./support/safe.js";

/** Safe owners: test-only keys derived from fixed indices, in address order. */
const owners = safeOwners(3).sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));

let chain: LocalChain;
let provider: JsonRpcProvider;
let safe: string;
let reader: EthersErc1271Reader;

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil" });
  const dev = devWallet(chain);
  provider = dev.provider;
  safe = await deploySafe(dev.wallet, owners.map((o) => o.address), 2);
  reader = new EthersErc1271Reader({ provider: (network) => (network === "devnet-1" ? provider : undefined) });
}, 120_000);

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

/** `signers`' Safe signature of `digest`: each owner signs the SafeMessage typed data, concatenated by owner address. */
async function safeSignature(digest: string, signers: Wallet[]): Promise<string> {
  const domain = { chainId: chain.chainId, verifyingContract: safe };
  const types = { SafeMessage: [{ name: "message", type: "bytes" }] };
  const parts = await Promise.all(signers.map((s) => s.signTypedData(domain, types, { message: digest })));
  return `0x${parts.map((p) => p.slice(2)).join("")}`;
}

const subject = (): ApprovalSubject => ({
  deploymentId: "payrox-devnet",
  proposalId: "p-safe",
  root: `0x${"12".repeat(32)}`,
  leafCount: 6,
  manifestHash: `0x${"34".repeat(32)}`,
  policyHash: `0x${"56".repeat(32)}`,
  targets: [{ network: "devnet-1", chainId: 31337, dispatcher: "0x00000000000000000000000000000000000d15a7", activationDelaySeconds: 60, expiryWindowSeconds: 3_600 }],
  earliestCommitAt: 0,
  cutoverAt: 0,
  deadline: 1_900_000_000,
});

describe("EthersErc1271Reader against a real Safe", () => {
  it("answers valid for the Safe owners' threshold signature of the digest, at a stated block", async () => {
    const digest = approvalHashes(approvalTypedData(subject(), "Approve", 0)).digest;
    const answer = await reader.isValidSignature("devnet-1", safe, digest, await safeSignature(digest, owners.slice(0, 2)));
    expect(answer).toEqual({ result: "valid", blockNumber: await provider.getBlockNumber() });
  });

  it("answers reverted when the signatures are below the Safe's threshold or over another digest", async () => {
    const digest = approvalHashes(approvalTypedData(subject(), "Approve", 0)).digest;
    const other = approvalHashes(approvalTypedData({ ...subject(), proposalId: "p-other" }, "Approve", 0)).digest;
    expect(await reader.isValidSignature("devnet-1", safe, digest, await safeSignature(digest, owners.slice(0, 1)))).toMatchObject({ result: "reverted" });
    expect(await reader.isValidSignature("devnet-1", safe, digest, await safeSignature(other, owners.slice(0, 2)))).toMatchObject({ result: "reverted" });
  });

  it("answers reverted for an account without code", async () => {
    expect(await reader.isValidSignature("devnet-1", owners[0]!.address, `0x${"00".repeat(32)}`, "0x01")).toMatchObject({ result: "reverted", reason: expect.stringMatching(/no code/) });
  });
});

describe("DispatcherApprovalTargets", () => {
  it("reads the chain id, dispatcher and its activation delay and expiry window at one block", async () => {
    // Prepare
    const { wallet } = devWallet(chain);
    const deployment = await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { activationDelay: 7, expiryWindow: 1_234 }));
    // Act
    const target = await new DispatcherApprovalTargets({ "devnet-1": { provider, dispatcher: deployment.address, chainId: chain.chainId } }).target("devnet-1");
    // Assess
    expect(target).toEqual({ network: "devnet-1", chainId: chain.chainId, dispatcher: deployment.address, activationDelaySeconds: 7, expiryWindowSeconds: 1_234 });
    wallet.provider?.destroy();
  });

  it("refuses a node reporting another chain, an address without a dispatcher and an unconfigured network", async () => {
    const wrongChain = new DispatcherApprovalTargets({ n: { provider, dispatcher: safe, chainId: 1 } });
    const noDispatcher = new DispatcherApprovalTargets({ n: { provider, dispatcher: owners[0]!.address, chainId: chain.chainId } });
    await expect(wrongChain.target("n")).rejects.toThrow(/reports chain 31337, the registry says 1/);
    await expect(noDispatcher.target("n")).rejects.toBeInstanceOf(ApprovalTargetReadError);
    await expect(noDispatcher.target("other")).rejects.toThrow(/no provider/);
  });
});

describe("governance with a Safe approver", () => {
  const policy = () =>
    loadApprovalPolicy(
      { approvals: { approvers: [{ id: "treasury-safe", address: safe, kind: "erc1271", network: "devnet-1" }, { id: "ops", address: owners[2]!.address, kind: "eoa" }], threshold: 2, windowSeconds: 3_600, proposerMap: {}, allOrNone: false } },
      { protectedStage: true },
    );

  it("verifies the Safe's approval and counts it with a key's toward a 2-of-2 quorum", async () => {
    // Prepare
    const rules = approvalRulesOf(policy())!;
    const data = approvalTypedData(subject(), "Approve", 0);
    const digest = approvalHashes(data).digest;
    const safeSig = await safeSignature(digest, owners.slice(1, 3));
    const keySig = await owners[2]!.signTypedData(data.domain, data.types, data.message);
    // Act
    const verified = await verifySignature({ action: "Approve", nonce: 0, signature: safeSig, approver: safe }, { subject: subject(), rules, proposer: "bob", erc1271: reader });
    const stored: StoredApproval[] = [
      { proposalId: "p-safe", approver: safe, approverId: "treasury-safe", status: "approved", action: "Approve", nonce: 0, signature: safeSig, digest, atMs: 1 },
      { proposalId: "p-safe", approver: owners[2]!.address, approverId: "ops", status: "approved", action: "Approve", nonce: 0, signature: keySig, digest, atMs: 1 },
    ];
    const approval = { status: "APPROVED" as const, deploymentId: "payrox-devnet", policyHash: subject().policyHash, threshold: 2, manifestHash: subject().manifestHash, root: subject().root, leafCount: 6, targets: [...subject().targets], deadlineMs: 1_900_000_000_000 };
    const quorum = await verifyQuorum({ id: "p-safe", approval }, "bob", stored, rules, reader);
    // Assess
    expect(verified).toMatchObject({ approver: { id: "treasury-safe" }, hashes: { digest } });
    expect(verified.blockNumber).toBeGreaterThan(0);
    expect(quorum.approvals.map((a) => a.approver.id).sort()).toEqual(["ops", "treasury-safe"]);
  });

  it("refuses the Safe's signature over another proposal as erc1271-reverted", async () => {
    const rules = approvalRulesOf(policy())!;
    const other = approvalHashes(approvalTypedData({ ...subject(), proposalId: "p-other" }, "Approve", 0)).digest;
    const error = await verifySignature({ action: "Approve", nonce: 0, signature: await safeSignature(other, owners.slice(0, 2)), approver: safe }, { subject: subject(), rules, proposer: "bob", erc1271: reader }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalRejectedError);
    expect(error).toMatchObject({ code: "erc1271-reverted", status: 403 });
  });
});
