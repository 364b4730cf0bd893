/**
 * {@link Scheduler} on EventBridge Scheduler: one one-time `at(...)` schedule per job, named after the
 * job so a duplicate request collides instead of doubling, deleted by AWS once it has fired.
 */
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  type CreateScheduleCommandInput,
  type SchedulerClientConfig,
} from "@aws-sdk/client-scheduler";
import type { ScheduledJob, Scheduler, StepName } from "@payrox/core/runs";
import { ScheduleConflictError, ScheduleInputError, ScheduleRequestError } from "../errors.js";
import { EVENTBRIDGE_SCHEDULER_PRECISION_MS } from "./precision.js";
import { jobPayload, samePayload, scheduleExpressionFor, scheduleNameFor } from "./schedule-name.js";

/** How EventBridge Scheduler retries a failed invocation before sending it to the dead-letter queue. */
export interface ScheduleRetryOptions {
  /**
   * Retries after the first failed invocation (0–185).
   * @default 185 (AWS's default: a late trigger is harmless, the step's claim drops a stale one)
   */
  maximumRetryAttempts?: number;
  /**
   * How long an undelivered invocation is kept retrying (60–86400 s).
   * @default 86400
   */
  maximumEventAgeSeconds?: number;
}

/** Options of {@link EventBridgeScheduler}. */
export interface EventBridgeSchedulerOptions {
  /** Region and credentials come from the client. */
  client: SchedulerClient;
  /** The schedule group holding the step schedules (the stack creates it). */
  groupName: string;
  /** Lambda ARN invoked for each step. */
  targets: Record<StepName, string>;
  /** IAM role EventBridge Scheduler assumes to invoke the targets. */
  roleArn: string;
  /** SQS queue ARN receiving invocations that failed every retry. */
  deadLetterQueueArn: string;
  /** @default `{ maximumRetryAttempts: 185, maximumEventAgeSeconds: 86400 }` */
  retry?: ScheduleRetryOptions;
}

/** Steps scheduled as one-time EventBridge Scheduler schedules (minute precision: see DESIGN.md "Timing"). */
export class EventBridgeScheduler implements Scheduler {
  readonly #options: EventBridgeSchedulerOptions;
  readonly #retry: Required<ScheduleRetryOptions>;

  constructor(options: EventBridgeSchedulerOptions) {
    this.#options = options;
    this.#retry = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86400, ...options.retry };
  }

  /**
   * Creates the job's `at(runAt)` schedule. A schedule of the same name with the same payload counts as
   * done (a duplicate request). EventBridge refuses times in the past: route near jobs to SQS
   * ({@link RoutingScheduler}).
   * @throws ScheduleConflictError if the name is taken by a schedule with a different payload.
   * @throws ScheduleRequestError for any other refusal (validation, throttling, permissions).
   */
  async schedule(job: ScheduledJob): Promise<void> {
    const input = this.createInput(job);
    // Two rounds: a conflicting schedule may fire (and be deleted) between Create and Get.
    for (let round = 1; ; round++) {
      try {
        await this.#options.client.send(new CreateScheduleCommand(input));
        return;
      } catch (error) {
        if (nameOf(error) !== "ConflictException") throw new ScheduleRequestError("CreateSchedule", input.Name, nameOf(error), { cause: error });
        const existing = await this.#existingInput(input.Name);
        if (existing.found && samePayload(existing.input, input.Target.Input)) return;
        if (existing.found || round === 2) throw new ScheduleConflictError(input.Name, existing.input, input.Target.Input, { cause: error });
      }
    }
  }

  /** Deletes the schedule named `name` (a job name); one that does not exist (fired or cancelled) counts as done. */
  async cancel(name: string): Promise<void> {
    const scheduleName = scheduleNameFor({ name });
    try {
      await this.#options.client.send(new DeleteScheduleCommand({ Name: scheduleName, GroupName: this.#options.groupName }));
    } catch (error) {
      if (nameOf(error) === "ResourceNotFoundException") return;
      throw new ScheduleRequestError("DeleteSchedule", scheduleName, nameOf(error), { cause: error });
    }
  }

  /** One-time schedules fire anywhere in their minute (Scheduler user guide, "Schedule types"). */
  precisionMs(_delayMs: number): number {
    return EVENTBRIDGE_SCHEDULER_PRECISION_MS;
  }

  /** The exact CreateSchedule input for a job (exposed for tests and the stack's documentation). */
  createInput(job: ScheduledJob): CreateScheduleCommandInput & { Name: string; Target: { Input: string } } {
    const arn = this.#options.targets[job.step];
    if (!arn) throw new ScheduleInputError("job.step", `no target Lambda ARN configured for step "${job.step}": add it to options.targets`);
    return {
      Name: scheduleNameFor(job),
      GroupName: this.#options.groupName,
      ScheduleExpression: scheduleExpressionFor(job.runAtMs),
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      State: "ENABLED",
      Target: {
        Arn: arn,
        RoleArn: this.#options.roleArn,
        Input: jobPayload(job),
        DeadLetterConfig: { Arn: this.#options.deadLetterQueueArn },
        RetryPolicy: {
          MaximumRetryAttempts: this.#retry.maximumRetryAttempts,
          MaximumEventAgeInSeconds: this.#retry.maximumEventAgeSeconds,
        },
      },
    };
  }

  async #existingInput(name: string): Promise<{ found: boolean; input?: string }> {
    try {
      const schedule = await this.#options.client.send(new GetScheduleCommand({ Name: name, GroupName: this.#options.groupName }));
      return { found: true, input: schedule.Target?.Input };
    } catch (error) {
      if (nameOf(error) === "ResourceNotFoundException") return { found: false };
      throw new ScheduleRequestError("GetSchedule", name, nameOf(error), { cause: error });
    }
  }
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

/** An EventBridge Scheduler client (built here so callers loading this module lazily need no SDK import of their own). */
export function createSchedulerClient(config: SchedulerClientConfig = {}): SchedulerClient {
  return new SchedulerClient(config);
}
