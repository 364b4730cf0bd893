/**
 * {@link Scheduler} on an SQS delay queue: second-level delays (0–900 s) for the gaps EventBridge
 * Scheduler's minute precision cannot serve (apply batch k+1 five seconds after batch k, the last
 * minute before an ETA — DESIGN.md "Timing"). The queue feeds the step functions.
 */
import { SendMessageCommand, SQSClient, type SendMessageCommandInput, type SQSClientConfig } from "@aws-sdk/client-sqs";
import type { Clock, ScheduledJob, Scheduler } from "@payrox/core/runs";
import { ScheduleInputError, ScheduleRequestError } from "../errors.js";
import { MAX_SQS_DELAY_SECONDS, SQS_DELAY_PRECISION_MS } from "./precision.js";
import { jobPayload, scheduleNameFor } from "./schedule-name.js";

export { MAX_SQS_DELAY_SECONDS, SQS_DELAY_PRECISION_MS } from "./precision.js";

/** Options of {@link SqsDelayScheduler}. */
export interface SqsDelaySchedulerOptions {
  /** Region and credentials come from the client. */
  client: SQSClient;
  /** URL of the queue feeding the step functions. */
  queueUrl: string;
  /**
   * Set for a FIFO queue: messages then carry `MessageGroupId` (per run) and `MessageDeduplicationId`
   * (the schedule name). FIFO queues take no per-message delay, so only jobs due now are accepted.
   * @default false (a standard queue; a duplicate delivery is dropped by the step's claim)
   */
  fifo?: boolean;
  /** @default the system clock */
  clock?: Clock;
}

/** Steps delivered through an SQS queue with a per-message `DelaySeconds`. */
export class SqsDelayScheduler implements Scheduler {
  readonly #options: SqsDelaySchedulerOptions;
  readonly #clock: Clock;

  constructor(options: SqsDelaySchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /**
   * Sends the job with `DelaySeconds = ceil(runAt - now)` (never early; 0 for a past time).
   * @throws ScheduleInputError if the job is due in more than 900 s, or later than now on a FIFO queue.
   * @throws ScheduleRequestError if SQS refuses the message.
   */
  async schedule(job: ScheduledJob): Promise<void> {
    const input = this.sendInput(job);
    try {
      await this.#options.client.send(new SendMessageCommand(input));
    } catch (error) {
      throw new ScheduleRequestError("SendMessage", this.#options.queueUrl, (error as Error | undefined)?.name, { cause: error });
    }
  }

  /**
   * A no-op: a delayed SQS message cannot be withdrawn. It is delivered for at most 900 s more, and the
   * step drops it because the run is cancelled or the step already done.
   */
  async cancel(_name: string): Promise<void> {}

  /** Whole-second delays rounded up: a message arrives at most a second after its time (plus the poller's pick-up). */
  precisionMs(_delayMs: number): number {
    return SQS_DELAY_PRECISION_MS;
  }

  /** The exact SendMessage input for a job at the clock's current time (exposed for tests). */
  sendInput(job: ScheduledJob): SendMessageCommandInput {
    const delaySeconds = delaySecondsUntil(job.runAtMs, this.#clock.now());
    if (delaySeconds > MAX_SQS_DELAY_SECONDS) {
      throw new ScheduleInputError("job.runAtMs", `due in ${delaySeconds} s, over SQS's ${MAX_SQS_DELAY_SECONDS} s limit: schedule it with EventBridge Scheduler (RoutingScheduler does)`);
    }
    const base = { QueueUrl: this.#options.queueUrl, MessageBody: jobPayload(job) };
    if (!this.#options.fifo) return { ...base, DelaySeconds: delaySeconds };
    if (delaySeconds > 0) {
      throw new ScheduleInputError("options.fifo", `a FIFO queue takes no per-message delay (job due in ${delaySeconds} s): use a standard queue for delayed steps`);
    }
    return { ...base, MessageGroupId: `${job.proposalId}.${job.network}`.slice(0, 128), MessageDeduplicationId: scheduleNameFor(job) };
  }
}

/** Whole seconds from `nowMs` until `runAtMs`, rounded up so a message is never visible early; 0 if past. */
export function delaySecondsUntil(runAtMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((runAtMs - nowMs) / 1000));
}

/** An SQS client (built here so callers loading this module lazily need no SDK import of their own). */
export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient(config);
}
