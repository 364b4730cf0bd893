/** The environment every PayRox function reads (`ENV` in functions/src/env.ts), from the stacks' resources. */
import { ApprovalPolicyError, loadApprovalPolicy } from "@payrox/core";
import { ENV } from "@payrox/functions";
import type * as events from "aws-cdk-lib/aws-events";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { App, Stack, Table } from "sst/constructs";
import { isProtectedStage, stepFunctionArns } from "./naming.js";
import { DEPLOY_ENV, readDeploySettings } from "./settings.js";

/**
 * Largest policy (compact JSON, bytes) the stacks put in a function's environment: Lambda allows 4 KB
 * for all variables together, and the others take about 1.5 KB.
 */
export const MAX_POLICY_BYTES = 2_400;

/** The resources the variables point at. */
export interface FunctionResources {
  table: Table;
  scheduler: { groupName: string; role: iam.IRole; deadLetterQueue: sqs.IQueue; delayQueue: sqs.IQueue };
  bus: events.IEventBus;
}

/** The variables, keyed by the ENV constants (never retyped names). */
export function functionEnvironment(stack: Stack, app: App, { table, scheduler, bus }: FunctionResources): Record<string, string> {
  return {
    [ENV.TABLE_NAME]: table.tableName,
    [ENV.SCHEDULER_GROUP]: scheduler.groupName,
    [ENV.STEP_FUNCTION_ARNS]: stack.toJsonString(stepFunctionArns(stack, app)),
    [ENV.SCHEDULER_ROLE_ARN]: scheduler.role.roleArn,
    [ENV.DLQ_ARN]: scheduler.deadLetterQueue.queueArn,
    [ENV.DELAY_QUEUE_URL]: scheduler.delayQueue.queueUrl,
    [ENV.EVENT_BUS_NAME]: bus.eventBusName,
    ...alertEnvironment(readDeploySettings(process.env)),
    ...governanceEnvironment(app, readDeploySettings(process.env)),
  };
}

/**
 * The approval policy (validated for the stage now, so a bad one fails the deploy rather than the
 * functions), the deployment id `<app>-<stage>` (the approvals' EIP-712 domain salt) and whether the
 * stage is protected (`prod`: approvals required).
 * @throws Error naming the deploy setting when the policy is missing, malformed, too large, or `none` on a protected stage
 */
export function governanceEnvironment(app: Pick<App, "name" | "stage">, settings: Pick<ReturnType<typeof readDeploySettings>, "approvalPolicy">): Record<string, string> {
  const protectedStage = isProtectedStage(app.stage);
  const where = `${DEPLOY_ENV.APPROVAL_POLICY_FILE} (or ${DEPLOY_ENV.APPROVAL_POLICY})`;
  try {
    loadApprovalPolicy(settings.approvalPolicy, { protectedStage });
  } catch (error) {
    if (!(error instanceof ApprovalPolicyError)) throw error;
    throw new Error(`invalid deploy settings: ${where} for stage ${app.stage}: ${error.message}`, { cause: error });
  }
  // The document as given, compacted: the functions validate and hash it themselves.
  const compact = JSON.stringify(JSON.parse(settings.approvalPolicy!));
  if (Buffer.byteLength(compact) > MAX_POLICY_BYTES) {
    throw new Error(`invalid deploy settings: ${where} is ${Buffer.byteLength(compact)} bytes of compact JSON; a function's environment holds at most ${MAX_POLICY_BYTES} (list fewer approvers, or shorter ids and proposer principals)`);
  }
  return { [ENV.APPROVAL_POLICY]: compact, [ENV.DEPLOYMENT_ID]: `${app.name}-${app.stage}`, [ENV.PROTECTED_STAGE]: String(protectedStage) };
}

/** The non-secret alert settings the functions read (the secrets arrive through `bind`). */
export function alertEnvironment(settings: ReturnType<typeof readDeploySettings>): Record<string, string> {
  return {
    ...(settings.pagerDutyEventsUrl && { [ENV.PAGERDUTY_EVENTS_URL]: settings.pagerDutyEventsUrl }),
    ...(settings.runbookBaseUrl && { [ENV.RUNBOOK_BASE_URL]: settings.runbookBaseUrl }),
  };
}
