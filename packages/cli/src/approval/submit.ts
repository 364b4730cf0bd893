/**
 * Signing and sending an approver's signature: with a key held here (`payrox approve --key-file`, the
 * devnet's development approvers) or made elsewhere (`--signature`). Either way the signature is checked
 * against the digest this side computed before it is sent, so a wrong key or typed data fails here with
 * the digest to compare, not as a bare 400 from the API.
 */
import { ApprovalRejectedError, recoverSigner, type ApprovalAction } from "@payrox/core";
import { getAddress } from "ethers/address";
import type { ApiClient, ApprovalSubmitResult } from "../api-client.js";
import { SignatureMismatchError } from "../errors.js";
import { prepareApproval, type PreparedApproval } from "./prepare.js";

/** Signs EIP-712 typed data; an ethers `Wallet` is one. */
export interface TypedDataSigner {
  readonly address: string;
  signTypedData(domain: PreparedApproval["typedData"]["domain"], types: PreparedApproval["typedData"]["types"], message: Record<string, unknown>): Promise<string>;
}

/** One signature sent, and what the API answered. */
export interface SubmittedApproval {
  prepared: PreparedApproval;
  signature: string;
  result: ApprovalSubmitResult;
}

/** Parameters of {@link approveWithSigner}. */
export interface ApproveWithSignerParameters {
  proposalId: string;
  action: ApprovalAction;
  signer: TypedDataSigner;
  /** @default the signer's next nonce from the API */
  nonce?: number;
  /** Told once the typed data is built, before signing (to show what is signed). @default none */
  onPrepared?: (prepared: PreparedApproval) => void;
}

/**
 * Builds the typed data of `signer`'s next signature from the API's view, signs it and sends it: what
 * `payrox approve --key-file` and the devnet's approvers do.
 * @throws {NotAnApproverError} when the signer is not an approver of the policy (nothing is signed)
 * @throws {ApiRequestError} when the API refuses the signature (its code and message)
 * @example const { result } = await approveWithSigner(client, { proposalId, action: "Approve", signer: wallet })
 */
export async function approveWithSigner(client: Pick<ApiClient, "approvals" | "submitApproval">, parameters: ApproveWithSignerParameters): Promise<SubmittedApproval> {
  const prepared = await prepareApproval(client, { proposalId: parameters.proposalId, action: parameters.action, approver: parameters.signer.address, ...(parameters.nonce !== undefined && { nonce: parameters.nonce }) });
  parameters.onPrepared?.(prepared);
  const { domain, types, message } = prepared.typedData;
  const signature = await parameters.signer.signTypedData(domain, types, message);
  return submitPrepared(client, prepared, signature);
}

/**
 * Sends `signature` for `prepared` after checking, for a key approver, that it recovers to the approver
 * over the digest computed here (a smart account's signature is the API's to check, on its chain).
 * @throws {SignatureMismatchError} when it does not (nothing is sent)
 * @throws {ApiRequestError} when the API refuses it
 */
export async function submitPrepared(client: Pick<ApiClient, "submitApproval">, prepared: PreparedApproval, signature: string): Promise<SubmittedApproval> {
  const approver = prepared.approver;
  if (approver?.kind === "eoa") checkKeySignature(getAddress(approver.address), signature, prepared.hashes.digest);
  const result = await client.submitApproval(prepared.proposalId, { action: prepared.action, nonce: prepared.nonce, signature, ...(approver && { approver: getAddress(approver.address) }) });
  return { prepared, signature, result };
}

/** @throws {SignatureMismatchError} unless `signature` is `approver`'s over `digest` */
function checkKeySignature(approver: string, signature: string, digest: string): void {
  let signer: string | undefined;
  try {
    signer = recoverSigner(signature, digest);
  } catch (error) {
    if (!(error instanceof ApprovalRejectedError)) throw error;
  }
  if (signer !== approver) throw new SignatureMismatchError(approver, signer, digest);
}

/** Where the proposal stands after a signature: `AWAITING_APPROVAL 1/2`, `2/2 → APPROVED, commits scheduled`. */
export function describeResult(result: ApprovalSubmitResult): string {
  if (result.scheduled) return `${result.approvals}/${result.threshold} → ${result.status}, commits scheduled`;
  if (result.rejected) return `${result.status}: rejected, the proposal's runs are cancelled`;
  return `${result.status} ${result.approvals}/${result.threshold}`;
}
