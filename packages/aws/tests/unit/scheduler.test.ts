import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ResourceNotFoundException, SchedulerClient, ValidationException } from "@aws-sdk/client-scheduler";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { ScheduledJob, Scheduler, StepName } from "@payrox/core";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { ScheduleConflictError, ScheduleInputError, ScheduleRequestError } from "../../src/errors.js";
import {
  EventBridgeScheduler,
  isValidScheduleName,
  jobNameFor,
  jobPayload,
  RoutingScheduler,
  scheduleExpressionFor,
  scheduleNameFor,
  SqsDelayScheduler,
} from "../../src/scheduler/index.js";

const schedulerMock = mockClient(SchedulerClient);
const sqsMock = mockClient(SQSClient);
const NOW = Date.UTC(2026, 6, 1, 12, 0, 0);
const clock = { now: () => NOW };
const targets = { commit: "arn:aws:lambda:eu-west-1:1:function:commit", apply: "arn:aws:lambda:eu-west-1:1:function:apply", activate: "arn:aws:lambda:eu-west-1:1:function:activate" };
const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/1/payrox-steps";

function job(overrides: Partial<ScheduledJob> = {}): ScheduledJob {
  const base = { proposalId: "p-42", network: "base", step: "activate" as StepName, attempt: "1", runAtMs: NOW + 3_600_500 };
  const merged = { ...base, ...overrides };
  return { name: jobNameFor(merged), ...merged };
}

function eventBridgeScheduler(): EventBridgeScheduler {
  return new EventBridgeScheduler({
    client: new SchedulerClient({ region: "eu-west-1" }),
    groupName: "payrox-steps",
    targets,
    roleArn: "arn:aws:iam::1:role/scheduler",
    deadLetterQueueArn: "arn:aws:sqs:eu-west-1:1:payrox-dlq",
    retry: { maximumRetryAttempts: 3 },
  });
}

function sqsScheduler(fifo = false): SqsDelayScheduler {
  return new SqsDelayScheduler({ client: new SQSClient({ region: "eu-west-1" }), queueUrl: QUEUE_URL, fifo, clock });
}

beforeEach(() => {
  schedulerMock.reset();
  sqsMock.reset();
});

describe("scheduleExpressionFor", () => {
  it("formats a UTC at() expression with seconds and drops milliseconds", () => {
    expect(scheduleExpressionFor(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe("at(2026-01-02T03:04:05)");
  });

  it("refuses a non-finite time", () => {
    expect(() => scheduleExpressionFor(Number.NaN)).toThrow(RangeError);
  });
});

describe("jobNameFor", () => {
  it("keeps a readable name when the parts are clean", () => {
    expect(jobNameFor({ proposalId: "p1", network: "base", step: "apply", attempt: "3" })).toBe("p1.base.apply.3");
  });

  it("is deterministic, valid, at most 64 chars, and distinct for distinct parts (random ids)", () => {
    const part = fc.string({ maxLength: 80, unit: "grapheme" });
    const parts = fc.record({ proposalId: part, network: part, step: fc.constantFrom<StepName>("commit", "apply", "activate"), attempt: part });
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const name = jobNameFor(a);
        expect(name).toBe(jobNameFor({ ...a }));
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name).toMatch(/^[0-9A-Za-z_.-]+$/);
        const same = a.proposalId === b.proposalId && a.network === b.network && a.step === b.step && a.attempt === b.attempt;
        expect(jobNameFor(b) === name).toBe(same);
      }),
      { numRuns: 500 },
    );
  });

  it("does not let a dot in one part collide with a split of another", () => {
    const a = jobNameFor({ proposalId: "p.1", network: "base", step: "apply", attempt: "1" });
    const b = jobNameFor({ proposalId: "p", network: "1.base", step: "apply", attempt: "1" });
    expect(a).not.toBe(b);
  });
});

describe("scheduleNameFor", () => {
  it("keeps a valid job name and hashes any other into a valid one of at most 64 chars", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: "grapheme" }), (name) => {
        const scheduleName = scheduleNameFor({ name });
        expect(isValidScheduleName(scheduleName)).toBe(true);
        expect(scheduleName).toBe(scheduleNameFor({ name }));
        if (isValidScheduleName(name)) expect(scheduleName).toBe(name);
      }),
      { numRuns: 500 },
    );
  });

  it("gives two long names that share a 64-char prefix different schedule names", () => {
    const long = "p".repeat(70);
    expect(scheduleNameFor({ name: `${long}.a` })).not.toBe(scheduleNameFor({ name: `${long}.b` }));
  });
});

