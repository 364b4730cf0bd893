/**
 * The governance routes: the deployment's approval policy, and the signed approvals of a proposal. They
 * validate the policy and hash typed data (ethers), so routes.ts loads this module on their first request,
 * with the deps' governance already built (see governed-deps.ts).
 */
import { approvalRulesOf, approvalSubject, approveProposal, ApprovalRejectedError, ApprovalRejection, ApproverStatus, findApprover, parseSubmittedSignature, policyHash, ProposalNotFoundError, type Approver, type GovernanceDeps, type SchedulerDeps, type StoredApproval } from "@payrox/core";
import type { DeploymentGovernance } from "../governed-deps.js";
import { json, type ApiResponse } from "./responses.js";
import { parseJsonBody } from "./schemas.js";
import type { RouteRequest } from "./views.js";

/** GET /policy: the validated policy (addresses EIP-55), its hash, the deployment id and whether the stage is protected. */
export async function policy(_req: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  const governance = governanceOf(deps);
  return json(200, { deploymentId: governance.deploymentId, policyHash: policyHash(governance.policy), protectedStage: (governance as Partial<DeploymentGovernance>).protectedStage ?? false, policy: governance.policy });
}

/** POST /proposals/{id}/approvals: one approver's signed Approve, Reject or Withdraw. */
export async function approve({ params, event }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  // Malformed input is refused here, before the use case (which audits a refused signature) sees it.
  const submission = parseSubmittedSignature(parseJsonBody(event.body, event.isBase64Encoded));
  return json(201, await approveProposal({ proposalId: params.id!, submission }, deps));
}

/** One approver as GET /proposals/{id}/approvals shows it. */
export interface ApproverView {
  id: string;
  address: string;
  kind: Approver["kind"];
  network?: string;
  /** Its last accepted signature's effect, `none` before its first. */
  status: StoredApproval["status"] | "none";
  /** The nonce its next signature on this proposal must use. */
  nextNonce: number;
  /** The digest its last accepted signature signed. */
  digest?: string;
  /** When that signature was accepted (ISO 8601). */
  at?: string;
}

/** GET /proposals/{id}/approvals: where the proposal's approval stands, per approver, and what to sign. */
export async function approvals({ params }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  const governance = governanceOf(deps);
  const proposal = await deps.store.getProposal(params.id!);
  if (!proposal) throw new ProposalNotFoundError(params.id!);
  const approval = proposal.approval;
  if (!approval) throw new ApprovalRejectedError(ApprovalRejection.NOT_UNDER_POLICY, `proposal ${proposal.id} was made without an approval policy; it has no approvals`);
  const stored = await governance.approvals.listApprovals(proposal.id);
  const rules = approvalRulesOf(governance.policy);
  const byAddress = new Map(stored.map((record) => [record.approver.toLowerCase(), record]));
  const approvers: ApproverView[] = (rules?.approvers ?? []).map((approver) => {
    const record = byAddress.get(approver.address.toLowerCase());
    return {
      id: approver.id,
      address: approver.address,
      kind: approver.kind,
      ...(approver.kind === "erc1271" && { network: approver.network }),
      status: record?.status ?? "none",
      nextNonce: record ? record.nonce + 1 : 0,
      ...(record && { digest: record.digest, at: new Date(record.atMs).toISOString() }),
    };
  });
  // Counted as approveProposal counts: approved, by an approver the policy lists now.
  const approved = stored.filter((r) => r.status === ApproverStatus.APPROVED && rules !== undefined && findApprover(rules, r.approver) !== undefined).length;
  return json(200, {
    proposalId: proposal.id,
    status: approval.status,
    threshold: approval.threshold,
    approved,
    deadline: new Date(approval.deadlineMs).toISOString(),
    subject: approvalSubject({ ...proposal, approval }),
    approvers,
    approvals: stored,
  });
}

/** The deps' governance; its absence is a composition mistake (routes.ts builds it before these routes run). */
function governanceOf(deps: SchedulerDeps): GovernanceDeps {
  if (!deps.governance) throw new Error("governance routes need deps.governance: build the deps with buildDeps (its loadGovernance) or pass governance");
  return deps.governance;
}
