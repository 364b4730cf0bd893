/**
 * Every error @payrox/aws throws. A caller can rely on `instanceof AwsAdapterError`, read the context
 * fields of a subclass, and walk `cause` down to the SDK exception.
 */
import type { Proposal, Run, StepLease, TxRecord } from "@payrox/core/runs";

/** Root of @payrox/aws's errors: sets `name`, keeps `cause`. */
export class AwsAdapterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A DynamoDB call failed in a way no more specific error covers (throttling, network, permissions…). */
export class DynamoRequestError extends AwsAdapterError {
  /**
   * True unless DynamoDB answered with a client fault (validation, access denied, missing table…), which
   * it raises before applying anything: a write may then have been applied, so read before retrying.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    /** The SDK command, e.g. `PutItem`. */
    readonly operation: string,
    readonly tableName: string,
    /** The SDK exception's name, e.g. `ProvisionedThroughputExceededException`. */
    readonly sdkErrorName: string | undefined,
    options: { cause: unknown },
  ) {
    const outcomeUnknown = (options.cause as { $fault?: string } | undefined)?.$fault !== "client";
    super(
      `DynamoDB ${operation} on table ${tableName} failed${sdkErrorName ? ` (${sdkErrorName})` : ""}: ${messageOf(options.cause)}` +
        (outcomeUnknown ? "; a write may or may not have been applied — read before retrying" : ""),
      options,
    );
    this.outcomeUnknown = outcomeUnknown;
  }
}

/** An item would exceed DynamoDB's 400 KB limit (e.g. an oversized manifest); nothing was written. */
export class ItemTooLargeError extends AwsAdapterError {
  constructor(
    readonly operation: string,
    readonly tableName: string,
    options: { cause: unknown },
  ) {
    super(`DynamoDB ${operation} on table ${tableName} refused an item over 400 KB: shrink it (split the manifest, drop details)`, options);
  }
}

/** A store method got an argument it cannot store (a caller bug, or input that should have been validated). */
export class StoreInputError extends AwsAdapterError {
  constructor(
    /** Which argument or field, e.g. `next.version`. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A list cursor was not produced by this store (or by this listing); start again without a cursor. */
export class InvalidCursorError extends AwsAdapterError {
  constructor(readonly cursor: string, options?: { cause?: unknown }) {
    super(`invalid list cursor ${JSON.stringify(cursor.slice(0, 40))}: pass back the cursor of the previous page unchanged, or none to start over`, options);
  }
}

/** `createProposal` found the proposal id (or one of its runs) already stored; nothing was written. */
export class ProposalExistsError extends AwsAdapterError {
  /** Stable code for the API layer (the core ports define no conflict type). */
  readonly code = "PROPOSAL_EXISTS";
  constructor(
    readonly proposalId: string,
    /** The stored proposal, when it could be read. */
    readonly existing: Proposal | undefined,
    options?: { cause?: unknown },
  ) {
    super(`proposal ${proposalId} already exists: choose a new id (proposal ids are never reused)`, options);
  }
}

/** `saveRun` lost an optimistic-concurrency race: the stored run is not at the expected version. */
export class VersionConflictError extends AwsAdapterError {
  /** Stable code, so use cases can recognise the conflict without importing this package. */
  readonly code = "RUN_VERSION_CONFLICT";
  constructor(
    readonly expectedVersion: number,
    /** The run as stored when the write was refused. */
    readonly stored: Run,
    options?: { cause?: unknown },
  ) {
    super(`run ${stored.proposalId}/${stored.network} is at version ${stored.version} (${stored.state}), not ${expectedVersion}: re-read it and re-apply the transition`, options);
  }
}

/** `saveRun` of a run that was never created (its proposal was not created with it). */
export class RunNotFoundError extends AwsAdapterError {
  readonly code = "RUN_NOT_FOUND";
  constructor(
    readonly proposalId: string,
    readonly network: string,
    options?: { cause?: unknown },
  ) {
    super(`run ${proposalId}/${network} does not exist: runs are created with their proposal (createProposal)`, options);
  }
}

/** `completeStep` by an owner that no longer holds the step (its lease expired and was claimed by another). */
export class StepLeaseLostError extends AwsAdapterError {
  readonly code = "STEP_LEASE_LOST";
  constructor(
    readonly lease: StepLease,
    /** The stored lease or completion, or undefined if the step was never claimed. */
    readonly holder: (StepLease & { completedAtMs?: number }) | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `step ${lease.proposalId}/${lease.network}/${lease.step}/${lease.attempt} is ${holder ? `held by ${holder.owner}` : "not claimed"}, not by ${lease.owner}: ` +
        "stop acting on it; the current holder finishes it",
      options,
    );
  }
}

/** An append kept colliding with concurrent appends of the same proposal; nothing was written by this call. */
export class AuditAppendContentionError extends AwsAdapterError {
  constructor(
    readonly proposalId: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`audit append for proposal ${proposalId} collided ${attempts} times with concurrent appends: retry later`, options);
  }
}

/** A nonce reservation kept colliding with concurrent reservations of the same (network, signer). */
export class NonceContentionError extends AwsAdapterError {
  constructor(
    readonly network: string,
    readonly signer: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`nonce store for ${signer} on ${network} collided ${attempts} times with concurrent writers: retry later`, options);
  }
}

