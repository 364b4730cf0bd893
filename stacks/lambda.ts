/**
 * One PayRox Lambda: Node 22 on arm64, an ESM bundle built by SST's esbuild with the shared options of
 * bundling.ts (code splitting, one ethers, source maps kept out of the zip — the bench measures the same
 * build), its own named role with exactly the statements given, and its own log group (no managed
 * policy, no `*` log permission).
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Function, type App, type FunctionProps, type Stack } from "sst/constructs";
import { LAMBDA_RUNTIME, lambdaNodejsProps } from "./bundling.js";
import { acknowledgeFunctionRuntime, acknowledgeScheduleWildcard } from "./nag.js";
import { functionName, functionRoleName, isProtectedStage, type FunctionRole } from "./naming.js";

/** Options of {@link payroxFunction}. */
export interface PayroxFunctionOptions {
  /** Which function (names it, its role and its log group). */
  fn: FunctionRole;
  /** `path/to/file.export`, relative to the repository root. */
  handler: string;
  description: string;
  /** MB. */
  memorySize: number;
  timeout: Duration;
  /** Caps (and guarantees) concurrent executions. @default none: the account's unreserved pool */
  reservedConcurrency?: number;
  environment: Record<string, string>;
  /** Every permission the function has besides writing its own logs. */
  statements: iam.PolicyStatement[];
  /** SST constructs to bind (secrets). */
  bind?: NonNullable<FunctionProps["bind"]>;
  /** Queue receiving async invocations that failed every retry. */
  deadLetterQueue?: sqs.IQueue;
}

/** Shared bundling and runtime of every PayRox function. */
export const FUNCTION_RUNTIME = {
  runtime: LAMBDA_RUNTIME,
  architecture: "arm_64",
  // X-Ray's PutTraceSegments only accepts `*`: tracing stays off so no write action has a `*` resource.
  tracing: "disabled",
  nodejs: lambdaNodejsProps(),
} as const satisfies Partial<FunctionProps>;

/** Creates the function, its role and its log group. */
export function payroxFunction(stack: Stack, options: PayroxFunctionOptions): Function {
  const app = stack.node.root as App;
  const id = options.fn[0]!.toUpperCase() + options.fn.slice(1);
  const name = functionName(app, options.fn);
  const logGroup = new logs.LogGroup(stack, `${id}Logs`, {
    logGroupName: `/aws/lambda/${name}`,
    retention: isProtectedStage(app.stage) ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH,
    removalPolicy: isProtectedStage(app.stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(stack, `${id}Role`, {
    roleName: functionRoleName(app, options.fn),
    description: `PayRox ${options.fn} function`,
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    inlinePolicies: {
      ownLogs: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ sid: "OwnLogGroup", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [logGroup.logGroupArn] })],
      }),
    },
  });
  const fn = new Function(stack, `${id}Function`, {
    ...FUNCTION_RUNTIME,
    functionName: name,
    handler: options.handler,
    description: options.description,
    memorySize: options.memorySize,
    timeout: options.timeout.toSeconds(),
    role,
    logGroup,
    environment: options.environment,
    permissions: options.statements,
    bind: options.bind ?? [],
    ...(options.reservedConcurrency !== undefined && { reservedConcurrentExecutions: options.reservedConcurrency }),
    ...(options.deadLetterQueue && { deadLetterQueue: options.deadLetterQueue, retryAttempts: 2 }),
  });
  acknowledgeFunctionRuntime(fn);
  if (options.statements.some((s) => s.actions.some((a) => a.startsWith("scheduler:")))) acknowledgeScheduleWildcard(role);
  return fn;
}
