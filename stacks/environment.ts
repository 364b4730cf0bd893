/** The environment every PayRox function reads (`ENV` in functions/src/env.ts), from the stacks' resources. */
import { ENV } from "@payrox/functions";
import type * as events from "aws-cdk-lib/aws-events";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { App, Stack, Table } from "sst/constructs";
import { stepFunctionArns } from "./naming.js";
import { readDeploySettings } from "./settings.js";

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
  };
}

/** The non-secret alert settings the functions read (the secrets arrive through `bind`). */
export function alertEnvironment(settings: ReturnType<typeof readDeploySettings>): Record<string, string> {
  return {
    ...(settings.pagerDutyEventsUrl && { [ENV.PAGERDUTY_EVENTS_URL]: settings.pagerDutyEventsUrl }),
    ...(settings.runbookBaseUrl && { [ENV.RUNBOOK_BASE_URL]: settings.runbookBaseUrl }),
  };
}
