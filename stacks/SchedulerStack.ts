/**
 * The step schedules' plumbing: one EventBridge Scheduler group per stage, the role the scheduler
 * assumes (it may invoke the step functions and dead-letter a failed invocation, nothing else), the
 * dead-letter queue, and the SQS delay queue for steps due within 15 minutes.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { StackContext } from "sst/constructs";
import { isProtectedStage, resourceName, STEP_FUNCTIONS, stepFunctionArns } from "./naming.js";

/** Longest a step runs (the activation holds until its ETA): the delay queue hides a message this long. */
export const STEP_TIMEOUT = Duration.minutes(15);

/** Scheduler group, scheduler role, DLQ and delay queue. */
export function SchedulerStack({ app, stack }: StackContext) {
  const removalPolicy = isProtectedStage(app.stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const group = new scheduler.CfnScheduleGroup(stack, "StepSchedules", { name: resourceName(app, "steps") });
  group.applyRemovalPolicy(removalPolicy);
  const schedulesArn = stack.formatArn({ service: "scheduler", resource: "schedule", resourceName: `${group.name}/*` });

  const deadLetterQueue = new sqs.Queue(stack, "DeadLetterQueue", {
    queueName: resourceName(app, "step-dlq"),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy,
  });
  const delayQueue = new sqs.Queue(stack, "DelayQueue", {
    queueName: resourceName(app, "step-delay"),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // A message is invisible while a step works on it; a step may run STEP_TIMEOUT.
    visibilityTimeout: STEP_TIMEOUT.plus(Duration.minutes(1)),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
    removalPolicy,
  });

  const role = new iam.Role(stack, "SchedulerRole", {
    roleName: resourceName(app, "scheduler"),
    description: "EventBridge Scheduler invokes the PayRox step functions with this role",
    // Only this account's schedules in this group may assume it (confused-deputy guard).
    assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
      conditions: { StringEquals: { "aws:SourceAccount": stack.account }, ArnLike: { "aws:SourceArn": schedulesArn } },
    }),
    inlinePolicies: {
      invokeSteps: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ sid: "InvokeStepFunctions", actions: ["lambda:InvokeFunction"], resources: STEP_FUNCTIONS.map((fn) => stepFunctionArns(stack, app)[fn]) }),
          new iam.PolicyStatement({ sid: "DeadLetterFailedInvocations", actions: ["sqs:SendMessage"], resources: [deadLetterQueue.queueArn] }),
        ],
      }),
    },
  });

  stack.addOutputs({ SchedulerGroup: group.name!, DeadLetterQueueUrl: deadLetterQueue.queueUrl });
  return { group, groupName: group.name!, schedulesArn, role, deadLetterQueue, delayQueue };
}
