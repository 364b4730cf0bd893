/**
 * Lambda of the HTTP API (API Gateway HTTP API, payload v2, IAM auth): routes the request, runs one use
 * case, and answers JSON. The caller's mistakes are 4xx `{ error: { code, message } }`; a store that
 * times out or is unavailable is a 503 with `Retry-After`; only an unexpected failure is a 500, logged
 * with its stack.
 */
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { callerOf, matchRoute } from "./api/routes.js";
import { internalError, knownErrorResponse, withEtag, type ApiResponse } from "./api/responses.js";
import { containerDeps } from "./composition.js";
import type { GovernedDeps } from "./governed-deps.js";
import { withBoundSecrets } from "./secrets.js";
import { count, flushMetrics, logger } from "./observability.js";

/** Builds the API handler over `getDeps` (the container's deps in AWS; a test's own in tests). */
export function createApiHandler(getDeps: () => GovernedDeps) {
  return async (event: APIGatewayProxyEventV2, context?: Pick<Context, "awsRequestId">): Promise<ApiResponse> => {
    const { method } = event.requestContext.http;
    const stage = event.requestContext.stage;
    const path = stage && stage !== "$default" && event.rawPath.startsWith(`/${stage}/`) ? event.rawPath.slice(stage.length + 1) : event.rawPath;
    const caller = callerOf(event);
    try {
      const { handle, params } = matchRoute(method, path);
      const deps = { ...getDeps(), actor: caller, owner: context?.awsRequestId ?? "api" };
      const handled = await handle({ params, event, caller }, deps);
      // GETs revalidate: a poll whose answer did not change gets a 304 without a body.
      const response = method === "GET" ? withEtag(handled, event.headers?.["if-none-match"]) : handled;
      count(`api.${response.statusCode}`);
      return response;
    } catch (error) {
      const known = knownErrorResponse(error);
      if (known?.statusCode === 503) logger.warn("request failed: service unavailable", { method, path, error: error as Error });
      else if (known && known.statusCode < 500) logger.info("request refused", { method, path, status: known.statusCode, body: known.body });
      else if (known) logger.error("request refused: deployment misconfigured", { method, path, status: known.statusCode, body: known.body, error: error as Error });
      else logger.error("request failed", { method, path, error: error as Error });
      count(`api.${known?.statusCode ?? 500}`);
      return known ?? internalError(context?.awsRequestId);
    } finally {
      flushMetrics();
    }
  };
}

/** The API Lambda's entry point. */
export const handler = withBoundSecrets(createApiHandler(containerDeps));
