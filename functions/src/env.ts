/**
 * Environment of the PayRox Lambdas: the variable names (exported, so the stack sets exactly these) and
 * `readEnv`, which validates them once per container and names the offending variable on failure.
 */
import { deliveryUrl, pagerDutyRoutingKey, PAGERDUTY_EVENTS_URL, type AwsClientBounds } from "@payrox/aws";
import { StepName } from "@payrox/core/runs";
import * as z from "zod";

/** Names of every environment variable the functions read; the stack reuses these constants. */
export const ENV = {
  /** DynamoDB single table (runs, leases, audit, jobs). */
  TABLE_NAME: "PAYROX_TABLE_NAME",
  /** Optional DynamoDB endpoint override (DynamoDB Local); unset in AWS. */
  DYNAMODB_ENDPOINT: "PAYROX_DYNAMODB_ENDPOINT",
  /** Network configuration document (JSON text of `loadNetworkConfig`'s input); unset = the whole registry, no signing. */
  NETWORK_CONFIG: "PAYROX_NETWORK_CONFIG",
  /** EventBridge Scheduler group the step schedules live in. */
  SCHEDULER_GROUP: "PAYROX_SCHEDULER_GROUP",
  /** JSON `{ "commit": arn, "apply": arn, "activate": arn }`: the Lambda each step's schedule targets. */
  STEP_FUNCTION_ARNS: "PAYROX_STEP_FUNCTION_ARNS",
  /** Role EventBridge Scheduler assumes to invoke the step functions. */
  SCHEDULER_ROLE_ARN: "PAYROX_SCHEDULER_ROLE_ARN",
  /** Dead-letter queue of schedules whose target failed every retry. */
  DLQ_ARN: "PAYROX_DLQ_ARN",
  /** Optional SQS delay queue for steps due within 15 minutes; unset = EventBridge Scheduler only. */
  DELAY_QUEUE_URL: "PAYROX_DELAY_QUEUE_URL",
  /** EventBridge bus that receives alerts. */
  EVENT_BUS_NAME: "PAYROX_EVENT_BUS_NAME",
  /** Optional KMS key (id, ARN or alias) the deployment gives this function; a network configured with `kmsKeyId: "deployment"` signs with it. */
  SIGNER_KEY_ID: "PAYROX_SIGNER_KEY_ID",
  /** Optional 0x-hex private key of the Flashbots reputation identity (an SST secret in AWS; it holds no funds and signs no transaction). */
  FLASHBOTS_AUTH_KEY: "PAYROX_FLASHBOTS_AUTH_KEY",
  /** Optional JSON `[{ "id", "url", "secret" }]`: webhook endpoints alerts are POSTed to (signed with each secret). */
  ALERT_WEBHOOKS: "PAYROX_ALERT_WEBHOOKS",
  /** Optional PagerDuty Events API v2 integration (routing) key: alerts trigger and resolve PagerDuty incidents (an SST secret in AWS). */
  PAGERDUTY_ROUTING_KEY: "PAYROX_PAGERDUTY_ROUTING_KEY",
  /** Optional Events API v2 URL; default `https://events.pagerduty.com/v2/enqueue` (EU: `https://events.eu.pagerduty.com/v2/enqueue`). */
  PAGERDUTY_EVENTS_URL: "PAYROX_PAGERDUTY_EVENTS_URL",
  /** Optional Slack incoming-webhook URL: alerts as readable channel messages (an SST secret in AWS: the URL is the credential). */
  SLACK_WEBHOOK_URL: "PAYROX_SLACK_WEBHOOK_URL",
  /** Optional base of every alert's `runbook` link (`<base>#<type>`), e.g. your repository's URL of packages/core/RUNBOOKS.md; default the repository path. */
  RUNBOOK_BASE_URL: "PAYROX_RUNBOOK_BASE_URL",
  /** Optional milliseconds to connect to an AWS endpoint (DynamoDB, Scheduler, SQS, EventBridge); default `AWS_CLIENT_BOUNDS`. */
  AWS_CONNECT_TIMEOUT_MS: "PAYROX_AWS_CONNECT_TIMEOUT_MS",
  /** Optional milliseconds one attempt of an AWS call may take; default `AWS_CLIENT_BOUNDS`. */
  AWS_REQUEST_TIMEOUT_MS: "PAYROX_AWS_REQUEST_TIMEOUT_MS",
  /** Optional attempts per AWS call, the first included; default `AWS_CLIENT_BOUNDS`. */
  AWS_MAX_ATTEMPTS: "PAYROX_AWS_MAX_ATTEMPTS",
  /** Optional S3 bucket (Object Lock) where the audit chains' heads are anchored; unset = no anchoring. */
  ANCHOR_BUCKET: "PAYROX_ANCHOR_BUCKET",
  /**
   * The approval policy document (JSON text of `loadApprovalPolicy`'s input). Required: a deployment states
   * `{"approvals":"none"}` explicitly to run without approvals, and a protected stage refuses that.
   */
  APPROVAL_POLICY: "PAYROX_APPROVAL_POLICY",
  /** The deployment's id, e.g. `<app>-<stage>`: the approvals' EIP-712 domain salt is its keccak256. */
  DEPLOYMENT_ID: "PAYROX_DEPLOYMENT_ID",
  /** Optional `true` on a protected (production) stage, which refuses `approvals: "none"`; default `false`. */
  PROTECTED_STAGE: "PAYROX_PROTECTED_STAGE",
  /** Optional seconds a proposal may await approval before the watchdog raises `approval-stale` (60 s–30 days); default 24 h. */
  APPROVAL_STALE_AFTER_SECONDS: "PAYROX_APPROVAL_STALE_AFTER_SECONDS",
} as const;

