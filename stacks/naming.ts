/**
 * Names of the resources other stacks (and key policies) refer to before they exist: functions and
 * roles get fixed, stage-scoped names so an ARN is a plain string, and no two stacks depend on each
 * other in a cycle (the scheduler role may invoke the step functions; the steps schedule themselves).
 */
import { ArnFormat, Stack } from "aws-cdk-lib";
import { StepName } from "@payrox/core";
import type { App } from "sst/constructs";

/** Stages whose data survives `sst remove` (retain + deletion protection). */
export const PROTECTED_STAGES: readonly string[] = ["prod"];

/** Whether `stage` keeps its data and refuses deletion. */
export function isProtectedStage(stage: string): boolean {
  return PROTECTED_STAGES.includes(stage);
}

/** `<app>-<stage>-<part>`: unique per stage in one account and region. */
export function resourceName(app: App, part: string): string {
  return `${app.name}-${app.stage}-${part}`;
}

/** The Lambda functions PayRox runs, by what they are for. */
export const FunctionRole = {
  API: "api",
  COMMIT: StepName.COMMIT,
  APPLY: StepName.APPLY,
  ACTIVATE: StepName.ACTIVATE,
  WATCHDOG: "watchdog",
  /** Writes the audit chains' heads to the anchor bucket. */
  ANCHOR: "anchor",
} as const;
/** One of {@link FunctionRole}. */
export type FunctionRole = (typeof FunctionRole)[keyof typeof FunctionRole];

/** The step functions EventBridge Scheduler and the SQS delay queue invoke. */
export const STEP_FUNCTIONS = [FunctionRole.COMMIT, FunctionRole.APPLY, FunctionRole.ACTIVATE] as const;

/** Name of a PayRox function. */
export function functionName(app: App, fn: FunctionRole): string {
  return resourceName(app, fn);
}

/** Name of the IAM role a PayRox function runs as (key policies name it before it exists). */
export function functionRoleName(app: App, fn: FunctionRole): string {
  return resourceName(app, `${fn}-fn`);
}

/** ARN of a PayRox function, from its name. */
export function functionArn(stack: Stack, app: App, fn: FunctionRole): string {
  return stack.formatArn({ service: "lambda", resource: "function", resourceName: functionName(app, fn), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** ARN of a PayRox function's role, from its name. */
export function functionRoleArn(stack: Stack, app: App, fn: FunctionRole): string {
  return stack.formatArn({ service: "iam", region: "", resource: "role", resourceName: functionRoleName(app, fn) });
}

/** `{ commit, apply, activate }` ARNs, the value of `PAYROX_STEP_FUNCTION_ARNS`. */
export function stepFunctionArns(stack: Stack, app: App): Record<StepName, string> {
  return Object.fromEntries(STEP_FUNCTIONS.map((fn) => [fn, functionArn(stack, app, fn)])) as Record<StepName, string>;
}
