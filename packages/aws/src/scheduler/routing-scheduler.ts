/**
 * {@link Scheduler} that picks the transport by due time: near jobs through the SQS delay queue
 * (second precision, accepts past times), later ones through EventBridge Scheduler (minute precision,
 * any horizon). See DESIGN.md "Timing".
 */
import type { Clock, ScheduledJob, Scheduler } from "@payrox/core/runs";
import { ScheduleInputError } from "../errors.js";
import { MAX_SQS_DELAY_SECONDS } from "./precision.js";

/** Options of {@link RoutingScheduler}. */
export interface RoutingSchedulerOptions {
  /** For jobs due within `nearSeconds` (usually a {@link SqsDelayScheduler}). */
  near: Scheduler;
  /** For later jobs (usually an {@link EventBridgeScheduler}). */
  far: Scheduler;
  /**
   * Jobs due in at most this many seconds go to `near` (1–900).
   * @default 900
   */
  nearSeconds?: number;
  /** @default the system clock */
  clock?: Clock;
}

/** Routes each job to the SQS delay queue or EventBridge Scheduler by how soon it is due. */
export class RoutingScheduler implements Scheduler {
  readonly #near: Scheduler;
  readonly #far: Scheduler;
  readonly #nearMs: number;
  readonly #clock: Clock;

  constructor(options: RoutingSchedulerOptions) {
    const nearSeconds = options.nearSeconds ?? MAX_SQS_DELAY_SECONDS;
    if (!(nearSeconds >= 1 && nearSeconds <= MAX_SQS_DELAY_SECONDS)) {
      throw new ScheduleInputError("options.nearSeconds", `must be 1–${MAX_SQS_DELAY_SECONDS} (the SQS delay limit), got ${nearSeconds}`);
    }
    this.#near = options.near;
    this.#far = options.far;
    this.#nearMs = nearSeconds * 1000;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /** Sends a job due within `nearSeconds` (or overdue) to `near`, any other to `far`. */
  async schedule(job: ScheduledJob): Promise<void> {
    const target = job.runAtMs - this.#clock.now() <= this.#nearMs ? this.#near : this.#far;
    await target.schedule(job);
  }

  /** The precision of the transport a job due in `delayMs` would take (unknown if that transport doesn't say). */
  precisionMs(delayMs: number): number {
    const target = delayMs <= this.#nearMs ? this.#near : this.#far;
    return target.precisionMs?.(delayMs) ?? Number.POSITIVE_INFINITY;
  }

  /** Cancels on both transports: the caller does not know which one holds the job. */
  async cancel(name: string): Promise<void> {
    await Promise.all([this.#near.cancel(name), this.#far.cancel(name)]);
  }
}
