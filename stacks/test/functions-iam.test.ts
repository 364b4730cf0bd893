import { ENV } from "@payrox/functions";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { AnchorStack } from "../AnchorStack.js";
import { ApiStack } from "../ApiStack.js";
import { EventsStack } from "../EventsStack.js";
import { FunctionsStack } from "../FunctionsStack.js";
import { KeysStack } from "../KeysStack.js";
import { MonitoringStack } from "../MonitoringStack.js";
import { SchedulerStack } from "../SchedulerStack.js";
import { StorageStack } from "../StorageStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { flat, grants, list, resourcesOf, resourceStrings, roleStatements, type Statement } from "./template.js";

const STACKS = [StorageStack, KeysStack, SchedulerStack, EventsStack, FunctionsStack, AnchorStack, ApiStack, MonitoringStack];
const STEP_ARNS = ["commit", "apply", "activate"].map((fn) => `arn:aws:lambda:eu-west-1:123456789012:function:payrox-prod-${fn}`);
/** Where each function's role lives. */
const ROLES = { commit: FunctionsStack, apply: FunctionsStack, activate: FunctionsStack, watchdog: FunctionsStack, api: ApiStack, anchor: AnchorStack } as const;

let synthesized: SynthesizedApp;
let functions: Template;
beforeAll(async () => {
  synthesized = await synthesize("prod", { PAYROX_ALERT_WEBHOOK_URL: "https://hooks.example.com/payrox" });
  functions = synthesized.template(FunctionsStack);
});

const statementsOf = (fn: keyof typeof ROLES) => roleStatements(synthesized.template(ROLES[fn]), `payrox-prod-${fn}-fn`);
const lambdaNamed = (template: Template, name: string) => Object.values(resourcesOf(template, "AWS::Lambda::Function")).find((p) => p.FunctionName === name)!;

