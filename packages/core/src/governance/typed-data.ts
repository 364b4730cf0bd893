/**
 * The EIP-712 typed data an approver signs: what a proposal will do, bound whole. Three primary types —
 * `Approve`, `Reject`, `Withdraw` — share one message shape; the type name is part of the hashed struct,
 * so a signature of one can never be replayed as another. Hashing uses ethers' `TypedDataEncoder`, and
 * the domain separator, struct hash and digest are all exposed so a review can show them next to what a
 * hardware wallet displays.
 */
import { getAddress } from "ethers/address";
import { keccak256 } from "ethers/crypto";
import { id, TypedDataEncoder, type TypedDataDomain, type TypedDataField } from "ethers/hash";
import { toUtf8Bytes } from "ethers/utils";

/** The three things an approver can sign. */
export const ApprovalAction = {
  APPROVE: "Approve",
  REJECT: "Reject",
  WITHDRAW: "Withdraw",
} as const;
/** One of {@link ApprovalAction}. */
export type ApprovalAction = (typeof ApprovalAction)[keyof typeof ApprovalAction];

/** One target network as the approval binds it. */
export interface ApprovalTarget {
  /** Registry id (for display; the chain id is what is signed). */
  network: string;
  chainId: number;
  /** The ManifestDispatcher's address on that network. */
  dispatcher: string;
  /** The dispatcher's activation delay (seconds) when the proposal was made. */
  activationDelaySeconds: number;
  /** The dispatcher's expiry window (seconds after the ETA an activation may land). */
  expiryWindowSeconds: number;
}

/** Everything an approval binds; times are unix seconds. */
export interface ApprovalSubject {
  /** Deployment id: the domain's salt is its keccak256. */
  deploymentId: string;
  proposalId: string;
  /** The v2 commitment: Merkle root and route leaf count (manifest header). */
  root: string;
  leafCount: number;
  /** keccak256 of the manifest file's JSON text as stored ({@link manifestFileHash}). */
  manifestHash: string;
  /** {@link policyHash} of the policy the proposal is under. */
  policyHash: string;
  targets: readonly ApprovalTarget[];
  /** Earliest commit (0: at once). */
  earliestCommitAt: number;
  /** Coordinated cut-over (0: none, each network activates at its ETA). */
  cutoverAt: number;
  /** Approvals are accepted until then. */
  deadline: number;
}

/**
 * The PayRox EIP-712 domain of a deployment: `{ name: "PayRox", version: "1", salt }`.
 *
 * Deliberately no `chainId`: one proposal spans many chains, and wallets (MetaMask, Ledger, Safe's UI)
 * refuse to sign typed data whose domain chain differs from the chain they are connected to — an approver
 * would have to switch networks to sign an off-chain statement that concerns all of them. Each target
 * network's chain id is bound in the message instead. The deployment id (keccak256 of its UTF-8 name, so
 * any length fits) goes in `salt`, so an approval for one deployment can't be replayed on another that
 * shares approvers. No `verifyingContract` either: nothing on chain verifies these signatures.
 */
export function approvalDomain(deploymentId: string): TypedDataDomain {
  return { name: "PayRox", version: "1", salt: id(deploymentId) };
}

const TARGET_FIELDS: TypedDataField[] = [
  { name: "chainId", type: "uint256" },
  { name: "dispatcher", type: "address" },
  { name: "activationDelay", type: "uint64" },
  { name: "expiryWindow", type: "uint64" },
];

const MESSAGE_FIELDS: TypedDataField[] = [
  { name: "proposalId", type: "string" },
  { name: "root", type: "bytes32" },
  { name: "leafCount", type: "uint256" },
  { name: "manifestHash", type: "bytes32" },
  { name: "policyHash", type: "bytes32" },
  { name: "targets", type: "Target[]" },
  { name: "earliestCommitAt", type: "uint64" },
  { name: "cutoverAt", type: "uint64" },
  { name: "deadline", type: "uint64" },
  { name: "nonce", type: "uint256" },
];

/** The EIP-712 `types` of `action` (without `EIP712Domain`, as ethers and `eth_signTypedData_v4` callers pass them). */
export function approvalTypes(action: ApprovalAction): Record<string, TypedDataField[]> {
  return { [action]: MESSAGE_FIELDS, Target: TARGET_FIELDS };
}

/** The typed data of one signature, ready for `eth_signTypedData_v4` or ethers' `signTypedData`. */
export interface ApprovalTypedData {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: ApprovalAction;
  message: Record<string, unknown>;
}

/** The three hashes a review shows. */
export interface ApprovalHashes {
  domainSeparator: string;
  /** hashStruct(message) under the primary type. */
  structHash: string;
  /** keccak256(0x1901 ‖ domainSeparator ‖ structHash): what is signed. */
  digest: string;
}

/** The typed data `approver`'s signature of `action` with `nonce` covers. */
export function approvalTypedData(subject: ApprovalSubject, action: ApprovalAction, nonce: number): ApprovalTypedData {
  const message = {
    proposalId: subject.proposalId,
    root: subject.root,
    leafCount: subject.leafCount,
    manifestHash: subject.manifestHash,
    policyHash: subject.policyHash,
    targets: subject.targets.map((t) => ({ chainId: t.chainId, dispatcher: getAddress(t.dispatcher), activationDelay: t.activationDelaySeconds, expiryWindow: t.expiryWindowSeconds })),
    earliestCommitAt: subject.earliestCommitAt,
    cutoverAt: subject.cutoverAt,
    deadline: subject.deadline,
    nonce,
  };
  return { domain: approvalDomain(subject.deploymentId), types: approvalTypes(action), primaryType: action, message };
}

/** Domain separator, struct hash and digest of typed data. */
export function approvalHashes(data: ApprovalTypedData): ApprovalHashes {
  const domainSeparator = TypedDataEncoder.hashDomain(data.domain);
  const structHash = TypedDataEncoder.from(data.types).hash(data.message);
  return { domainSeparator, structHash, digest: TypedDataEncoder.hash(data.domain, data.types, data.message) };
}

/** keccak256 of the manifest file's JSON text exactly as stored (not re-serialised). */
export function manifestFileHash(manifestJson: string): string {
  return keccak256(toUtf8Bytes(manifestJson));
}
