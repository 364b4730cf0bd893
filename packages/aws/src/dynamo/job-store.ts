/**
 * Due jobs of the local scheduler on the single table, so a restarted process resumes them.
 *
 * Key design (why not `PK = JOBS, SK = <runAtMs>#<name>`: a put could not be idempotent by name when the
 * same name arrives with another time, and moving a job would mean delete + put):
 *
 * | item | PK | SK | GSI1PK / GSI1SK |
 * | --- | --- | --- | --- |
 * | job | `JOB#<name>` | `JOB` | while pending only: `JOBS#DUE` / `<dueAtMs, 15 digits>#<name>` |
 *
 * - put: PutItem `attribute_not_exists(PK)` on the name's key → one job per name; a duplicate gets the stored job.
 * - listDue: Query GSI1 `GSI1PK = JOBS#DUE AND GSI1SK < <nowMs + 1>`, ascending (due order), filtered to
 *   jobs without an unexpired lease. The index is sparse: done and failed jobs drop their GSI1 keys.
 * - claim: UpdateItem on the job's own key (strongly consistent) conditional on `status = pending`, due,
 *   the lease free or expired, and `attempts` unchanged since the listing → one winner among racing loops.
 * - markDone / release (retry later) / markFailed: UpdateItem conditional on `leaseOwner = :owner`.
 * - delete (cancel): DeleteItem. Finished jobs keep their item (a late duplicate put stays a no-op) until
 *   TTL removes it `retentionSeconds` later.
 *
 * GSI1 reads are eventually consistent on AWS: a just-put job may show up one poll later, and a stale
 * listing only costs a refused claim. `GSI1PK = JOBS#DUE` is one partition: fine for a handful of jobs per
 * run; shard it by minute if that ever changes.
 */
import type { ScheduledJob } from "@payrox/core/runs";
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { AwsAdapterError, StoreInputError } from "../errors.js";
import { fromItem, TableKeys } from "./keys.js";
import { dueKeys, listDueItems } from "./due-index.js";
import { SingleTable, type DynamoTableOptions, type Item } from "./single-table.js";

/** Status of a stored job. */
export const JobStatus = {
  /** Waiting for its due time, or being fired (then it carries a lease). */
  PENDING: "pending",
  DONE: "done",
  /** Every attempt failed; `lastError` says why. */
  FAILED: "failed",
} as const;
/** One of {@link JobStatus}. */
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** A job as stored: the scheduled job plus its firing state. */
export interface StoredJob extends ScheduledJob {
  /** When the job may fire (unix ms): `runAtMs`, shifted by the scheduler's jitter or a retry back-off. */
  dueAtMs: number;
  status: JobStatus;
  /** Claims so far (a claim is an attempt, even if its loop crashed before finishing it). */
  attempts: number;
  leaseOwner?: string;
  leaseExpiresAtMs?: number;
  lastError?: string;
  createdAtMs: number;
  finishedAtMs?: number;
}

/** Outcome of {@link DynamoJobStore.put}. */
export interface JobPutResult {
  /** False when a job of that name was stored already (it is left unchanged). */
  created: boolean;
  /** The stored job: the new one, or the one that was there. */
  job: StoredJob;
}

/** Options of {@link DynamoJobStore}. */
export interface DynamoJobStoreOptions extends DynamoTableOptions {
  /**
   * How long a done or failed job is kept (so a late duplicate `put` stays a no-op) before TTL deletes it.
   * @default 604800 (7 days)
   */
  retentionSeconds?: number;
}

/** A job write by an owner that no longer holds the job's lease (it expired and another loop claimed it, or the job was cancelled). */
export class JobLeaseLostError extends AwsAdapterError {
  readonly code = "JOB_LEASE_LOST";
  constructor(
    /** The job's name (`name` is the error class's). */
    readonly jobName: string,
    readonly owner: string,
    /** The job as stored when the write was refused, or undefined if it was deleted. */
    readonly stored: StoredJob | undefined,
  ) {
    super(`job ${jobName} is ${stored ? `held by ${stored.leaseOwner ?? "nobody"} (${stored.status})` : "gone (cancelled)"}, not by ${owner}: stop acting on it`);
  }
}

