/**
 * The devnet's {@link Scheduler}: jobs live in the single table ({@link DynamoJobStore}), so a restarted
 * process resumes them, and a polling loop claims due jobs (leases: two loops never fire one job) and
 * hands them to `dispatch` — in the devnet, the same step handlers the Lambdas run.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { JobLeaseLostError, type DynamoJobStore, type StoredJob } from "@payrox/aws";
import type { Clock, ScheduledJob, Scheduler } from "@payrox/core";
import { fireTimeFor, retryDelayMs, type JitterOption, type RandomSource } from "./fire-time.js";

/** What a firing knows besides the job: which attempt, when it was due, when it fired. */
export interface JobFiring {
  /** 1 for the first attempt. */
  attempt: number;
  /** When the job was due (after jitter, or the retry back-off). */
  dueAtMs: number;
  /** The scheduler clock when `dispatch` was called. */
  firedAtMs: number;
}

/** Runs a fired job; a rejection means "failed, retry with back-off". */
export type JobDispatch = (job: ScheduledJob, firing: JobFiring) => Promise<void>;

/** What became of one fired job. */
export interface JobOutcome {
  name: string;
  /** `retrying`: failed, due again later; `lost`: the job was cancelled or re-claimed meanwhile; `error`: the store failed. */
  status: "done" | "retrying" | "failed" | "lost" | "error";
  attempt: number;
  error?: string;
}

/** Retry policy of failed dispatches. */
export interface LocalSchedulerRetryOptions {
  /**
   * Attempts in all (the first included); after the last failure the job is recorded as failed.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Delay before the first retry; doubles per failed attempt.
   * @default 1000
   */
  baseDelayMs?: number;
  /**
   * Longest delay between attempts.
   * @default 60000
   */
  maxDelayMs?: number;
}

/** Options of {@link LocalScheduler}. */
export interface LocalSchedulerOptions {
  /** Where jobs are kept (the devnet's single table). */
  store: DynamoJobStore;
  /**
   * Time source for due checks, leases and fire times.
   * @default the system clock
   */
  clock?: Clock;
  /**
   * Shift of fire times from `runAtMs`; `eventbridge` reproduces EventBridge Scheduler's 60 s precision.
   * @default { mode: "none" }
   */
  jitter?: JitterOption;
  /**
   * Uniform [0, 1) source for the jitter; inject `seededRandom(seed)` for reproducible runs.
   * @default Math.random
   */
  random?: RandomSource;
  /**
   * This loop's id in job leases.
   * @default `local-scheduler-<uuid>`
   */
  owner?: string;
  /**
   * How long a claim holds a job; must exceed the longest dispatch (an expired claim is re-claimed).
   * @default 900000 (15 min, a Lambda's maximum run time)
   */
  leaseMs?: number;
  retry?: LocalSchedulerRetryOptions;
  /**
   * Most jobs claimed per poll.
   * @default 25
   */
  batchSize?: number;
}

/** Options of {@link LocalScheduler.start}. */
export interface LocalSchedulerStartOptions {
  dispatch: JobDispatch;
  /**
   * Pause between polls (real time).
   * @default 1000
   */
  pollMs?: number;
  /**
   * Called with every outcome of a fired job (progress displays, logs).
   * @default none
   */
  onOutcome?: (outcome: JobOutcome) => void;
  /**
   * Called when a poll or a job's bookkeeping fails; the loop keeps going.
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/** Scheduler whose due jobs are kept in DynamoDB and fired by a local polling loop. */
export class LocalScheduler implements Scheduler {
  readonly #store: DynamoJobStore;
  readonly #clock: Clock;
  readonly #jitter: JitterOption;
  readonly #random: RandomSource;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #retry: Required<LocalSchedulerRetryOptions>;
  readonly #batchSize: number;
  /** Jobs this process is firing: never re-claimed here, even if a long dispatch outlives its lease. */
  readonly #inFlight = new Map<string, Promise<JobOutcome>>();
  #loop: { abort: AbortController; done: Promise<void> } | undefined;
  /** The running loop's poll interval: how late an unjittered job may fire. */
  #pollMs = 1_000;

  constructor(options: LocalSchedulerOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#jitter = options.jitter ?? { mode: "none" };
    this.#random = options.random ?? Math.random;
    this.#owner = options.owner ?? `local-scheduler-${randomUUID()}`;
    this.#leaseMs = options.leaseMs ?? 900_000;
    this.#retry = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, ...options.retry };
    this.#batchSize = options.batchSize ?? 25;
  }

