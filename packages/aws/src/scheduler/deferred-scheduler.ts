/**
 * {@link Scheduler} whose transport is built on its first `schedule` or `cancel` — a Lambda then loads a
 * transport's SDK client only when it schedules — and which states the transport's precision without
 * building it.
 */
import type { ScheduledJob, Scheduler } from "@payrox/core/runs";

/** Builds the transport (e.g. an {@link EventBridgeScheduler} after importing its client). */
export type SchedulerBuilder = () => Promise<Scheduler>;

/** A transport built on first use; a failed build is tried again by the next call. */
export class DeferredScheduler implements Scheduler {
  readonly #build: SchedulerBuilder;
  readonly #precisionMs: number;
  #built: Promise<Scheduler> | undefined;

  /** @param precisionMs what the built transport's `precisionMs` returns (a constant for both AWS transports) */
  constructor(build: SchedulerBuilder, precisionMs: number) {
    this.#build = build;
    this.#precisionMs = precisionMs;
  }

  /** Builds the transport if needed, then schedules on it. */
  async schedule(job: ScheduledJob): Promise<void> {
    await (await this.#transport()).schedule(job);
  }

  /** Builds the transport if needed, then cancels on it. */
  async cancel(name: string): Promise<void> {
    await (await this.#transport()).cancel(name);
  }

  /** The transport's precision, known without building it. */
  precisionMs(_delayMs: number): number {
    return this.#precisionMs;
  }

  #transport(): Promise<Scheduler> {
    return (this.#built ??= this.#build().catch((error: unknown) => {
      this.#built = undefined;
      throw error;
    }));
  }
}