const JOB_TYPE = "job";
const DUE_PARTITION = "JOBS#DUE";
const NAMES = { "#status": "status", "#owner": "leaseOwner", "#expires": "leaseExpiresAtMs" } as const;

/** Key of a job's item. */
export function jobKey(name: string): { PK: string; SK: string } {
  if (typeof name !== "string" || name.length === 0) throw new StoreInputError("job.name", "must be a non-empty string");
  return { PK: `JOB#${name}`, SK: "JOB" };
}

/** GSI1 keys of a pending job: one partition, sorted by due time, then name. */
export function dueIndexKeys(name: string, dueAtMs: number): { GSI1PK: string; GSI1SK: string } {
  return dueKeys(DUE_PARTITION, dueAtMs, name);
}

/** Scheduled jobs in DynamoDB, claimed with leases so that concurrent loops never fire one twice. */
export class DynamoJobStore {
  readonly #table: SingleTable;
  readonly #retentionSeconds: number;

  constructor(options: DynamoJobStoreOptions) {
    this.#table = new SingleTable(options);
    this.#retentionSeconds = options.retentionSeconds ?? 7 * 24 * 3600;
  }

  /**
   * Stores `job` as pending, due at `options.dueAtMs` (default `job.runAtMs`), unless a job of that name exists.
   * @returns whether it was created, and the stored job either way.
   */
  async put(job: ScheduledJob, options: { dueAtMs?: number; nowMs?: number } = {}): Promise<JobPutResult> {
    const dueAtMs = options.dueAtMs ?? job.runAtMs;
    const stored: StoredJob = { ...scheduledFields(job), dueAtMs, status: JobStatus.PENDING, attempts: 0, createdAtMs: options.nowMs ?? Date.now() };
    const written = await this.#table.conditionalPut({
      Item: { ...jobKey(job.name), ...dueIndexKeys(job.name, dueAtMs), type: JOB_TYPE, ...stored },
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": TableKeys.PK },
    });
    if (written.ok) return { created: true, job: stored };
    // Deleted between the refused put and now: vanishingly rare, and the caller can simply retry.
    if (!written.stored) throw new StoreInputError("job.name", `job ${job.name} collided with a concurrent delete: retry`);
    return { created: false, job: fromItem<StoredJob>(written.stored) };
  }

  /** The job named `name`, or undefined (strongly consistent read). */
  async get(name: string): Promise<StoredJob | undefined> {
    const item = await this.#table.get(jobKey(name));
    return item && fromItem<StoredJob>(item);
  }

  /** Pending jobs due at `nowMs` whose lease is free or expired, in due order (then name), at most `limit`. */
  async listDue(nowMs: number, limit: number): Promise<StoredJob[]> {
    return (await listDueItems(this.#table, DUE_PARTITION, nowMs, limit)).map((item) => fromItem<StoredJob>(item));
  }

  /**
   * Claims a due job for `leaseMs`: succeeds only if it is still pending, due, unleased (or its lease
   * expired) and unchanged since `job` was read. Counts an attempt.
   * @returns the claimed job, or undefined when another loop won or the job changed.
   */
  async claim(job: StoredJob, owner: string, leaseMs: number, nowMs: number): Promise<StoredJob | undefined> {
    checkOwner(owner);
    if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) throw new StoreInputError("leaseMs", `must be a positive integer, got ${leaseMs}`);
    const claimed: StoredJob = { ...job, leaseOwner: owner, leaseExpiresAtMs: nowMs + leaseMs, attempts: job.attempts + 1 };
    const result = await this.#table.conditionalUpdate({
      Key: jobKey(job.name),
      UpdateExpression: "SET #owner = :owner, #expires = :expires, #attempts = :next",
      ConditionExpression: "#status = :pending AND #due <= :now AND #attempts = :seen AND (attribute_not_exists(#expires) OR #expires <= :now)",
      ExpressionAttributeNames: { ...NAMES, "#due": "dueAtMs", "#attempts": "attempts" },
      ExpressionAttributeValues: {
        ":owner": owner, ":expires": claimed.leaseExpiresAtMs, ":next": claimed.attempts, ":pending": JobStatus.PENDING, ":now": nowMs, ":seen": job.attempts,
      },
    });
    return result.ok ? claimed : undefined;
  }

  /** Marks a claimed job done (its holder only); it leaves the due index. @throws JobLeaseLostError */
  async markDone(job: StoredJob, nowMs: number): Promise<void> {
    await this.#finish(job, JobStatus.DONE, nowMs);
  }

  /** Records a claimed job as failed for good, with the last error. @throws JobLeaseLostError */
  async markFailed(job: StoredJob, error: string, nowMs: number): Promise<void> {
    await this.#finish(job, JobStatus.FAILED, nowMs, error);
  }

  /** Returns a claimed job to pending, due again at `retryAtMs`, noting the error. @throws JobLeaseLostError */
  async release(job: StoredJob, retryAtMs: number, error: string): Promise<void> {
    await this.#holderUpdate(job, {
      UpdateExpression: "SET #due = :due, #gsk = :gsk, #error = :error REMOVE #owner, #expires",
      ExpressionAttributeNames: { "#due": "dueAtMs", "#gsk": TableKeys.GSI1SK, "#error": "lastError" },
      ExpressionAttributeValues: { ":due": retryAtMs, ":gsk": dueIndexKeys(job.name, retryAtMs).GSI1SK, ":error": error },
    });
  }

  /** Deletes the job whatever its state (cancel); a loop firing it at that moment then fails to record it. */
  async delete(name: string): Promise<void> {
    try {
      await this.#table.doc.send(new DeleteCommand({ TableName: this.#table.name, Key: jobKey(name) }));
    } catch (error) {
      throw this.#table.translate("DeleteItem", error);
    }
  }

  async #finish(job: StoredJob, status: JobStatus, nowMs: number, error?: string): Promise<void> {
    await this.#holderUpdate(job, {
      UpdateExpression: `SET #status = :status, #finished = :now, #ttl = :ttl${error === undefined ? "" : ", #error = :error"} REMOVE #gpk, #gsk, #expires`,
      ExpressionAttributeNames: { "#finished": "finishedAtMs", "#ttl": TableKeys.TTL, "#gpk": TableKeys.GSI1PK, "#gsk": TableKeys.GSI1SK, ...(error === undefined ? {} : { "#error": "lastError" }) },
      ExpressionAttributeValues: { ":status": status, ":now": nowMs, ":ttl": Math.ceil(nowMs / 1000) + this.#retentionSeconds, ...(error === undefined ? {} : { ":error": error }) },
    });
  }

  /** An update allowed only while `job.leaseOwner` still holds the pending job. */
  async #holderUpdate(job: StoredJob, update: { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> }): Promise<void> {
    const owner = job.leaseOwner ?? "";
    checkOwner(owner);
    const result = await this.#table.conditionalUpdate({
      Key: jobKey(job.name),
      UpdateExpression: update.UpdateExpression,
      ConditionExpression: "#status = :pending AND #owner = :owner",
      ExpressionAttributeNames: { ...NAMES, ...update.ExpressionAttributeNames },
      ExpressionAttributeValues: { ":pending": JobStatus.PENDING, ":owner": owner, ...update.ExpressionAttributeValues },
    });
    if (!result.ok) throw new JobLeaseLostError(job.name, owner, result.stored && fromItem<StoredJob>(result.stored as Item));
  }
}

function scheduledFields(job: ScheduledJob): ScheduledJob {
  return { name: job.name, step: job.step, proposalId: job.proposalId, network: job.network, attempt: job.attempt, runAtMs: job.runAtMs };
}

function checkOwner(owner: string): void {
  if (typeof owner !== "string" || owner.length === 0) throw new StoreInputError("owner", "must be a non-empty string (the claiming loop's id)");
}
