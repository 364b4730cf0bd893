/**
 * A {@link Scheduler} whose jobs the caller runs by hand, in due order: EventBridge Scheduler's stand-in
 * where a test or a bench drives the step handlers itself (no polling loop, no table).
 */
import type { ScheduledJob, Scheduler } from "@payrox/core";

/** Keeps scheduled jobs (idempotent by name, as EventBridge Scheduler is) until {@link ManualJobQueue.next} takes them. */
export class ManualJobQueue implements Scheduler {
  readonly jobs = new Map<string, ScheduledJob>();

  async schedule(job: ScheduledJob): Promise<void> {
    if (!this.jobs.has(job.name)) this.jobs.set(job.name, job);
  }

  async cancel(name: string): Promise<void> {
    this.jobs.delete(name);
  }

  /** Removes and returns the job due first, or undefined when none is left. */
  next(): ScheduledJob | undefined {
    const [first] = [...this.jobs.values()].sort((a, b) => a.runAtMs - b.runAtMs);
    if (first) this.jobs.delete(first.name);
    return first;
  }
}
