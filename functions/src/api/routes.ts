/**
 * The HTTP API's routes: each parses its input, calls one core use case and shapes the result. Errors
 * are thrown and mapped to responses by the handler (see responses.ts).
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { AnchorIntegrityError, OPERATIONS_AUDIT_STREAM, checkAgainstAnchors, listNetworks, verifyAuditChain, ProposalNotFoundError, type AuditEntry, type SchedulerDeps } from "@payrox/core/runs";
import { withGovernance, type GovernedDeps } from "../governed-deps.js";
import { ApiError, json, type ApiResponse } from "./responses.js";
import { AlertsQuerySchema, ListQuerySchema, ProposalIdSchema, validate } from "./schemas.js";
import { runView, summary, type RouteRequest } from "./views.js";

export type { RouteRequest };

type Route = { method: string; path: RegExp; handle: (req: RouteRequest, deps: SchedulerDeps) => Promise<ApiResponse>; key: string };

const ROUTES: Route[] = [
  { method: "POST", path: /^\/proposals$/, handle: governed(onFirstUse("propose")), key: "POST /proposals" },
  { method: "GET", path: /^\/proposals$/, handle: list, key: "GET /proposals" },
  { method: "GET", path: /^\/proposals\/(?<id>[^/]+)$/, handle: show, key: "GET /proposals/{id}" },
  { method: "GET", path: /^\/proposals\/(?<id>[^/]+)\/audit$/, handle: audit, key: "GET /proposals/{id}/audit" },
  { method: "POST", path: /^\/proposals\/(?<id>[^/]+)\/cancel$/, handle: onFirstUse("cancel"), key: "POST /proposals/{id}/cancel" },
  { method: "GET", path: /^\/proposals\/(?<id>[^/]+)\/review$/, handle: async (req, deps) => (await import("./chain-routes.js")).review(req, deps), key: "GET /proposals/{id}/review" },
  { method: "GET", path: /^\/networks$/, handle: networks, key: "GET /networks" },
  { method: "GET", path: /^\/networks\/live$/, handle: async (req, deps) => (await import("./chain-routes.js")).liveNetworks(req, deps), key: "GET /networks/live" },
  { method: "GET", path: /^\/alerts$/, handle: alerts, key: "GET /alerts" },
  { method: "GET", path: /^\/policy$/, handle: governanceRoute("policy"), key: "GET /policy" },
  { method: "POST", path: /^\/proposals\/(?<id>[^/]+)\/approvals$/, handle: governanceRoute("approve"), key: "POST /proposals/{id}/approvals" },
  { method: "GET", path: /^\/proposals\/(?<id>[^/]+)\/approvals$/, handle: governanceRoute("approvals"), key: "GET /proposals/{id}/approvals" },
];

/**
 * A route whose code (manifest checks, Merkle trees, the chain gateway: ethers, KMS) is a chunk of its
 * own, loaded by the first request that needs it, so the API's cold start and its read routes never load it.
 */
function onFirstUse(name: "propose" | "cancel"): Route["handle"] {
  return async (req, deps) => (await import("./chain-routes.js"))[name](req, deps);
}

/** A governance route: its code (policy validation, EIP-712 hashing: ethers) is a chunk loaded on first use too. */
function governanceRoute(name: "policy" | "approve" | "approvals"): Route["handle"] {
  return governed(async (req, deps) => (await import("./governance-routes.js"))[name](req, deps));
}

/** A route that runs under the deployment's governance, built on its first request (a malformed policy refuses it). */
function governed(handle: Route["handle"]): Route["handle"] {
  return async (req, deps) => handle(req, await withGovernance(deps as GovernedDeps));
}

/** API Gateway route keys (`METHOD /path/{param}`) of every route: the stack declares exactly these. */
export const API_ROUTE_KEYS: readonly string[] = ROUTES.map((route) => route.key);

/**
 * Finds the route of `method path` (the stage prefix already removed).
 * @throws {ApiError} 404 route-not-found, 405 method-not-allowed, 400 malformed-path, 400 invalid-proposal-id
 */
export function matchRoute(method: string, path: string): { handle: Route["handle"]; params: Record<string, string> } {
  const normalised = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const onPath = ROUTES.filter((r) => r.path.test(normalised));
  const route = onPath.find((r) => r.method === method);
  if (!route) {
    if (onPath.length > 0) throw new ApiError(405, "method-not-allowed", `${method} ${normalised} is not supported; use ${onPath.map((r) => r.method).join(" or ")}`);
    throw new ApiError(404, "route-not-found", `no route ${method} ${normalised}; see functions/README.md for the API`);
  }
  const params = Object.fromEntries(Object.entries(route.path.exec(normalised)?.groups ?? {}).map(([k, v]) => [k, decodePathParam(v)]));
  if (params.id !== undefined) validate(ProposalIdSchema, params.id, "invalid-proposal-id");
  return { handle: route.handle, params };
}

