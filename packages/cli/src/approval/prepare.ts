/**
 * What one approver is about to sign on one proposal: read from the API, but built here. The API's view
 * gives the subject (what the proposal will do) and the approver's next nonce; the EIP-712 typed data and
 * its hashes are computed from that subject by core's `approvalTypedData`, never taken from the API — a
 * compromised or buggy API can make the CLI refuse, not make it sign something else.
 */
import { approvalHashes, approvalTypedData, type ApprovalAction, type ApprovalHashes, type ApprovalTypedData } from "@payrox/core";
import { getAddress } from "ethers/address";
import { TypedDataEncoder } from "ethers/hash";
import type { ApiClient, ApprovalsView, ApproverView } from "../api-client.js";
import { ApprovalViewError, NotAnApproverError } from "../errors.js";

/** Typed data as `eth_signTypedData_v4` takes it: `types` include `EIP712Domain`, integers are decimal strings. */
export interface TypedDataPayload {
  types: Record<string, { name: string; type: string }[]>;
  domain: Record<string, unknown>;
  primaryType: string;
  message: Record<string, unknown>;
}

/** One signature to make: the typed data, its hashes, and who signs with which nonce. */
export interface PreparedApproval {
  proposalId: string;
  action: ApprovalAction;
  nonce: number;
  /** The approver, when known (always, except `--print --nonce` without `--approver`). */
  approver?: ApproverView;
  /** The API's view it was built from. */
  view: ApprovalsView;
  typedData: ApprovalTypedData;
  /** {@link typedData} for an external wallet (`eth_signTypedData_v4`) or a Safe. */
  payload: TypedDataPayload;
  hashes: ApprovalHashes;
}

/** Parameters of {@link prepareApproval}. */
export interface PrepareApprovalParameters {
  proposalId: string;
  action: ApprovalAction;
  /** Who will sign; its next nonce is used unless `nonce` is given. */
  approver?: string;
  /** The nonce to sign with. @default the approver's next nonce from the API */
  nonce?: number;
}

/**
 * Reads the proposal's approval view and builds the typed data `approver` signs.
 * @throws {NotAnApproverError} when `approver` is not in the policy
 * @throws {ApprovalViewError} when the view is for another proposal, or neither an approver nor a nonce is given
 * @example const prepared = await prepareApproval(client, { proposalId, action: "Approve", approver: wallet.address })
 */
export async function prepareApproval(client: Pick<ApiClient, "approvals">, parameters: PrepareApprovalParameters): Promise<PreparedApproval> {
  const { proposalId, action } = parameters;
  const view = await client.approvals(proposalId);
  if (view.subject.proposalId !== proposalId || view.proposalId !== proposalId) {
    throw new ApprovalViewError(proposalId, `the API answered the approval subject of proposal ${view.subject.proposalId}`);
  }
  const approver = parameters.approver === undefined ? undefined : findApprover(view, parameters.approver);
  const nonce = parameters.nonce ?? approver?.nextNonce;
  if (nonce === undefined) throw new ApprovalViewError(proposalId, "no approver to take the next nonce of: name one, or give the nonce");
  const typedData = approvalTypedData(view.subject, action, nonce);
  return { proposalId, action, nonce, ...(approver && { approver }), view, typedData, payload: typedDataPayload(typedData), hashes: approvalHashes(typedData) };
}

/** `typedData` in the `eth_signTypedData_v4` shape, `EIP712Domain` type included. */
export function typedDataPayload(typedData: ApprovalTypedData): TypedDataPayload {
  return TypedDataEncoder.getPayload(typedData.domain, typedData.types, typedData.message) as TypedDataPayload;
}

/** The policy's approver at `address` (any case). @throws {NotAnApproverError} */
export function findApprover(view: ApprovalsView, address: string): ApproverView {
  const wanted = getAddress(address);
  const found = view.approvers.find((a) => a.address.toLowerCase() === wanted.toLowerCase());
  if (!found) throw new NotAnApproverError(wanted, view.proposalId, view.approvers);
  return found;
}

/** Human lines of what a signature binds, so it can be compared with a hardware wallet's screen. */
export function describePrepared(prepared: PreparedApproval): string[] {
  const s = prepared.view.subject;
  const time = (seconds: number, none: string) => (seconds === 0 ? none : `${new Date(seconds * 1000).toISOString()} (${seconds})`);
  const who = prepared.approver ? `${prepared.approver.id} (${getAddress(prepared.approver.address)})` : "an approver";
  return [
    `${prepared.action} proposal ${s.proposalId} as ${who}, nonce ${prepared.nonce}`,
    `  deployment        ${s.deploymentId}`,
    `  root              ${s.root} (${s.leafCount} leaves)`,
    `  manifest hash     ${s.manifestHash}`,
    `  policy hash       ${s.policyHash}`,
    ...s.targets.map((t) => `  target            ${t.network}: chain ${t.chainId}, dispatcher ${getAddress(t.dispatcher)}, delay ${t.activationDelaySeconds} s, expiry window ${t.expiryWindowSeconds} s`),
    `  earliest commit   ${time(s.earliestCommitAt, "at once (0)")}`,
    `  cut-over          ${time(s.cutoverAt, "none: each network at its ETA (0)")}`,
    `  deadline          ${time(s.deadline, "none (0)")}`,
    `EIP-712 domain separator  ${prepared.hashes.domainSeparator}`,
    `struct hash               ${prepared.hashes.structHash}`,
    `digest                    ${prepared.hashes.digest}`,
  ];
}
