/**
 * Names, expressions and payloads of one-time step schedules. Pure functions, shared by the
 * EventBridge Scheduler and SQS adapters so both identify a job the same way.
 */
import { createHash } from "node:crypto";
import type { ScheduledJob } from "@payrox/core/runs";

/** EventBridge Scheduler's limit on schedule names. */
export const MAX_SCHEDULE_NAME_LENGTH = 64;
const VALID_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
/** A name part that can be joined with `.` without ambiguity (no `.`, not empty). */
const CLEAN_PART = /^[0-9A-Za-z_-]+$/;
const HASH_LENGTH = 16;

/** Whether `name` is accepted by EventBridge Scheduler as is (`[0-9a-zA-Z-_.]+`, at most 64 characters). */
export function isValidScheduleName(name: string): boolean {
  return VALID_NAME.test(name);
}

/**
 * The job name for (proposal, network, step, attempt): `<proposalId>.<network>.<step>.<attempt>` when
 * that is a valid schedule name and unambiguous, else a sanitised prefix and a hash of the four parts.
 * Use it to build {@link ScheduledJob.name}, so a duplicate request for the same step collides.
 * @example jobNameFor({ proposalId: "p1", network: "base", step: "apply", attempt: "3" }) // "p1.base.apply.3"
 */
export function jobNameFor(job: Pick<ScheduledJob, "proposalId" | "network" | "step" | "attempt">): string {
  const parts = [job.proposalId, job.network, job.step, job.attempt];
  const readable = parts.join(".");
  if (parts.every((part) => CLEAN_PART.test(part)) && readable.length <= MAX_SCHEDULE_NAME_LENGTH) return readable;
  return hashedName(readable, JSON.stringify(parts));
}

/**
 * The EventBridge Scheduler name of a job: `job.name` itself when it is a valid schedule name, else a
 * sanitised prefix of it, `-` and 16 hex digits of its SHA-256. A function of `job.name` only (which the
 * port derives from proposal, network, step and attempt), so `cancel(job.name)` finds the schedule and
 * a duplicate request collides.
 */
export function scheduleNameFor(job: Pick<ScheduledJob, "name">): string {
  return isValidScheduleName(job.name) ? job.name : hashedName(job.name, job.name);
}

/**
 * The `at(...)` expression for a time: UTC, seconds precision (milliseconds are dropped). Pair it with
 * `ScheduleExpressionTimezone: "UTC"`. EventBridge fires within the minute, not at the second.
 * @example scheduleExpressionFor(Date.UTC(2026, 6, 1, 12, 0, 5)) // "at(2026-07-01T12:00:05)"
 */
export function scheduleExpressionFor(runAtMs: number): string {
  if (!Number.isFinite(runAtMs)) throw new RangeError(`runAtMs must be a finite unix time in ms, got ${runAtMs}`);
  return `at(${new Date(runAtMs).toISOString().slice(0, 19)})`;
}

/**
 * The payload a step receives: the job's fields in a fixed order, so two requests for the same job
 * serialise to the same string.
 */
export function jobPayload(job: ScheduledJob): string {
  const { name, step, proposalId, network, attempt, runAtMs } = job;
  return JSON.stringify({ name, step, proposalId, network, attempt, runAtMs });
}

/** Whether a stored payload describes the same job as `payload` (key order and whitespace ignored). */
export function samePayload(stored: string | undefined, payload: string): boolean {
  if (stored === undefined) return false;
  try {
    const parsed = JSON.parse(stored) as ScheduledJob;
    return jobPayload(parsed) === jobPayload(JSON.parse(payload) as ScheduledJob);
  } catch {
    return false;
  }
}

function hashedName(readable: string, hashed: string): string {
  const hash = createHash("sha256").update(hashed).digest("hex").slice(0, HASH_LENGTH);
  const prefix = readable.replace(/[^0-9A-Za-z_.-]/g, "_").slice(0, MAX_SCHEDULE_NAME_LENGTH - HASH_LENGTH - 1);
  return `${prefix}-${hash}`;
}
