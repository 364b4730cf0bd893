/**
 * The devnet approves its own proposals as its approvers would: each DEVELOPMENT approver signs through
 * the HTTP API exactly as `payrox approve --key-file` does, until the policy's threshold is met. Safe to
 * run again on a proposal (a resumed devnet): approvers already counted are skipped, a proposal no longer
 * awaiting approval is left alone.
 */
import { ApprovalAction } from "@payrox/core";
import type { ApiClient } from "../api-client.js";
import { approveWithSigner, describeResult } from "../approval/submit.js";
import { devnetSigningApprovers } from "./approvers.js";

const AWAITING = "AWAITING_APPROVAL";

/**
 * Signs `proposalId` with the devnet's approvers until it is approved; reports `AWAITING_APPROVAL 0/2`,
 * then each signature's progress. Does nothing for a proposal that is not awaiting approval.
 * @returns whether the proposal is approved (or was never under a policy)
 */
export async function approveAsDevnet(client: Pick<ApiClient, "approvals" | "submitApproval" | "proposal">, proposalId: string, say: (message: string) => void): Promise<boolean> {
  const { proposal } = await client.proposal(proposalId);
  if (!proposal.approval) return true;
  if (proposal.approval.status !== AWAITING) return proposal.approval.status === "APPROVED";
  const view = await client.approvals(proposalId);
  say(`proposal ${proposalId}: ${AWAITING} ${view.approved}/${view.threshold} (policy: ${view.threshold} of ${view.approvers.map((a) => a.id).join(", ")}; DEVELOPMENT keys)`);
  for (const { id, wallet } of devnetSigningApprovers()) {
    if (view.approvers.find((a) => a.address.toLowerCase() === wallet.address.toLowerCase())?.status === "approved") continue;
    const { prepared, result } = await approveWithSigner(client, { proposalId, action: ApprovalAction.APPROVE, signer: wallet });
    say(`${id} (${wallet.address}) signed Approve, digest ${prepared.hashes.digest}: ${describeResult(result)}`);
    if (result.status !== AWAITING) return result.status === "APPROVED";
  }
  return false;
}
