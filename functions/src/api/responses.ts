/**
 * JSON responses of the HTTP API and the mapping of errors to them: the caller's mistakes are 4xx with
 * a stable code and a message saying what to do; anything else is a 500 with a generic message.
 */
import { createHash } from "node:crypto";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { InvalidCursorError, isServiceUnavailable, ItemTooLargeError, ProposalExistsError, StoreInputError } from "@payrox/aws";
import { BundleSimulationRevertedError, ChainError, RelayRefusedError, RelayUnavailableError, TxConfirmationTimeoutError } from "@payrox/chain/errors";
import { ApprovalPolicyError, ApprovalRejectedError, GovernanceConfigError, isNetworkBusy, isRunVersionConflict, NetworkGasCapError, NetworkReadError, ProposalFinishedError, ProposalNotFoundError, ProposalRejectedError, ProposalRejection } from "@payrox/core/runs";
import { ENV, EnvConfigError } from "../env.js";

/** A response of the API. */
export type ApiResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** A caller's mistake the API itself detects (bad JSON, bad body, unknown route…). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Seconds a caller is asked to wait (`Retry-After`) when a service behind the API is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** A JSON response. */
export function json(statusCode: number, body: unknown): ApiResponse {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/**
 * A GET's 200 with a strong `ETag` (a hash of the body) and `Cache-Control: no-cache`, or a 304 with no
 * body when `ifNoneMatch` names that tag: a console polling every few seconds moves no body while
 * nothing changed. Anything but a 200 is returned as is.
 */
export function withEtag(response: ApiResponse, ifNoneMatch: string | undefined): ApiResponse {
  if (response.statusCode !== 200) return response;
  const etag = `"${createHash("sha256").update(response.body).digest("base64url").slice(0, 32)}"`;
  const headers: Record<string, string | number | boolean> = { ...response.headers, etag, "cache-control": "no-cache" };
  const matches = ifNoneMatch !== undefined && (ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag));
  if (!matches) return { ...response, headers };
  const { "content-type": _type, ...rest } = headers;
  return { statusCode: 304, headers: rest, body: "" };
}

/** The `{ error: { code, message } }` body every failure carries. */
export function errorResponse(status: number, code: string, message: string, details?: Record<string, unknown>): ApiResponse {
  return json(status, { error: { code, message, ...details } });
}

/**
 * Maps an error to its response (a service that is unavailable: 503 with `Retry-After`); `undefined` for
 * an unexpected error (the caller logs it and answers 500).
 */
export function knownErrorResponse(error: unknown): ApiResponse | undefined {
  if (error instanceof ApiError) return errorResponse(error.status, error.code, error.message);
  if (error instanceof ProposalRejectedError) {
    const status = error.code === ProposalRejection.MANIFEST_TOO_LARGE ? 413 : 400;
    // A gas-cap refusal names the network, its limit and the call that can't fit it.
    const cap = error instanceof NetworkGasCapError ? { network: error.network, maxTxGas: error.maxTxGas, call: error.call, ...(error.gas !== undefined && { gas: error.gas }) } : {};
    return errorResponse(status, error.code, error.message, { field: error.field, ...cap });
  }
  if (error instanceof ApprovalRejectedError) return errorResponse(error.status, error.code, error.message, error.details);
  if (error instanceof ProposalNotFoundError) return errorResponse(404, "proposal-not-found", error.message);
  if (error instanceof ProposalFinishedError) return errorResponse(409, "proposal-finished", error.message, { states: error.states });
  if (isNetworkBusy(error)) return errorResponse(409, "network-busy", error.message, { network: error.network, holder: error.holder });
  if (error instanceof ProposalExistsError || isRunVersionConflict(error)) return errorResponse(409, "conflict", `${(error as Error).message}; retry the request`);
  if (error instanceof InvalidCursorError) return errorResponse(400, "invalid-cursor", `${error.message}; pass the cursor of a previous GET /proposals response unchanged`);
  if (error instanceof ItemTooLargeError) return errorResponse(413, "manifest-too-large", `${error.message}; split the upgrade into several manifests`);
  if (error instanceof StoreInputError) return errorResponse(400, "invalid-request", error.message);
  // Before the store's check, which would take the RPC's refused connection in its cause for the store's: the chain could not be read for what an approval binds (a dispatcher) or checks (an ERC-1271 account).
  if (error instanceof ChainError && (error.name === "ApprovalTargetReadError" || error.name === "Erc1271ReadError")) {
    const network = (error as ChainError & { network: string }).network;
    // Without a cause nothing failed to answer: the network is configured wrongly (no dispatcher, another chain).
    if (error.cause === undefined) return errorResponse(500, "governance-misconfigured", `${error.message}; fix the network configuration (${ENV.NETWORK_CONFIG})`, { network });
    return retryLater(errorResponse(503, "network-unavailable", `${error.message}; retry the request`, { network }));
  }
  if (isServiceUnavailable(error)) return serviceUnavailable();
  if (error instanceof NetworkReadError) return retryLater(errorResponse(503, "network-unavailable", error.message, { network: error.network }));
  // A cancel (or any send) that a relay or the chain did not take yet: the transaction is journaled, and
  // the same request resumes it instead of signing another.
  if (error instanceof RelayUnavailableError || error instanceof RelayRefusedError || error instanceof BundleSimulationRevertedError) {
    return retryLater(errorResponse(503, "relay-unavailable", `${error.message}; retry the request: a journaled transaction is resumed, never sent twice`));
  }
  const misconfigured = deploymentMisconfigured(error);
  if (misconfigured) return misconfigured;
  if (error instanceof TxConfirmationTimeoutError) return retryLater(errorResponse(503, "not-confirmed-yet", `${error.message}; retry the request to keep following it`));
  if (isTransientChainError(error)) return retryLater(errorResponse(503, "network-unavailable", `a network's RPC did not answer (${(error as Error).message.slice(0, 200)}); retry the request`));
  return undefined;
}