describe("EventBridgeScheduler", () => {
  it("creates a one-time UTC at() schedule with OFF window, DELETE after completion, DLQ and retry policy", async () => {
    // Prepare
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: "arn:schedule" });
    const scheduled = job();

    // Act
    await eventBridgeScheduler().schedule(scheduled);

    // Assess
    const calls = schedulerMock.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Name: "p-42.base.activate.1",
      GroupName: "payrox-steps",
      ScheduleExpression: "at(2026-07-01T13:00:00)",
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      State: "ENABLED",
      Target: {
        Arn: targets.activate,
        RoleArn: "arn:aws:iam::1:role/scheduler",
        Input: jobPayload(scheduled),
        DeadLetterConfig: { Arn: "arn:aws:sqs:eu-west-1:1:payrox-dlq" },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 86400 },
      },
    });
    expect(JSON.parse(calls[0]!.args[0].input.Target!.Input!)).toEqual(scheduled);
  });

  it("targets the Lambda of the job's step", async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({});
    await eventBridgeScheduler().schedule(job({ step: "commit" }));
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.Arn).toBe(targets.commit);
  });

  it("treats a duplicate request (same name, same input) as done", async () => {
    // Prepare
    const scheduled = job();
    const stored = JSON.stringify({ runAtMs: scheduled.runAtMs, attempt: "1", network: "base", proposalId: "p-42", step: "activate", name: scheduled.name });
    schedulerMock.on(CreateScheduleCommand).rejects(new ConflictException({ message: "exists", Message: "exists", $metadata: {} }));
    schedulerMock.on(GetScheduleCommand).resolves({ Name: scheduled.name, Target: { Arn: targets.activate, RoleArn: "r", Input: stored } });

    // Act
    await eventBridgeScheduler().schedule(scheduled);

    // Assess
    expect(schedulerMock.commandCalls(GetScheduleCommand)[0]!.args[0].input).toEqual({ Name: "p-42.base.activate.1", GroupName: "payrox-steps" });
  });

  it("throws ScheduleConflictError when the name is taken by a different input", async () => {
    // Prepare
    const scheduled = job();
    const other = jobPayload({ ...scheduled, runAtMs: scheduled.runAtMs + 60_000 });
    schedulerMock.on(CreateScheduleCommand).rejects(new ConflictException({ message: "exists", Message: "exists", $metadata: {} }));
    schedulerMock.on(GetScheduleCommand).resolves({ Target: { Arn: targets.activate, RoleArn: "r", Input: other } });

    // Act
    const error = await eventBridgeScheduler().schedule(scheduled).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ScheduleConflictError);
    expect(error).toMatchObject({ scheduleName: "p-42.base.activate.1", existingInput: other, requestedInput: jobPayload(scheduled) });
  });

  it("creates again when the conflicting schedule vanished before it could be read", async () => {
    schedulerMock.on(CreateScheduleCommand).rejectsOnce(new ConflictException({ message: "exists", Message: "exists", $metadata: {} })).resolves({});
    schedulerMock.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: "gone", Message: "gone", $metadata: {} }));

    await eventBridgeScheduler().schedule(job());

    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(2);
  });

  it("wraps any other refusal in ScheduleRequestError with the SDK error as cause", async () => {
    const refusal = new ValidationException({ message: "at() in the past", Message: "at() in the past", $metadata: {} });
    schedulerMock.on(CreateScheduleCommand).rejects(refusal);

    const error = await eventBridgeScheduler().schedule(job()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ScheduleRequestError);
    expect(error).toMatchObject({ operation: "CreateSchedule", sdkErrorName: "ValidationException", cause: refusal });
  });

  it("deletes the schedule on cancel, and treats a missing one as already gone", async () => {
    schedulerMock.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: "no such schedule", Message: "no such schedule", $metadata: {} }));

    await expect(eventBridgeScheduler().cancel("p-42.base.activate.1")).resolves.toBeUndefined();

    expect(schedulerMock.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ Name: "p-42.base.activate.1", GroupName: "payrox-steps" });
  });

  it("cancels under the same schedule name schedule() used for an unsafe job name", async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({});
    schedulerMock.on(DeleteScheduleCommand).resolves({});
    const scheduled = { ...job(), name: "proposal/42#base:activate" };
    const scheduler = eventBridgeScheduler();

    await scheduler.schedule(scheduled);
    await scheduler.cancel(scheduled.name);

    const created = schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Name!;
    expect(isValidScheduleName(created)).toBe(true);
    expect(schedulerMock.commandCalls(DeleteScheduleCommand)[0]!.args[0].input.Name).toBe(created);
  });

  it("fails cancel with ScheduleRequestError on other errors", async () => {
    schedulerMock.on(DeleteScheduleCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    await expect(eventBridgeScheduler().cancel("x")).rejects.toBeInstanceOf(ScheduleRequestError);
  });
});