describe("SchedulerStack", () => {
  it("creates the stage's schedule group and a dead-letter queue the delay queue redrives to", () => {
    // Prepare
    const template = synthesized.template(SchedulerStack);

    // Act
    const groups = Object.values(resourcesOf(template, "AWS::Scheduler::ScheduleGroup"));
    const queues = resourcesOf(template, "AWS::SQS::Queue");
    const delay = Object.values(queues).find((q) => q.QueueName === "payrox-prod-step-delay")!;

    // Assess
    expect(groups.map((g) => g.Name)).toEqual(["payrox-prod-steps"]);
    expect(flat(delay.RedrivePolicy.deadLetterTargetArn)).toMatch(/^DeadLetterQueue.*\.Arn$/);
    expect(delay.VisibilityTimeout).toBeGreaterThanOrEqual(900);
    for (const queue of Object.values(queues)) expect(queue.SqsManagedSseEnabled).toBe(true);
  });

  it("lets only EventBridge Scheduler, for this group's schedules, assume the scheduler role", () => {
    // Prepare
    const role = Object.values(resourcesOf(synthesized.template(SchedulerStack), "AWS::IAM::Role")).find((r) => r.RoleName === "payrox-prod-scheduler")!;

    // Act
    const [trust] = role.AssumeRolePolicyDocument.Statement as Statement[];

    // Assess
    expect(trust!.Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(trust!.Condition?.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
    expect(flat(trust!.Condition?.ArnLike?.["aws:SourceArn"])).toBe("arn:aws:scheduler:eu-west-1:123456789012:schedule/payrox-prod-steps/*");
  });

  it("lets the scheduler role only invoke the three step functions and dead-letter to the DLQ", () => {
    // Act
    const statements = roleStatements(synthesized.template(SchedulerStack), "payrox-prod-scheduler");

    // Assess
    expect(statements.map((s) => [list(s.Action), resourceStrings([s])])).toEqual([
      [["lambda:InvokeFunction"], STEP_ARNS],
      [["sqs:SendMessage"], [expect.stringMatching(/^DeadLetterQueue.*\.Arn$/)]],
    ]);
  });
});

describe("FunctionsStack", () => {
  it("runs every function on nodejs22.x arm64 with the memory, timeout and concurrency of its work", () => {
    // Act
    const sizing = ["commit", "apply", "activate", "watchdog"].map((fn) => {
      const p = lambdaNamed(functions, `payrox-prod-${fn}`);
      return [fn, p.Runtime, p.Architectures, p.MemorySize, p.Timeout, p.ReservedConcurrentExecutions];
    });

    // Assess
    expect(sizing).toEqual([
      ["commit", "nodejs22.x", ["arm64"], 512, 900, 10],
      ["apply", "nodejs22.x", ["arm64"], 1024, 900, 10],
      ["activate", "nodejs22.x", ["arm64"], 1024, 900, 25],
      ["watchdog", "nodejs22.x", ["arm64"], 512, 50, 1],
    ]);
  });

  it("sets the ENV variables the composition root reads, the signer key, and secrets only as SSM references", () => {
    // Prepare
    const variables = lambdaNamed(functions, "payrox-prod-commit").Environment.Variables as Record<string, unknown>;

    // Assess
    for (const name of [ENV.TABLE_NAME, ENV.SCHEDULER_GROUP, ENV.STEP_FUNCTION_ARNS, ENV.SCHEDULER_ROLE_ARN, ENV.DLQ_ARN, ENV.DELAY_QUEUE_URL, ENV.EVENT_BUS_NAME, ENV.APPROVAL_POLICY, ENV.DEPLOYMENT_ID, ENV.PROTECTED_STAGE]) expect(variables).toHaveProperty(name);
    expect(JSON.parse(flat(variables[ENV.STEP_FUNCTION_ARNS]))).toEqual({ commit: STEP_ARNS[0], apply: STEP_ARNS[1], activate: STEP_ARNS[2] });
    expect(flat(variables[ENV.SIGNER_KEY_ID])).toMatch(/KeysStack.*SchedulerSigner/);
    expect(variables).not.toHaveProperty(ENV.NETWORK_CONFIG);
    expect(variables[`SST_Secret_value_${ENV.NETWORK_CONFIG}`]).toBe("__FETCH_FROM_SSM__");
    expect(Object.values(variables).map(flat).filter((v) => /https?:\/\//.test(v))).toEqual([]);
  });

  it("runs the watchdog every minute and feeds the delay queue to the apply function one job at a time", () => {
    // Act
    const rules = Object.values(resourcesOf(functions, "AWS::Events::Rule"));
    const mappings = Object.values(resourcesOf(functions, "AWS::Lambda::EventSourceMapping"));

    // Assess
    expect(rules.map((r) => [r.ScheduleExpression, flat(r.Targets[0].Arn)])).toEqual([["rate(1 minute)", expect.stringMatching(/^WatchdogFunction.*\.Arn$/)]]);
    expect(mappings).toHaveLength(1);
    expect(flat(mappings[0]!.FunctionName)).toMatch(/^ref\(ApplyFunction/);
    expect(flat(mappings[0]!.EventSourceArn)).toMatch(/SchedulerStack.*DelayQueue/);
    expect(mappings[0]).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ["ReportBatchItemFailures"] });
  });
});

describe("function permissions", () => {
  it("let each signing function use kms:Sign / kms:GetPublicKey only on its own key, and the watchdog none", () => {
    // Act
    const keyOf = (fn: keyof typeof ROLES) => ["kms:Sign", "kms:GetPublicKey"].map((action) => resourceStrings(grants(statementsOf(fn), action)));

    // Assess
    for (const fn of ["commit", "apply", "activate"] as const) {
      for (const resources of keyOf(fn)) expect(resources).toEqual([expect.stringMatching(/^import\(prod-payrox-KeysStack:.*SchedulerSigner.*Arn/)]);
    }
    for (const resources of keyOf("api")) expect(resources).toEqual([expect.stringMatching(/^import\(prod-payrox-KeysStack:.*EmergencySigner.*Arn/)]);
    expect(statementsOf("watchdog").flatMap((s) => list(s.Action)).filter((a) => String(a).startsWith("kms:"))).toEqual([]);
  });

  it("scope every DynamoDB action to the table and its GSI1 index", () => {
    for (const fn of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      // Act
      const dynamo = statementsOf(fn).filter((s) => list(s.Action).some((a) => String(a).startsWith("dynamodb:")));

      // Assess
      expect(dynamo.length, fn).toBeGreaterThan(0);
      expect([...new Set(resourceStrings(dynamo))].sort(), fn).toEqual([expect.stringMatching(/^import\(prod-payrox-StorageStack:.*Table.*Arn.*\)$/), expect.stringMatching(/^import\(prod-payrox-StorageStack:.*Table.*Arn.*\)\/index\/GSI1$/)]);
    }
  });

  it("pass only the scheduler role, only to EventBridge Scheduler, and manage only the group's schedules", () => {
    for (const fn of ["commit", "apply", "activate", "api"] as const) {
      // Act
      const statements = statementsOf(fn);
      const pass = grants(statements, "iam:PassRole");

      // Assess
      expect(resourceStrings(pass), fn).toEqual([expect.stringMatching(/SchedulerStack.*SchedulerRole.*Arn/)]);
      expect(pass[0]!.Condition).toEqual({ StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } });
      expect(resourceStrings(grants(statements, "scheduler:CreateSchedule")), fn).toEqual(["arn:aws:scheduler:eu-west-1:123456789012:schedule/payrox-prod-steps/*"]);
    }
  });

  it("read only their bound secrets' parameters", () => {
    // Act
    const parameters = resourceStrings(grants(statementsOf("watchdog"), "ssm:GetParameters"));

    // Assess
    expect(parameters.sort()).toEqual(
      [ENV.NETWORK_CONFIG, ENV.ALERT_WEBHOOKS].flatMap((name) => [`/sst/payrox/prod/Secret/${name}/value`, `/sst/payrox/.fallback/Secret/${name}/value`]).map((path) => `arn:aws:ssm:eu-west-1:123456789012:parameter${path}`).sort(),
    );
  });

  it("never allow a write action on resource *, in any stack", () => {
    // Act
    const offending = STACKS.flatMap((stack) => {
      const template = synthesized.template(stack);
      const documents = [
        ...Object.values(resourcesOf(template, "AWS::IAM::Role")).flatMap((r) => list(r.Policies).map((p: any) => p.PolicyDocument)),
        ...Object.values(resourcesOf(template, "AWS::IAM::Policy")).map((p) => p.PolicyDocument),
      ];
      return documents.flatMap((d: { Statement: Statement[] }) => d.Statement)
        .filter((s) => s.Effect === "Allow" && list(s.Resource).some((r) => flat(r) === "*"))
        .filter((s) => list(s.Action).some((a) => !/:(Get|Describe|List)/.test(String(a))))
        .map((s) => `${stack.name}: ${list(s.Action).join(",")}`);
    });

    // Assess
    expect(offending).toEqual([]);
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unsuppressed in any stack", () => {
    // Act
    const findings = STACKS.flatMap((stack) => synthesized.nagFindings(stack));

    // Assess
    expect(findings).toEqual([]);
  });
});