/** The `kmsKeyId` a network configuration uses to say "the key this deployment gives the function" ({@link ENV.SIGNER_KEY_ID}). */
export const DEPLOYMENT_SIGNER = "deployment";

/** One of {@link ENV}'s variable names. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The validated environment. */
export interface FunctionsEnv {
  tableName: string;
  dynamoEndpoint?: string;
  /** The configuration document's JSON text, validated later by `loadNetworkConfig`. */
  networkConfig?: string;
  schedulerGroup: string;
  stepFunctionArns: Record<StepName, string>;
  schedulerRoleArn: string;
  dlqArn: string;
  delayQueueUrl?: string;
  eventBusName: string;
  signerKeyId?: string;
  flashbotsAuthKey?: string;
  /** Webhook endpoints of alerts; empty when none are configured. */
  alertWebhooks: { id: string; url: string; secret: string }[];
  /** PagerDuty destination, when a routing key is configured. */
  pagerDuty?: { routingKey: string; eventsUrl: string };
  /** Slack destination, when a webhook URL is configured. */
  slackWebhookUrl?: string;
  /** Base of alerts' runbook links; unset = the repository path. */
  runbookBaseUrl?: string;
  /** Timeouts and attempts of the AWS clients the functions build; unset fields take `AWS_CLIENT_BOUNDS`. */
  awsClientBounds?: Partial<AwsClientBounds>;
  /** Bucket of the audit anchors (its default Object Lock retention applies to every object). */
  anchorBucket?: string;
  /**
   * The approval policy's JSON text. readEnv checks it is JSON with an `approvals` of `"none"` or an object
   * (and not `"none"` on a protected stage); `loadApprovalPolicy` validates the rest when governance is built.
   */
  approvalPolicy: string;
  /** Names the deployment in the approvals' typed data. */
  deploymentId: string;
  /** A protected (production) stage: approvals are required. */
  protectedStage: boolean;
  /** Age (ms) past which a proposal awaiting approval raises `approval-stale`; unset = the use cases' default. */
  approvalStaleAfterMs?: number;
}

/** A missing or malformed environment variable: a deployment mistake, reported at cold start. */
export class EnvConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[], options?: { cause?: unknown }) {
    super(`invalid Lambda environment: ${problems.map((p) => `${p.variable} ${p.message}`).join("; ")} (the stack sets these from ENV in functions/src/env.ts)`, options);
    this.name = "EnvConfigError";
  }
}

const required = (what: string) => z.string({ error: `is required: ${what}` }).trim().min(1, `must not be empty: ${what}`);
const arn = (what: string) => required(what).regex(/^arn:aws[a-z-]*:/, `must be an ARN (${what})`);