  /** This loop's lease owner id. */
  get owner(): string {
    return this.#owner;
  }

  /** Stores the job, due at its jittered fire time; a job of the same name already stored is left as is. */
  async schedule(job: ScheduledJob): Promise<void> {
    await this.#store.put(job, { dueAtMs: fireTimeFor(job.runAtMs, this.#jitter, this.#random), nowMs: this.#clock.now() });
  }

  /** Like EventBridge Scheduler (a minute) under `eventbridge` jitter; else one poll of the loop. */
  precisionMs(_delayMs: number): number {
    return this.#jitter.mode === "eventbridge" ? 60_000 : this.#pollMs;
  }

  /** Deletes the job; if it is firing right now, its result is not recorded. */
  async cancel(name: string): Promise<void> {
    await this.#store.delete(name);
  }

  /** Starts polling every `pollMs`; fired jobs run concurrently, started in due order. */
  start(options: LocalSchedulerStartOptions): void {
    if (this.#loop) throw new Error(`local scheduler ${this.#owner} is already running: call stop() before starting it again`);
    const abort = new AbortController();
    this.#pollMs = options.pollMs ?? 1_000;
    const onError = options.onError ?? ((error: unknown) => console.error("local scheduler:", error));
    const report = (outcome: JobOutcome): void => {
      if (outcome.status === "error") onError(new Error(`job ${outcome.name}: ${outcome.error}`));
      options.onOutcome?.(outcome);
    };
    const run = async (): Promise<void> => {
      while (!abort.signal.aborted) {
        try {
          for (const fired of await this.#poll(options.dispatch)) void fired.then(report);
        } catch (error) {
          onError(error);
        }
        await sleep(options.pollMs ?? 1_000, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    };
    this.#loop = { abort, done: run() };
  }

  /** Stops polling and waits for the jobs being fired to settle. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    loop.abort.abort();
    await loop.done;
    await Promise.all(this.#inFlight.values());
    this.#loop = undefined;
  }

  /** One poll: claims the due jobs, fires them, and resolves with their outcomes (tests drive time with it). */
  async tick(dispatch: JobDispatch): Promise<JobOutcome[]> {
    return Promise.all(await this.#poll(dispatch));
  }

  async #poll(dispatch: JobDispatch): Promise<Promise<JobOutcome>[]> {
    const now = this.#clock.now();
    const fired: Promise<JobOutcome>[] = [];
    for (const due of await this.#store.listDue(now, this.#batchSize)) {
      if (this.#inFlight.has(due.name)) continue;
      const claimed = await this.#store.claim(due, this.#owner, this.#leaseMs, now);
      if (!claimed) continue;
      const firing = this.#fire(claimed, dispatch).finally(() => this.#inFlight.delete(claimed.name));
      this.#inFlight.set(claimed.name, firing);
      fired.push(firing);
    }
    return fired;
  }

  /** Dispatches a claimed job and records the result; never rejects. */
  async #fire(job: StoredJob, dispatch: JobDispatch): Promise<JobOutcome> {
    const outcome = (status: JobOutcome["status"], error?: string): JobOutcome => ({ name: job.name, status, attempt: job.attempts, ...(error === undefined ? {} : { error }) });
    let failure: string | undefined;
    try {
      await dispatch(scheduledJob(job), { attempt: job.attempts, dueAtMs: job.dueAtMs, firedAtMs: this.#clock.now() });
    } catch (error) {
      failure = messageOf(error);
    }
    try {
      const now = this.#clock.now();
      if (failure === undefined) {
        await this.#store.markDone(job, now);
        return outcome("done");
      }
      if (job.attempts >= this.#retry.maxAttempts) {
        await this.#store.markFailed(job, failure, now);
        return outcome("failed", failure);
      }
      await this.#store.release(job, now + retryDelayMs(job.attempts, this.#retry.baseDelayMs, this.#retry.maxDelayMs), failure);
      return outcome("retrying", failure);
    } catch (error) {
      return error instanceof JobLeaseLostError ? outcome("lost", failure) : outcome("error", messageOf(error));
    }
  }
}

function scheduledJob(job: StoredJob): ScheduledJob {
  return { name: job.name, step: job.step, proposalId: job.proposalId, network: job.network, attempt: job.attempt, runAtMs: job.runAtMs };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
