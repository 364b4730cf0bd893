/**
 * {@link RunStore} on the single table: a proposal and its runs share the proposal's partition
 * (`PROPOSAL#<id>`), step leases too; GSI1 lists proposals newest first. Every mutation is a
 * conditional write; a lost race surfaces as a typed error carrying the stored record.
 */
import { DeleteCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { isTerminalRun, NetworkBusyError, type Clock, type NetworkLock, type Proposal, type Run, type RunStore, type StepLease, type StepName } from "@payrox/core/runs";
import * as z from "zod";
import { ProposalExistsError, RunNotFoundError, StoreInputError, VersionConflictError } from "../errors.js";
import { retryOnCollision } from "./collision-retry.js";
import { fromItem, isKeyPart, ItemType, networkLockKey, PROPOSAL_LIST_PARTITION, proposalKey, proposalListKeys, runKey, SkPrefix, TableKeys } from "./keys.js";
import { decodeCursor, encodeCursor } from "./list-cursor.js";
import { isConditionalCheckFailed, SingleTable, type DynamoTableOptions, type Item } from "./single-table.js";
import { claimStepLease, completeStepLease, getStepLease } from "./step-leases.js";

/** Options of {@link DynamoRunStore}. */
export interface DynamoRunStoreOptions extends DynamoTableOptions {
  /**
   * Time source for completion timestamps.
   * @default the system clock
   */
  clock?: Clock;
  /**
   * How long an unfinished lease item is kept after it expired before DynamoDB TTL deletes it.
   * @default 604800 (7 days)
   */
  leaseRetentionSeconds?: number;
}

/** Page size of {@link DynamoRunStore.listProposals} when none is given. */
export const DEFAULT_PROPOSAL_PAGE_SIZE = 25;
/** Largest page size {@link DynamoRunStore.listProposals} accepts. */
export const MAX_PROPOSAL_PAGE_SIZE = 100;
/** TransactWriteItems takes at most 100 items: the proposal, and up to 49 runs with their network locks. */
const MAX_RUNS_PER_PROPOSAL = 49;
/** Rounds of taking over stale locks before createProposal gives up. */
const LOCK_TAKEOVER_ROUNDS = 3;
const LIST_CURSOR_ATTRIBUTES = [TableKeys.PK, TableKeys.SK, TableKeys.GSI1PK, TableKeys.GSI1SK] as const;
/**
 * The key a proposal listing cursor carries: exactly the proposal item's key as {@link proposalKey} and
 * {@link proposalListKeys} build it, both naming the same id. Anything else (empty strings, oversized or
 * foreign keys) would reach DynamoDB as a `ValidationException` or read another partition.
 */
const ListCursorKeySchema = z
  .strictObject({
    [TableKeys.PK]: z.string().startsWith("PROPOSAL#"),
    [TableKeys.SK]: z.literal("PROPOSAL"),
    [TableKeys.GSI1PK]: z.literal(PROPOSAL_LIST_PARTITION),
    [TableKeys.GSI1SK]: z.string().regex(/^\d{15}#/),
  })
  .refine((key) => {
    const id = key.PK.slice("PROPOSAL#".length);
    return isKeyPart(id) && key.GSI1SK.slice(16) === id;
  }, "the cursor's keys must name one proposal");

/** Proposals, runs and step leases in DynamoDB. */
export class DynamoRunStore implements RunStore {
  readonly #table: SingleTable;
  readonly #clock: Clock;
  readonly #retentionSeconds: number;

  constructor(options: DynamoRunStoreOptions) {
    this.#table = new SingleTable(options);
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#retentionSeconds = options.leaseRetentionSeconds ?? 7 * 24 * 3600;
  }

  /**
   * Writes the proposal, its runs and their networks' locks in one transaction, each only if absent.
   * @throws ProposalExistsError (carrying the stored proposal) if the id exists; NetworkBusyError naming
   * the holder when another proposal's unfinished run holds a network's lock. Nothing is written then.
   */
  async createProposal(proposal: Proposal, runs: Run[]): Promise<void> {
    checkNewProposal(proposal, runs);
    for (let round = 0; ; round++) {
      const busy = await this.#tryCreate(proposal, runs);
      if (!busy) return;
      // A lock whose holder's run is final was left by a crash between the final save and the release.
      const lock = await this.#table.get(networkLockKey(busy));
      const holder = typeof lock?.holder === "string" ? lock.holder : undefined;
      if (holder === undefined) continue;
      const run = await this.getRun(holder, busy);
      // A final run still cleaning up (cancelling its own root) holds the network until its hold expires.
      const cleaning = typeof lock?.cleanupUntilMs === "number" && lock.cleanupUntilMs > this.#clock.now();
      if ((run && !isTerminalRun(run)) || cleaning || round >= LOCK_TAKEOVER_ROUNDS) throw new NetworkBusyError(busy, holder);
      await this.releaseNetwork(busy, holder);
    }
  }

  /** One attempt at the creation transaction; returns the network whose lock was taken, if that refused it. */
  async #tryCreate(proposal: Proposal, runs: Run[]): Promise<string | undefined> {
    const condition = { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": TableKeys.PK } };
    const command = new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: this.#table.name,
            Item: { ...proposalKey(proposal.id), ...proposalListKeys(proposal.id, proposal.createdAtMs), type: ItemType.PROPOSAL, ...proposal },
            ...condition,
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
        ...runs.map((run) => ({ Put: { TableName: this.#table.name, Item: { ...runKey(run.proposalId, run.network), type: ItemType.RUN, ...run }, ...condition } })),
        ...runs.map((run) => ({
          Put: { TableName: this.#table.name, Item: { ...networkLockKey(run.network), type: ItemType.NETWORK_LOCK, network: run.network, holder: proposal.id, sinceMs: proposal.createdAtMs }, ...condition },
        })),
      ],
    });
    // A concurrent transaction on the same items cancels with TransactionConflict: retry, and the
    // retry then sees the winner's items (ConditionalCheckFailed) or writes.
    let lastError: unknown;
    const outcome = await retryOnCollision<string | undefined>({ maxAttempts: 30 }, async () => {
      try {
        await this.#table.doc.send(command);
        return { done: true, value: undefined };
      } catch (error) {
        const reasons = (error as { CancellationReasons?: { Code?: string; Item?: Parameters<typeof unmarshall>[0] }[] }).CancellationReasons;
        if ((error as Error).name !== "TransactionCanceledException" || !reasons) throw this.#table.translate("TransactWriteItems", error);
        if (reasons[0]?.Code === "ConditionalCheckFailed" || reasons.slice(1, 1 + runs.length).some((r) => r.Code === "ConditionalCheckFailed")) {
          const stored = reasons[0]?.Item ? fromItem<Proposal>(unmarshall(reasons[0].Item)) : await this.getProposal(proposal.id);
          throw new ProposalExistsError(proposal.id, stored, { cause: error });
        }
        const locked = reasons.slice(1 + runs.length).findIndex((r) => r.Code === "ConditionalCheckFailed");
        if (locked >= 0) return { done: true, value: runs[locked]!.network };
        lastError = error;
        if (reasons.some((r) => r.Code === "TransactionConflict")) return { done: false };
        throw this.#table.translate("TransactWriteItems", error);
      }
    });
    if ("exhausted" in outcome) throw this.#table.translate("TransactWriteItems", lastError);
    return outcome.value;
  }

  /** Deletes `network`'s lock if `proposalId` holds it. */
  async releaseNetwork(network: string, proposalId: string): Promise<void> {
    try {
      await this.#table.doc.send(
        new DeleteCommand({
          TableName: this.#table.name,
          Key: networkLockKey(network),
          ConditionExpression: "#holder = :holder",
          ExpressionAttributeNames: { "#holder": "holder" },
          ExpressionAttributeValues: { ":holder": proposalId },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw this.#table.translate("DeleteItem", error);
    }
  }

  /**
   * Marks `proposalId`'s lock on `network` as held for its run's cleanup until `untilMs`: a final run's lock
   * is not taken over before then. A no-op when another proposal holds it (or nobody).
   */
  async holdNetwork(network: string, proposalId: string, untilMs: number): Promise<void> {
    try {
      await this.#table.doc.send(
        new UpdateCommand({
          TableName: this.#table.name,
          Key: networkLockKey(network),
          UpdateExpression: "SET #until = :until",
          ConditionExpression: "#holder = :holder",
          ExpressionAttributeNames: { "#holder": "holder", "#until": "cleanupUntilMs" },
          ExpressionAttributeValues: { ":holder": proposalId, ":until": untilMs },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw this.#table.translate("UpdateItem", error);
    }
  }

  /** The proposal holding `network`'s lock (strongly consistent read). */
  async networkHolder(network: string): Promise<string | undefined> {
    const item = await this.#table.get(networkLockKey(network));
    return typeof item?.holder === "string" ? item.holder : undefined;
  }

  /** `network`'s lock with its cleanup hold, if any (one strongly consistent GetItem; the watchdog's leftover-root retry). */
  async networkLock(network: string): Promise<NetworkLock | undefined> {
    const item = await this.#table.get(networkLockKey(network));
    if (typeof item?.holder !== "string") return undefined;
    return { network, holder: item.holder, ...(typeof item.cleanupUntilMs === "number" && { cleanupUntilMs: item.cleanupUntilMs }) };
  }

  /** The proposal, or undefined (strongly consistent read). */
  async getProposal(id: string): Promise<Proposal | undefined> {
    const item = await this.#table.get(proposalKey(id));
    return item && fromItem<Proposal>(item);
  }

  /**
   * Proposals, newest first, `limit` per page (default 25, at most 100). `cursor` is the previous page's;
   * it is absent on the last page. Reads the GSI, so a proposal created a moment ago may be missing.
   * @throws InvalidCursorError for a cursor this store did not produce.
   */
  async listProposals(options: { limit?: number; cursor?: string } = {}): Promise<{ proposals: Proposal[]; cursor?: string }> {
    const limit = options.limit ?? DEFAULT_PROPOSAL_PAGE_SIZE;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PROPOSAL_PAGE_SIZE) {
      throw new StoreInputError("limit", `must be an integer in [1, ${MAX_PROPOSAL_PAGE_SIZE}], got ${limit}`);
    }
    let startKey: Record<string, unknown> | undefined =
      options.cursor === undefined ? undefined : decodeCursor(options.cursor, ListCursorKeySchema);
    // Read one item past the page, so the cursor is absent exactly when nothing follows.
    const items: Item[] = [];
    do {
      const page = await this.#table.query({
        IndexName: TableKeys.GSI1,
        KeyConditionExpression: "#gpk = :partition",
        ExpressionAttributeNames: { "#gpk": TableKeys.GSI1PK },
        ExpressionAttributeValues: { ":partition": PROPOSAL_LIST_PARTITION },
        ScanIndexForward: false,
        Limit: limit + 1 - items.length,
        ExclusiveStartKey: startKey,
      });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey && items.length <= limit);
    const pageItems = items.slice(0, limit);
    const last = pageItems.at(-1);
    const cursor = items.length > limit && last ? encodeCursor(Object.fromEntries(LIST_CURSOR_ATTRIBUTES.map((a) => [a, String(last[a])]))) : undefined;
    return { proposals: pageItems.map((item) => fromItem<Proposal>(item)), ...(cursor ? { cursor } : {}) };
  }

  /** The run of a proposal on a network, or undefined (strongly consistent read). */
  async getRun(proposalId: string, network: string): Promise<Run | undefined> {
    const item = await this.#table.get(runKey(proposalId, network));
    return item && fromItem<Run>(item);
  }

  /** Every run of a proposal, by network name (strongly consistent). */
  async listRuns(proposalId: string): Promise<Run[]> {
    const items = await this.#table.queryAll({
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": TableKeys.PK, "#sk": TableKeys.SK },
      ExpressionAttributeValues: { ":pk": proposalKey(proposalId).PK, ":prefix": SkPrefix.RUN },
      ConsistentRead: true,
    });
    return items.map((item) => fromItem<Run>(item));
  }

  /**
   * Replaces the run if the stored one is at `expectedVersion`.
   * @throws VersionConflictError carrying the stored run when it is not; RunNotFoundError when there is none.
   */
  async saveRun(next: Run, expectedVersion: number): Promise<void> {
    if (!Number.isSafeInteger(expectedVersion) || next.version !== expectedVersion + 1) {
      throw new StoreInputError("next.version", `must be expectedVersion + 1 (${expectedVersion} + 1), got ${next.version}`);
    }
    const result = await this.#table.conditionalPut({
      Item: { ...runKey(next.proposalId, next.network), type: ItemType.RUN, ...next },
      ConditionExpression: "#version = :expected",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: { ":expected": expectedVersion },
    });
    if (result.ok) return;
    if (!result.stored) throw new RunNotFoundError(next.proposalId, next.network);
    throw new VersionConflictError(expectedVersion, fromItem<Run>(result.stored));
  }

  /** Claims (run, step, attempt) unless another owner holds an unexpired lease or the step is completed. */
  async claimStep(lease: StepLease, nowMs: number): Promise<StepLease | undefined> {
    return claimStepLease(this.#table, lease, nowMs, this.#retentionSeconds);
  }

  /**
   * Marks the step completed; later claims of it fail.
   * @throws StepLeaseLostError when `lease.owner` does not hold the step.
   */
  async completeStep(lease: StepLease): Promise<void> {
    await completeStepLease(this.#table, lease, this.#clock.now());
  }

  /** Whether (run, step, attempt) was completed (strongly consistent read). */
  async isStepComplete(proposalId: string, network: string, step: StepName, attempt: string): Promise<boolean> {
    const stored = await getStepLease(this.#table, proposalId, network, step, attempt);
    return stored?.completedAtMs !== undefined;
  }

  /** The current lease or completion of a step, for the watchdog and diagnostics. */
  async getStepLease(proposalId: string, network: string, step: StepName, attempt: string): Promise<(StepLease & { completedAtMs?: number }) | undefined> {
    return getStepLease(this.#table, proposalId, network, step, attempt);
  }
}

/** Rejects a proposal/runs pair that cannot be written as one consistent set. */
function checkNewProposal(proposal: Proposal, runs: Run[]): void {
  proposalListKeys(proposal.id, proposal.createdAtMs);
  if (runs.length > MAX_RUNS_PER_PROPOSAL) throw new StoreInputError("runs", `at most ${MAX_RUNS_PER_PROPOSAL} runs per proposal, got ${runs.length}`);
  const seen = new Set<string>();
  for (const [i, run] of runs.entries()) {
    if (run.proposalId !== proposal.id) throw new StoreInputError(`runs[${i}].proposalId`, `must be ${proposal.id}, got ${run.proposalId}`);
    if (!proposal.networks.includes(run.network)) throw new StoreInputError(`runs[${i}].network`, `${run.network} is not one of the proposal's networks`);
    if (seen.has(run.network)) throw new StoreInputError(`runs[${i}].network`, `${run.network} has two runs`);
    seen.add(run.network);
    runKey(run.proposalId, run.network);
  }
}
