/**
 * The IAM statements PayRox functions get, each scoped to the ARNs it needs (never `*` for a write).
 */
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as events from "aws-cdk-lib/aws-events";
import type { Table } from "sst/constructs";
import { SIGNING_ACTIONS } from "./KeysStack.js";

/** What the DynamoDB adapters call (TransactWriteItems is authorised per contained action). */
export const TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"];

/** Read and write the table and query its indexes (named, not `index/*`). */
export function tableAccess(table: Table, indexNames: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "SingleTable",
    actions: TABLE_ACTIONS,
    resources: [table.tableArn, ...indexNames.map((index) => `${table.tableArn}/index/${index}`)],
  });
}

/** Sign with one KMS key. */
export function signingAccess(key: kms.IKey): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: "SignWithOwnKey", actions: SIGNING_ACTIONS, resources: [key.keyArn] });
}

/** What the scheduler adapters need: the group's schedules, passing the scheduler role, the delay queue. */
export function schedulingAccess(scheduler: { schedulesArn: string; role: iam.IRole; delayQueue: sqs.IQueue }): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: "StepSchedules", actions: ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"], resources: [scheduler.schedulesArn] }),
    new iam.PolicyStatement({
      sid: "PassSchedulerRole",
      actions: ["iam:PassRole"],
      resources: [scheduler.role.roleArn],
      conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
    }),
    new iam.PolicyStatement({ sid: "DelayQueue", actions: ["sqs:SendMessage"], resources: [scheduler.delayQueue.queueArn] }),
  ];
}

/** Publish domain events and alerts on the bus. */
export function publishingAccess(bus: events.IEventBus): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: "PublishEvents", actions: ["events:PutEvents"], resources: [bus.eventBusArn] });
}
