/**
 * The HTTP API: every route of the API function (`API_ROUTE_KEYS`), IAM-authorized (or JWT when the
 * deployer configures an issuer), throttled, with access logs. The API function signs only with the
 * `emergency` key: cancelling a committed run is its one chain write.
 */
import { Duration } from "aws-cdk-lib";
import { API_ROUTE_KEYS, ENV } from "@payrox/functions";
import { Api, use, type StackContext } from "sst/constructs";
import { functionEnvironment } from "./environment.js";
import { anchorBucketAccess, AnchorStack } from "./AnchorStack.js";
import { EventsStack } from "./EventsStack.js";
import { KeysStack } from "./KeysStack.js";
import { payroxFunction } from "./lambda.js";
import { acknowledgeAnchorObjects } from "./nag.js";
import { FunctionRole, isProtectedStage } from "./naming.js";
import { publishingAccess, schedulingAccess, signingAccess, tableAccess } from "./permissions.js";
import { SchedulerStack } from "./SchedulerStack.js";
import { readDeploySettings } from "./settings.js";
import { StorageStack } from "./StorageStack.js";

/** Steady-state requests per second and burst the API accepts before answering 429. */
export const API_THROTTLE = { rate: 20, burst: 40 } as const;

/** The API function and the HTTP API in front of it. */
export function ApiStack({ app, stack }: StackContext) {
  const { table, indexNames } = use(StorageStack);
  const { keys, secrets } = use(KeysStack);
  const scheduler = use(SchedulerStack);
  const { bus } = use(EventsStack);
  const anchors = use(AnchorStack);
  const authorization = readDeploySettings(process.env).apiAuthorization;

  const handler = payroxFunction(stack, {
    fn: FunctionRole.API,
    handler: "functions/src/api.handler",
    description: "PayRox HTTP API",
    memorySize: 512,
    // API Gateway gives up on an integration after 30 s.
    timeout: Duration.seconds(29),
    environment: { ...functionEnvironment(stack, app, { table, scheduler, bus }), [ENV.SIGNER_KEY_ID]: keys.emergency.keyArn, [ENV.ANCHOR_BUCKET]: anchors.bucket.bucketName },
    statements: [tableAccess(table, indexNames), publishingAccess(bus), ...schedulingAccess(scheduler), signingAccess(keys.emergency), ...anchorBucketAccess(anchors.bucket, "read")],
    bind: Object.values(secrets),
  });

  acknowledgeAnchorObjects(handler.role!);

  const api = new Api(stack, "Api", {
    // No browser calls this API (SST's default CORS would allow every origin); the console has its own (ConsoleStack).
    cors: false,
    ...(authorization.kind === "jwt" && { authorizers: { jwt: { type: "jwt" as const, jwt: { issuer: authorization.issuer, audience: authorization.audience } } } }),
    defaults: { authorizer: authorization.kind, throttle: API_THROTTLE },
    accessLog: { retention: isProtectedStage(app.stage) ? "one_year" : "one_month" },
    routes: Object.fromEntries(API_ROUTE_KEYS.map((key) => [key, handler])),
  });

  stack.addOutputs({ ApiUrl: api.url });
  return { api, handler };
}
