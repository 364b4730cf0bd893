/** What the read routes and the chain routes share: the request they get, how they show proposals and runs. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describeRunState } from "@payrox/core/runs";

/** What a route gets: the matched path parameters, the event, and the caller's identity. */
export interface RouteRequest {
  params: Record<string, string>;
  event: APIGatewayProxyEventV2;
  /** IAM principal of the caller (`anonymous` without IAM auth). */
  caller: string;
}

/** A proposal's approval as the proposal views show it (`GET /proposals/{id}/approvals` has the rest). */
export interface ApprovalSummary {
  /** AWAITING_APPROVAL, APPROVED or REJECTED. */
  status: string;
  threshold: number;
  /** Approvals are accepted until then (ISO 8601). */
  deadline: string;
}

/** What {@link summary} reads of a proposal's approval. */
type ApprovalFields = { status: string; threshold: number; deadlineMs: number };

/** A proposal as the API shows it: everything but the manifest text; its approval, when it has one, in short. */
export function summary<P extends { manifestJson: string; approval?: ApprovalFields }>(proposal: P): Omit<P, "manifestJson" | "approval"> & { approval?: ApprovalSummary } {
  const { manifestJson: _omitted, approval, ...rest } = proposal;
  if (!approval) return rest;
  return { ...rest, approval: { status: approval.status, threshold: approval.threshold, deadline: new Date(approval.deadlineMs).toISOString() } };
}

/** A run as the API shows it, with its state in words. */
export function runView<R extends Parameters<typeof describeRunState>[0]>(run: R): R & { status: string } {
  return { ...run, status: describeRunState(run) };
}