describe("SqsDelayScheduler", () => {
  it("sends the job with DelaySeconds rounded up and no FIFO ids on a standard queue", async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "m1" });
    const scheduled = job({ step: "apply", runAtMs: NOW + 4_200 });

    await sqsScheduler().schedule(scheduled);

    expect(sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input).toEqual({ QueueUrl: QUEUE_URL, MessageBody: jobPayload(scheduled), DelaySeconds: 5 });
  });

  it("sends an overdue job with DelaySeconds 0", () => {
    expect(sqsScheduler().sendInput(job({ runAtMs: NOW - 30_000 })).DelaySeconds).toBe(0);
  });

  it("refuses a job due in more than 900 s", () => {
    expect(() => sqsScheduler().sendInput(job({ runAtMs: NOW + 900_001 }))).toThrow(ScheduleInputError);
  });

  it("sets group and deduplication ids on a FIFO queue and refuses a per-message delay there", () => {
    const due = job({ runAtMs: NOW });
    expect(sqsScheduler(true).sendInput(due)).toEqual({ QueueUrl: QUEUE_URL, MessageBody: jobPayload(due), MessageGroupId: "p-42.base", MessageDeduplicationId: due.name });
    expect(() => sqsScheduler(true).sendInput(job({ runAtMs: NOW + 5_000 }))).toThrow(ScheduleInputError);
  });

  it("wraps an SQS failure in ScheduleRequestError", async () => {
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error("throttled"), { name: "RequestThrottled" }));
    await expect(sqsScheduler().schedule(job({ runAtMs: NOW + 5_000 }))).rejects.toMatchObject({ name: "ScheduleRequestError", operation: "SendMessage", target: QUEUE_URL });
  });
});

describe("RoutingScheduler", () => {
  function routing(): RoutingScheduler {
    return new RoutingScheduler({ near: sqsScheduler(), far: eventBridgeScheduler(), clock });
  }

  it.each([
    ["5 s", 5_000, 5],
    ["exactly 900 s", 900_000, 900],
    ["overdue", -120_000, 0],
  ])("sends a job due in %s to SQS with the right DelaySeconds", async (_label, inMs, delaySeconds) => {
    sqsMock.on(SendMessageCommand).resolves({});

    await routing().schedule(job({ runAtMs: NOW + inMs }));

    expect(sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input.DelaySeconds).toBe(delaySeconds);
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });

  it("sends a job due in more than 900 s to EventBridge Scheduler", async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({});

    await routing().schedule(job({ runAtMs: NOW + 901_000 }));

    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input.ScheduleExpression).toBe("at(2026-07-01T12:15:01)");
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it("cancels on both transports", async () => {
    const cancelled: string[] = [];
    const recorder = (label: string): Scheduler => ({ schedule: async () => {}, cancel: async (name) => void cancelled.push(`${label}:${name}`) });

    await new RoutingScheduler({ near: recorder("near"), far: recorder("far"), clock }).cancel("j");

    expect(cancelled.sort()).toEqual(["far:j", "near:j"]);
  });

  it("reports the precision of the transport a job would take: a second through SQS, a minute through EventBridge Scheduler, unknown when a transport doesn't say", () => {
    // Prepare
    const silent: Scheduler = { schedule: async () => {}, cancel: async () => {} };

    // Act / Assess
    expect(routing().precisionMs(55_000)).toBe(1_000);
    expect(routing().precisionMs(900_000)).toBe(1_000);
    expect(routing().precisionMs(901_000)).toBe(60_000);
    expect(new RoutingScheduler({ near: silent, far: silent, clock }).precisionMs(5_000)).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses a near threshold beyond SQS's 900 s", () => {
    expect(() => new RoutingScheduler({ near: sqsScheduler(), far: eventBridgeScheduler(), nearSeconds: 901 })).toThrow(ScheduleInputError);
  });
});