const stepArns = z.strictObject({ [StepName.COMMIT]: arn("commit function"), [StepName.APPLY]: arn("apply function"), [StepName.ACTIVATE]: arn("activate function") });

const webhooks = z.array(z.strictObject({ id: z.string().regex(/^[^#]+$/, "must be a name without #"), url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16, "must be at least 16 characters") }));

const milliseconds = (what: string, max: number) => z.coerce.number({ error: `must be a number of milliseconds (${what})` }).int(`must be an integer (${what})`).min(1, `must be at least 1 (${what})`).max(max, `must be at most ${max} (${what})`);

const jsonText = (what: string) =>
  required(what).transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: `must be JSON text (${what})` });
      return z.NEVER;
    }
  });

/**
 * The policy's outline, checked at cold start without the address and hash code (ethers) that
 * `loadApprovalPolicy` needs: the API's start-up stays small, and a missing or unreadable policy still
 * stops every function at once.
 */
const policyOutline = z.looseObject({
  approvals: z.union([z.literal("none"), z.record(z.string(), z.unknown())], { error: 'must be "none" (stated explicitly to run without approvals) or { approvers, threshold, windowSeconds, proposerMap, allOrNone }' }),
}, { error: 'must be a JSON object { "approvals": … }' });

const EnvSchema = z.object({
  [ENV.TABLE_NAME]: required("the DynamoDB table name"),
  [ENV.DYNAMODB_ENDPOINT]: z.url({ error: "must be an http(s) URL" }).optional(),
  [ENV.NETWORK_CONFIG]: z.string().min(1).optional(),
  [ENV.SCHEDULER_GROUP]: required("the EventBridge Scheduler group name"),
  [ENV.STEP_FUNCTION_ARNS]: required('JSON {"commit","apply","activate"} of function ARNs').transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON text" });
      return z.NEVER;
    }
  }).pipe(stepArns),
  [ENV.SCHEDULER_ROLE_ARN]: arn("the role EventBridge Scheduler assumes"),
  [ENV.DLQ_ARN]: arn("the schedules' dead-letter queue"),
  [ENV.DELAY_QUEUE_URL]: z.url({ error: "must be an SQS queue URL" }).optional(),
  [ENV.EVENT_BUS_NAME]: required("the EventBridge bus for alerts"),
  [ENV.SIGNER_KEY_ID]: z.string().regex(/^\S+$/, "must be a KMS key id, ARN or alias (no spaces)").optional(),
  [ENV.FLASHBOTS_AUTH_KEY]: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key").optional(),
  [ENV.ALERT_WEBHOOKS]: z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON text" });
      return z.NEVER;
    }
  }).pipe(webhooks).optional(),
  [ENV.PAGERDUTY_ROUTING_KEY]: pagerDutyRoutingKey.optional(),
  [ENV.PAGERDUTY_EVENTS_URL]: deliveryUrl.optional(),
  [ENV.SLACK_WEBHOOK_URL]: deliveryUrl.optional(),
  [ENV.RUNBOOK_BASE_URL]: z.string().trim().min(1).regex(/^[^\s#]+$/, "must be a URL or path without spaces or #").optional(),
  [ENV.AWS_CONNECT_TIMEOUT_MS]: milliseconds("AWS connection timeout", 60_000).optional(),
  [ENV.AWS_REQUEST_TIMEOUT_MS]: milliseconds("AWS request timeout per attempt", 300_000).optional(),
  [ENV.ANCHOR_BUCKET]: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name").optional(),
  [ENV.AWS_MAX_ATTEMPTS]: z.coerce.number({ error: "must be a number of attempts" }).int("must be an integer").min(1, "must be at least 1").max(10, "must be at most 10").optional(),
  [ENV.APPROVAL_POLICY]: jsonText('the approval policy, or {"approvals":"none"} stated explicitly to run without approvals').pipe(policyOutline),
  [ENV.DEPLOYMENT_ID]: required("the deployment's id, e.g. <app>-<stage> (the approvals' EIP-712 domain salt)").regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "must be 1–128 letters, digits, '.', '_' or '-', e.g. payrox-prod"),
  [ENV.PROTECTED_STAGE]: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional(),
  [ENV.APPROVAL_STALE_AFTER_SECONDS]: z.coerce.number({ error: "must be a number of seconds" }).int("must be a whole number of seconds").min(60, "must be at least 60 seconds").max(30 * 24 * 3600, "must be at most 2592000 seconds (30 days)").optional(),
}).refine((e) => !(e[ENV.PROTECTED_STAGE] === "true" && e[ENV.APPROVAL_POLICY].approvals === "none"), {
  path: [ENV.APPROVAL_POLICY],
  error: `says approvals "none" on a protected stage (${ENV.PROTECTED_STAGE}=true); a protected stage must require approvals: list approvers and a threshold`,
}).refine((e) => e[ENV.PAGERDUTY_EVENTS_URL] === undefined || e[ENV.PAGERDUTY_ROUTING_KEY] !== undefined, {
  path: [ENV.PAGERDUTY_EVENTS_URL],
  error: `is set without ${ENV.PAGERDUTY_ROUTING_KEY}: set the routing key too, or unset it`,
});

