/**
 * Verifies one signature of an approver over a proposal's typed data: EOA signatures by recovery (65-byte
 * `r‖s‖v` or EIP-2098 64-byte `r‖vs` — both recover the same signer, so they count as one approver),
 * smart accounts by ERC-1271 `isValidSignature` read at one block. Each refusal is an
 * {@link ApprovalRejectedError} with a stable code. Nonces and duplicates are the store's to decide.
 */
import { getAddress, isAddress } from "ethers/address";
import { Signature } from "ethers/crypto";
import { recoverAddress } from "ethers/transaction";
import * as z from "zod";
import { ApprovalRejectedError, ApprovalRejection } from "./errors.js";
import { findApprover, type ApprovalRules, type Approver } from "./policy.js";
import type { Erc1271Reader } from "./ports.js";
import { ApprovalAction, approvalHashes, approvalTypedData, type ApprovalHashes, type ApprovalSubject } from "./typed-data.js";

/** The ERC-1271 magic value `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`. */
export const ERC1271_MAGIC_VALUE = "0x1626ba7e";
/** Longest signature accepted (a Safe's concatenated owner signatures, or a contract signature's dynamic part). */
export const MAX_SIGNATURE_BYTES = 8_192;

/** A signature as an approver submits it. */
export const SubmittedSignatureSchema = z.strictObject({
  action: z.enum([ApprovalAction.APPROVE, ApprovalAction.REJECT, ApprovalAction.WITHDRAW], { error: "must be Approve, Reject or Withdraw" }),
  nonce: z.number({ error: "required: the approver's nonce on this proposal (0 for its first signature)" }).int("must be a whole number").min(0).max(1_000_000),
  signature: z
    .string({ error: "required: the signature, 0x-hex" })
    .regex(/^0x([0-9a-fA-F]{2})+$/, "must be 0x followed by an even number of hex digits")
    .max(2 + 2 * MAX_SIGNATURE_BYTES, `must be at most ${MAX_SIGNATURE_BYTES} bytes`),
  /** Who signed: required for an ERC-1271 account; for a key it turns a wrong-data signature into a clear digest mismatch. */
  approver: z
    .string()
    .refine((value) => isAddress(value), "must be a 0x-prefixed 20-byte address")
    .transform((value) => getAddress(value))
    .optional(),
});
/** A validated {@link SubmittedSignatureSchema}. */
export type SubmittedSignature = z.infer<typeof SubmittedSignatureSchema>;

/** What verification needs besides the signature. */
export interface VerifyContext {
  subject: ApprovalSubject;
  rules: ApprovalRules;
  /** The proposal's proposer principal (checked against `rules.proposerMap` for self-approval). */
  proposer: string;
  /** ERC-1271 reads; without it an ERC-1271 approver's signature is refused as reverted. */
  erc1271?: Erc1271Reader;
}

/** A verified signature. */
export interface VerifiedSignature {
  approver: Approver;
  action: ApprovalAction;
  nonce: number;
  signature: string;
  hashes: ApprovalHashes;
  /** The block an ERC-1271 answer was read at. */
  blockNumber?: number;
}

/** Parses untrusted input into a {@link SubmittedSignature}. @throws {ApprovalRejectedError} `malformed-signature` naming the field */
export function parseSubmittedSignature(input: unknown): SubmittedSignature {
  const parsed = SubmittedSignatureSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ApprovalRejectedError(ApprovalRejection.MALFORMED_SIGNATURE, `${issue.path.map(String).join(".") || "body"}: ${issue.message}`, {}, { cause: parsed.error });
}

/**
 * Verifies `submitted` against the proposal's typed data and the policy.
 * @throws {ApprovalRejectedError} malformed-signature, not-approver, digest-mismatch, erc1271-rejected, erc1271-reverted, self-approval
 * @example const verified = await verifySignature(parseSubmittedSignature(body), { subject, rules, proposer, erc1271 })
 */