/** Environment variables whose problems the API may tell a caller: governance configuration, nothing secret. */
const SHOWN_VARIABLES: ReadonlySet<string> = new Set([ENV.APPROVAL_POLICY, ENV.DEPLOYMENT_ID, ENV.PROTECTED_STAGE]);

/**
 * A deployment mistake (a policy that can't be used, a governance that can't run): 500, since no retry
 * helps, with a message naming the variable to fix. Other variables' messages stay in the logs.
 */
function deploymentMisconfigured(error: unknown): ApiResponse | undefined {
  if (error instanceof EnvConfigError) {
    // A problem's variable may carry a path inside it (`PAYROX_APPROVAL_POLICY.approvals`).
    const shown = (variable: string) => SHOWN_VARIABLES.has(variable.split(".")[0]!);
    const problems = error.problems.map((p) => (shown(p.variable) ? `${p.variable} ${p.message}` : `${p.variable} is invalid (see the function's logs)`));
    const governance = error.problems.every((p) => shown(p.variable));
    return errorResponse(500, governance ? "approval-policy-invalid" : "deployment-misconfigured", `the deployment is misconfigured, so the API refuses: ${problems.join("; ")}; fix the stack's configuration and deploy again`);
  }
  if (error instanceof ApprovalPolicyError) return errorResponse(500, "approval-policy-invalid", `the deployment's ${ENV.APPROVAL_POLICY} can't be used, so the API refuses: ${error.message}`);
  if (error instanceof GovernanceConfigError) return errorResponse(500, "governance-misconfigured", error.message);
  return undefined;
}

/** An ethers transport failure (timeout, refused connection, server error): the node may answer later. */
function isTransientChainError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "NETWORK_ERROR" || code === "TIMEOUT" || code === "SERVER_ERROR" || code === "ECONNREFUSED" || code === "ECONNRESET";
}

/** `response` with `Retry-After`. */
function retryLater(response: ApiResponse): ApiResponse {
  return { ...response, headers: { ...response.headers, "retry-after": String(RETRY_AFTER_SECONDS) } };
}

/**
 * The 503 of a store (or scheduler) that timed out, refused the connection, throttled or failed on its
 * side: the caller retries after `Retry-After` seconds.
 */
export function serviceUnavailable(): ApiResponse {
  const response = errorResponse(
    503,
    "service-unavailable",
    `the PayRox store did not answer in time or is unavailable; retry in ${RETRY_AFTER_SECONDS} s (after a POST, read the proposal first: the change may have been applied)`,
  );
  return { ...response, headers: { ...response.headers, "retry-after": String(RETRY_AFTER_SECONDS) } };
}

/** The 500 response: no internals leak to the caller. */
export function internalError(requestId: string | undefined): ApiResponse {
  return errorResponse(500, "internal", `internal error; retry later or report request ${requestId ?? "(unknown)"}`);
}