/**
 * Validates the environment.
 * @throws {EnvConfigError} naming every missing or malformed variable
 * @example const env = readEnv(process.env)
 */
export function readEnv(source: Record<string, string | undefined>): FunctionsEnv {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new EnvConfigError(parsed.error.issues.map((issue) => ({ variable: issue.path.map(String).join("."), message: issue.message })));
  }
  const e = parsed.data;
  const boundEntries = Object.entries({ connectionTimeoutMs: e[ENV.AWS_CONNECT_TIMEOUT_MS], requestTimeoutMs: e[ENV.AWS_REQUEST_TIMEOUT_MS], maxAttempts: e[ENV.AWS_MAX_ATTEMPTS] }).filter(([, v]) => v !== undefined);
  const routingKey = e[ENV.PAGERDUTY_ROUTING_KEY];
  const stale = e[ENV.APPROVAL_STALE_AFTER_SECONDS];
  const bounds = boundEntries.length ? (Object.fromEntries(boundEntries) as Partial<AwsClientBounds>) : undefined;
  return {
    tableName: e[ENV.TABLE_NAME],
    ...(e[ENV.DYNAMODB_ENDPOINT] && { dynamoEndpoint: e[ENV.DYNAMODB_ENDPOINT] }),
    ...(e[ENV.NETWORK_CONFIG] && { networkConfig: e[ENV.NETWORK_CONFIG] }),
    schedulerGroup: e[ENV.SCHEDULER_GROUP],
    stepFunctionArns: e[ENV.STEP_FUNCTION_ARNS],
    schedulerRoleArn: e[ENV.SCHEDULER_ROLE_ARN],
    dlqArn: e[ENV.DLQ_ARN],
    ...(e[ENV.DELAY_QUEUE_URL] && { delayQueueUrl: e[ENV.DELAY_QUEUE_URL] }),
    eventBusName: e[ENV.EVENT_BUS_NAME],
    ...(e[ENV.SIGNER_KEY_ID] && { signerKeyId: e[ENV.SIGNER_KEY_ID] }),
    ...(e[ENV.FLASHBOTS_AUTH_KEY] && { flashbotsAuthKey: e[ENV.FLASHBOTS_AUTH_KEY] }),
    alertWebhooks: e[ENV.ALERT_WEBHOOKS] ?? [],
    ...(routingKey && { pagerDuty: { routingKey, eventsUrl: e[ENV.PAGERDUTY_EVENTS_URL] ?? PAGERDUTY_EVENTS_URL } }),
    ...(e[ENV.SLACK_WEBHOOK_URL] && { slackWebhookUrl: e[ENV.SLACK_WEBHOOK_URL] }),
    ...(e[ENV.RUNBOOK_BASE_URL] && { runbookBaseUrl: e[ENV.RUNBOOK_BASE_URL] }),
    ...(bounds && { awsClientBounds: bounds }),
    ...(e[ENV.ANCHOR_BUCKET] && { anchorBucket: e[ENV.ANCHOR_BUCKET] }),
    approvalPolicy: source[ENV.APPROVAL_POLICY]!,
    deploymentId: e[ENV.DEPLOYMENT_ID],
    protectedStage: e[ENV.PROTECTED_STAGE] === "true",
    ...(stale !== undefined && { approvalStaleAfterMs: stale * 1000 }),
  };
}
