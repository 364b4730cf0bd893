/**
 * Governance fixtures for unit tests: deterministic approver keys (test-only, never funded anywhere), a
 * policy over them, a fixed target reader, and signing helpers over a proposal's typed data.
 */
import { getAddress, keccak256, toBeHex, Wallet } from "ethers";
import {
  approvalSubject,
  approvalTypedData,
  loadApprovalPolicy,
  type ApprovalAction,
  type ApprovalPolicy,
  type ApprovalTarget,
  type ApprovalTargetReader,
  type Erc1271Answer,
  type Erc1271Reader,
  type GovernanceDeps,
  type Proposal,
} from "../../src/index.js";
import type { InMemoryRunStore } from "./in-memory-ports.js";
import { InMemoryApprovalStore } from "./in-memory-approvals.js";

/** Approver key `i` (a fixed test key derived from its index). */
export function approverKey(i: number): Wallet {
  return new Wallet(keccak256(toBeHex(0xa11ce000 + i, 32)));
}

/** A policy of `count` EOA approvers `a0…`, threshold `threshold`, proposer `alice` mapped to approver 0. */
export function eoaPolicy(count: number, threshold: number, extra: Record<string, unknown> = {}): ApprovalPolicy {
  return loadApprovalPolicy(
    {
      approvals: {
        approvers: Array.from({ length: count }, (_, i) => ({ id: `a${i}`, address: approverKey(i).address, kind: "eoa" })),
        threshold,
        windowSeconds: 86_400,
        proposerMap: { alice: approverKey(0).address },
        allOrNone: false,
        ...extra,
      },
    },
    { protectedStage: true },
  );
}

/** Each network's dispatcher facts, fixed (chain ids from the registry's devnets and mainnets used in tests). */
export class FixedTargets implements ApprovalTargetReader {
  constructor(private readonly chainIds: (network: string) => number) {}
  async target(network: string): Promise<ApprovalTarget> {
    return { network, chainId: this.chainIds(network), dispatcher: getAddress("0x00000000000000000000000000000000000d15a7"), activationDelaySeconds: 3_600, expiryWindowSeconds: 86_400 };
  }
}

/** An ERC-1271 reader answering from a table of (account → valid digests), or reverting for listed accounts. */
export class TableErc1271 implements Erc1271Reader {
  readonly valid = new Map<string, Set<string>>();
  readonly reverting = new Set<string>();
  calls = 0;
  async isValidSignature(_network: string, account: string, digest: string, signature: string): Promise<Erc1271Answer> {
    this.calls++;
    if (this.reverting.has(account.toLowerCase())) return { result: "reverted", reason: "execution reverted" };
    const ok = this.valid.get(account.toLowerCase())?.has(`${digest}:${signature}`) ?? false;
    return { result: ok ? "valid" : "invalid", blockNumber: 7 };
  }
}

/** Governance deps over an in-memory approval store sharing `store`'s proposals. */
export function governanceDeps(store: InMemoryRunStore, policy: ApprovalPolicy, chainIds: (network: string) => number, erc1271?: Erc1271Reader): GovernanceDeps & { approvals: InMemoryApprovalStore } {
  return { deploymentId: "payrox-test", policy, approvals: new InMemoryApprovalStore(store), targets: new FixedTargets(chainIds), ...(erc1271 && { erc1271 }) };
}

/** `wallet`'s 65-byte signature of `action` with `nonce` over the proposal's typed data. */
export async function signAction(wallet: Wallet, proposal: Proposal, action: ApprovalAction, nonce = 0): Promise<string> {
  const data = approvalTypedData(approvalSubject({ ...proposal, approval: proposal.approval! }), action, nonce);
  return wallet.signTypedData(data.domain, data.types, data.message);
}
