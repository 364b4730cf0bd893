/**
 * The web console on AWS: its static site (S3 + CloudFront, see console-site.ts) and the **browser API**,
 * a second HTTP API in front of the same API function. An HTTP API route has one authorizer: the CLI's
 * API keeps IAM (SigV4, or the JWT mode of ApiStack); the browser API takes JWTs from the console's
 * OIDC issuer and declares only the routes the console needs — every read route and the signed
 * approvals, whose EIP-712 signatures are the authority, not the caller — never propose or cancel.
 * Without an OIDC issuer and client configured the stack deploys neither (its ConsoleUrl output says so).
 */
import { resolve } from "node:path";
import type { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId, type AwsSdkCall } from "aws-cdk-lib/custom-resources";
import { API_ROUTE_KEYS } from "@payrox/functions";
import { Api, use, type StackContext } from "sst/constructs";
import { API_THROTTLE, ApiStack } from "./ApiStack.js";
import { CONSOLE_CORS } from "./console-headers.js";
import { ConsoleSite } from "./console-site.js";
import { acknowledgeConsoleDeployment, acknowledgeConsoleDistribution } from "./nag.js";
import { isProtectedStage } from "./naming.js";
import { DEPLOY_ENV, readDeploySettings } from "./settings.js";

/** The one write route the console has: an approver's signed Approve, Reject or Withdraw. */
export const CONSOLE_APPROVAL_ROUTE = "POST /proposals/{id}/approvals";

/**
 * The browser API's access log line: SST's fields plus who called (the token's subject) and why an
 * authorizer refused — the trail of who read what from the console.
 */
export const BROWSER_API_ACCESS_LOG_FORMAT = JSON.stringify({
  requestTime: "$context.requestTime",
  requestId: "$context.requestId",
  httpMethod: "$context.httpMethod",
  path: "$context.path",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLatency: "$context.responseLatency",
  integrationRequestId: "$context.integration.requestId",
  integrationStatus: "$context.integration.status",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  subject: "$context.authorizer.claims.sub",
  authorizerError: "$context.authorizer.error",
});

/** The ConsoleUrl output of a stage without the console's OIDC settings. */
export const CONSOLE_NOT_CONFIGURED = `not deployed: set ${DEPLOY_ENV.CONSOLE_OIDC_ISSUER} and ${DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID} (README: Deploy to AWS, the web console)`;

/**
 * The browser API's routes: every GET route of the API function and {@link CONSOLE_APPROVAL_ROUTE}.
 * @throws Error if the API function no longer declares the approval route (the console could not approve)
 */
export function consoleRouteKeys(routeKeys: readonly string[] = API_ROUTE_KEYS): string[] {
  if (!routeKeys.includes(CONSOLE_APPROVAL_ROUTE)) throw new Error(`the API function declares no ${CONSOLE_APPROVAL_ROUTE}: update CONSOLE_APPROVAL_ROUTE in stacks/ConsoleStack.ts`);
  return routeKeys.filter((key) => key.startsWith("GET ") || key === CONSOLE_APPROVAL_ROUTE);
}

/** The console's site and browser API, or nothing when the console's OIDC sign-in is not configured. */
export function ConsoleStack({ app, stack }: StackContext) {
  const settings = readDeploySettings(process.env).console;
  if (!settings) {
    stack.addOutputs({ ConsoleUrl: CONSOLE_NOT_CONFIGURED });
    return { api: undefined, site: undefined };
  }
  const { handler } = use(ApiStack);
  const keep = isProtectedStage(app.stage);

  const api = new Api(stack, "BrowserApi", {
    // Set by allowConsoleOrigin below, once the console's origin exists (SST's default would be `*`).
    cors: false,
    authorizers: { oidc: { type: "jwt", jwt: { issuer: settings.issuer, audience: settings.audience } } },
    defaults: { authorizer: "oidc", throttle: API_THROTTLE },
    accessLog: { format: BROWSER_API_ACCESS_LOG_FORMAT, retention: keep ? "one_year" : "one_month" },
    routes: Object.fromEntries(consoleRouteKeys().map((key) => [key, handler])),
  });

  const site = new ConsoleSite(stack, "Console", {
    distPath: resolve(settings.distDir),
    apiUrl: api.url,
    auth: { issuer: settings.issuer, clientId: settings.clientId },
    signInOrigins: settings.signInOrigins,
    retain: keep,
  });
  allowConsoleOrigin(stack, { apiId: api.cdk.httpApi.apiId, apiArn: api.httpApiArn }, site.url);
  acknowledgeConsoleDeployment(stack);
  acknowledgeConsoleDistribution(site.distribution);

  stack.addOutputs({ ConsoleUrl: site.url, ConsoleApiUrl: api.url });
  return { api, site };
}

/**
 * Sets the browser API's CORS to exactly the console's origin once both exist. Declaring it on the API
 * resource would close a cycle CloudFormation refuses: the API's CORS needs the distribution's domain,
 * and the distribution's headers (CSP `connect-src`) need the API's origin. The call runs again whenever
 * the API's id, the origin or the rules change, and may only update this one API.
 */
function allowConsoleOrigin(stack: Stack, { apiId, apiArn }: { apiId: string; apiArn: string }, origin: string): AwsCustomResource {
  const call: AwsSdkCall = {
    service: "ApiGatewayV2",
    action: "UpdateApi",
    parameters: {
      ApiId: apiId,
      CorsConfiguration: {
        AllowOrigins: [origin],
        AllowMethods: [...CONSOLE_CORS.allowMethods],
        AllowHeaders: [...CONSOLE_CORS.allowHeaders],
        ExposeHeaders: [...CONSOLE_CORS.exposeHeaders],
        MaxAge: CONSOLE_CORS.maxAgeSeconds,
        AllowCredentials: CONSOLE_CORS.allowCredentials,
      },
    },
    physicalResourceId: PhysicalResourceId.of(`${apiId}-cors`),
  };
  return new AwsCustomResource(stack, "BrowserApiCors", {
    onCreate: call,
    onUpdate: call,
    policy: AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ sid: "BrowserApiCorsOnly", actions: ["apigateway:PATCH"], resources: [apiArn] })]),
    installLatestAwsSdk: false,
  });
}