/**
 * Percent-decodes a path parameter.
 * @throws {ApiError} 400 malformed-path for a malformed escape (`%zz`, a truncated UTF-8 sequence)
 */
function decodePathParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ApiError(400, "malformed-path", `the path segment ${JSON.stringify(value.slice(0, 80))} has a malformed percent-escape; encode it with encodeURIComponent`);
  }
}

/**
 * The caller: its IAM principal (the CLI's API, IAM authorizer), else `oidc:<issuer>#<subject>` of a JWT the
 * API Gateway authorizer verified (the console's browser API), else `anonymous`.
 */
export function callerOf(event: APIGatewayProxyEventV2): string {
  // The plain v2 event type has no authorizer; with IAM auth the context carries `authorizer.iam`, with JWT `authorizer.jwt.claims`.
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: string }; jwt?: { claims?: Record<string, unknown> } } };
  const iam = context.authorizer?.iam?.userArn;
  if (iam) return iam;
  const claims = context.authorizer?.jwt?.claims;
  if (claims && typeof claims.sub === "string" && claims.sub) return `oidc:${typeof claims.iss === "string" ? claims.iss : "unknown-issuer"}#${claims.sub}`;
  return "anonymous";
}

async function list({ event }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  const query = validate(ListQuerySchema, event.queryStringParameters ?? {}, "invalid-query");
  const page = await deps.store.listProposals(query);
  return json(200, { proposals: page.proposals.map(summary), ...(page.cursor && { cursor: page.cursor }) });
}

async function show({ params }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  const proposal = await deps.store.getProposal(params.id!);
  if (!proposal) throw new ProposalNotFoundError(params.id!);
  const runs = await deps.store.listRuns(proposal.id);
  return json(200, { proposal: { ...summary(proposal), manifest: JSON.parse(proposal.manifestJson) as unknown }, runs: runs.map(runView) });
}

async function audit({ params }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  // The operations stream (key rotations) is no proposal's, but has a trail like one.
  if (params.id !== OPERATIONS_AUDIT_STREAM && !(await deps.store.getProposal(params.id!))) throw new ProposalNotFoundError(params.id!);
  const entries = await deps.audit.list(params.id!);
  return json(200, { entries, verification: verifyAuditChain(entries), anchoring: await anchoring(params.id!, entries, deps) });
}

/**
 * The chain checked against every head anchored for the proposal; `{ configured: false }` without an
 * anchor store. An anchor store whose own content does not check out, or that can't be read at all (a
 * bucket gone or denied, a file that is not one), is reported as a failed check — not thrown as a 500:
 * the chain's own verification still answers, and `audit --verify` fails saying what could not be checked.
 */
async function anchoring(proposalId: string, entries: AuditEntry[], deps: SchedulerDeps) {
  if (!deps.anchors) return { configured: false as const };
  let heads;
  try {
    heads = await deps.anchors.headsOf(proposalId);
  } catch (error) {
    if (error instanceof AnchorIntegrityError) return { configured: true as const, ok: false as const, proposalId, reason: "anchor-store-inconsistent", detail: error.message };
    const why = error instanceof Error ? `${error.name}: ${error.message}`.split("\n")[0]!.slice(0, 400) : String(error).slice(0, 400);
    return {
      configured: true as const, ok: false as const, proposalId, reason: "anchor-store-unreadable",
      detail: `the anchor store could not be read (${why}): the trail was not checked against its anchors; fix the store's access and verify again`,
    };
  }
  return { configured: true as const, ...checkAgainstAnchors(proposalId, entries, heads) };
}

async function alerts({ event }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  const { limit } = validate(AlertsQuerySchema, event.queryStringParameters ?? {}, "invalid-query");
  // Newest first; each incident with its raised alert's message, evidence and runbook link.
  return json(200, { alerts: deps.incidents ? await deps.incidents.listIncidents({ limit }) : [] });
}

async function networks(_req: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  // Registry fields only: RPC URLs and KMS key ids (configuration) never leave the function.
  return json(200, { networks: listNetworks().map((n) => ({ ...n, configured: deps.networks(n.id) !== undefined })) });
}
