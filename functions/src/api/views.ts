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

/** A proposal as the API shows it: everything but the manifest text. */
export function summary<P extends { manifestJson: string }>(proposal: P): Omit<P, "manifestJson"> {
  const { manifestJson: _omitted, ...rest } = proposal;
  return rest;
}

/** A run as the API shows it, with its state in words. */
export function runView<R extends Parameters<typeof describeRunState>[0]>(run: R): R & { status: string } {
  return { ...run, status: describeRunState(run) };
}