/** `confirm` or `release` of a reservation that is not outstanding (used twice, or reclaimed after its timeout). */
export class NonceReservationNotOutstandingError extends AwsAdapterError {
  constructor(readonly reservationId: string, readonly nonce: number) {
    super(`nonce reservation ${reservationId} (nonce ${nonce}) is not outstanding: it was confirmed or released already, or reclaimed after its timeout`);
  }
}

/** `TxJournal.put` of a record with version > 1 when nothing is stored for its step. */
export class JournalRecordAbsentError extends AwsAdapterError {
  constructor(readonly record: Pick<TxRecord, "stepId" | "version">) {
    super(`journal record ${record.stepId} is absent, so its first write must have version 1 (got ${record.version})`);
  }
}

/** A webhook endpoint is misconfigured (URL, secret or id); the message names the field. */
export class WebhookConfigError extends AwsAdapterError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`webhook configuration ${field}: ${problem}`);
  }
}

/** An alert destination (PagerDuty, Slack) is misconfigured; `field` names the setting, never its secret value. */
export class AlertDestinationConfigError extends AwsAdapterError {
  constructor(
    readonly destination: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${destination} alert destination ${field}: ${problem}`);
  }
}

/** A gas-history append kept colliding with concurrent appends of the same (network, step). */
export class GasHistoryContentionError extends AwsAdapterError {
  constructor(
    readonly network: string,
    readonly step: string,
    readonly attempts: number,
  ) {
    super(`gas history of ${step} on ${network} collided ${attempts} times with concurrent writers: retry later`);
  }
}

/** DynamoDB Local could not be started or did not answer in time. */
export class DynamoDbLocalStartError extends AwsAdapterError {
  constructor(
    message: string,
    /** The last lines the process wrote to stderr/stdout. */
    readonly outputTail: string,
    options?: { cause?: unknown },
  ) {
    super(outputTail ? `${message}\n--- DynamoDB Local output (tail) ---\n${outputTail}` : message, options);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A schedule request is invalid before any AWS call (past the SQS delay limit, missing target…). */
export class ScheduleInputError extends AwsAdapterError {
  constructor(
    /** Which argument or option, e.g. `job.runAtMs`. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A schedule with the job's name exists with a different payload: another job took the name. */
export class ScheduleConflictError extends AwsAdapterError {
  readonly code = "SCHEDULE_CONFLICT";
  constructor(
    readonly scheduleName: string,
    /** The stored target input (JSON), when it could be read. */
    readonly existingInput: string | undefined,
    readonly requestedInput: string,
    options?: { cause?: unknown },
  ) {
    super(
      `schedule ${scheduleName} already exists with a different target input (${existingInput ?? "unreadable"}): ` +
        "derive job names from (proposal, network, step, attempt) so distinct jobs never share one, or cancel the old schedule first",
      options,
    );
  }
}

/** An EventBridge Scheduler or SQS call failed in a way no more specific error covers (throttling, permissions…). */
export class ScheduleRequestError extends AwsAdapterError {
  constructor(
    /** The SDK command, e.g. `CreateSchedule` or `SendMessage`. */
    readonly operation: string,
    /** The schedule name or queue URL. */
    readonly target: string,
    /** The SDK exception's name, e.g. `ValidationException`. */
    readonly sdkErrorName: string | undefined,
    options: { cause: unknown },
  ) {
    super(`${operation} for ${target} failed${sdkErrorName ? ` (${sdkErrorName})` : ""}: ${messageOf(options.cause)}`, options);
  }
}

/** One PutEvents entry EventBridge refused. */
export interface FailedEventEntry {
  /** Position in the events passed to `publish`. */
  index: number;
  detailType: string;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

/** PutEvents failed as a whole (`failedEntries` empty, see `cause`) or refused some entries; the others were put. */
export class EventPublishError extends AwsAdapterError {
  constructor(
    readonly eventBusName: string,
    readonly failedEntries: readonly FailedEventEntry[],
    options?: { cause?: unknown },
  ) {
    const what = failedEntries.length
      ? `${failedEntries.length} event(s) refused (${failedEntries.map((e) => `#${e.index} ${e.detailType}: ${e.errorCode ?? "?"}`).join(", ")})`
      : `PutEvents failed: ${messageOf(options?.cause)}`;
    super(`EventBridge bus ${eventBusName}: ${what}; republish the refused events (consumers must tolerate duplicates)`, options);
  }
}

/** SSM refused a parameter read (permissions, throttling, a bad name). */
export class ParameterRequestError extends AwsAdapterError {
  constructor(
    readonly names: readonly string[],
    readonly errorName: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`SSM GetParameters for ${names.join(", ")} failed (${errorName ?? "unknown error"}): check that the function's role may ssm:GetParameters them`, options);
    this.name = "ParameterRequestError";
  }
}

/** An S3 call of the audit anchor store failed (network, permissions, a missing bucket…). */
export class AnchorBucketError extends AwsAdapterError {
  constructor(
    /** The SDK command, e.g. `PutObject`. */
    readonly operation: string,
    readonly bucket: string,
    readonly key: string | undefined,
    options: { cause: unknown },
  ) {
    const name = (options.cause as { name?: string } | undefined)?.name;
    super(`S3 ${operation} on s3://${bucket}/${key ?? ""} failed${name ? ` (${name})` : ""}: ${messageOf(options.cause)}; the audit anchor was not read or written — check the bucket and the function's role`, options);
  }
}