export async function verifySignature(submitted: SubmittedSignature, ctx: VerifyContext): Promise<VerifiedSignature> {
  const hashes = approvalHashes(approvalTypedData(ctx.subject, submitted.action, submitted.nonce));
  const named = submitted.approver && findApprover(ctx.rules, submitted.approver);
  if (submitted.approver && !named) {
    throw new ApprovalRejectedError(ApprovalRejection.NOT_APPROVER, `${submitted.approver} is not an approver of this deployment's policy`, { signer: submitted.approver, digest: hashes.digest });
  }
  let approver: Approver;
  let blockNumber: number | undefined;
  if (named && named.kind === "erc1271") {
    blockNumber = await checkErc1271(named, submitted.signature, hashes.digest, ctx.erc1271);
    approver = named;
  } else {
    const signer = recoverSigner(submitted.signature, hashes.digest);
    if (named && signer !== named.address) {
      throw new ApprovalRejectedError(
        ApprovalRejection.DIGEST_MISMATCH,
        `the signature is not ${named.address}'s over this proposal's ${submitted.action} (nonce ${submitted.nonce}): it was made over other data (another proposal, chain, dispatcher, manifest, policy or nonce) or by another key; sign digest ${hashes.digest}`,
        { signer, approver: named.address, digest: hashes.digest },
      );
    }
    const found = findApprover(ctx.rules, signer);
    if (!found || found.kind !== "eoa") {
      throw new ApprovalRejectedError(ApprovalRejection.NOT_APPROVER, `the signature recovers to ${signer}, which is not an approver key of this deployment's policy (a signature over other data also recovers to an unknown address: check you signed digest ${hashes.digest})`, { signer, digest: hashes.digest });
    }
    approver = found;
  }
  checkSelfApproval(submitted, approver, ctx, hashes.digest);
  return { approver, action: submitted.action, nonce: submitted.nonce, signature: submitted.signature, hashes, ...(blockNumber !== undefined && { blockNumber }) };
}

/** The address that signed `digest`, from a 65-byte or EIP-2098 64-byte signature (low-s only). */
export function recoverSigner(signature: string, digest: string): string {
  const length = (signature.length - 2) / 2;
  if (length !== 64 && length !== 65) {
    throw new ApprovalRejectedError(ApprovalRejection.MALFORMED_SIGNATURE, `a key's signature is 65 bytes (r‖s‖v) or 64 bytes (EIP-2098 r‖vs), got ${length}`);
  }
  try {
    return getAddress(recoverAddress(digest, Signature.from(signature)));
  } catch (error) {
    throw new ApprovalRejectedError(ApprovalRejection.MALFORMED_SIGNATURE, `not a valid ECDSA signature (${(error as Error).message.split(" (")[0]})`, {}, { cause: error });
  }
}

async function checkErc1271(approver: Approver & { kind: "erc1271" }, signature: string, digest: string, reader: Erc1271Reader | undefined): Promise<number | undefined> {
  const context = { signer: approver.address, network: approver.network, digest };
  if (!reader) throw new ApprovalRejectedError(ApprovalRejection.ERC1271_REVERTED, `${approver.address} is a smart account on ${approver.network} and this deployment can't read ERC-1271 answers`, context);
  const answer = await reader.isValidSignature(approver.network, approver.address, digest, signature);
  if (answer.result === "reverted") {
    throw new ApprovalRejectedError(ApprovalRejection.ERC1271_REVERTED, `${approver.address} on ${approver.network} reverted isValidSignature (${answer.reason}); check the account and the signature's encoding`, { ...context, reason: answer.reason });
  }
  if (answer.result !== "valid") {
    throw new ApprovalRejectedError(ApprovalRejection.ERC1271_REJECTED, `${approver.address} on ${approver.network} did not accept the signature of digest ${digest} (isValidSignature did not return ${ERC1271_MAGIC_VALUE}) at block ${answer.blockNumber}`, { ...context, blockNumber: answer.blockNumber });
  }
  return answer.blockNumber;
}

function checkSelfApproval(submitted: SubmittedSignature, approver: Approver, ctx: VerifyContext, digest: string): void {
  if (submitted.action !== ApprovalAction.APPROVE || !ctx.rules.forbidSelfApproval) return;
  const own = ctx.rules.proposerMap[ctx.proposer];
  if (own && own.toLowerCase() === approver.address.toLowerCase()) {
    throw new ApprovalRejectedError(ApprovalRejection.SELF_APPROVAL, `${approver.id} (${approver.address}) proposed this proposal (as ${ctx.proposer}) and the policy forbids approving one's own proposal; another approver must sign`, { signer: approver.address, digest });
  }
}
