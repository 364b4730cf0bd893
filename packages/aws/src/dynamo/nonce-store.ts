/**
 * {@link NonceStore} on the single table: one item per (network, signer) holding the next new nonce, the
 * released ones and the outstanding reservations, with a version. A reservation is a read followed by a
 * write conditional on that version, so two processes never get the same nonce; confirm and release
 * are single atomic updates conditional on the reservation still being outstanding.
 */
import { randomUUID } from "node:crypto";
import type { Clock, NonceKey, NonceReservation, NonceReserveRequest, NonceStore } from "@payrox/core/runs";
import { NonceContentionError, NonceReservationNotOutstandingError, StoreInputError } from "../errors.js";
import { retryOnCollision, type CollisionRetryOptions } from "./collision-retry.js";
import { ItemType, nonceKey } from "./keys.js";
import { SingleTable, type DynamoTableOptions } from "./single-table.js";

/** Options of {@link DynamoNonceStore}. */
export interface DynamoNonceStoreOptions extends DynamoTableOptions {
  /**
   * After this long an unconfirmed, unreleased reservation is presumed abandoned (its holder crashed) and
   * its nonce is handed out again — otherwise one crash would leave a gap that stalls every later
   * transaction of the signer. Must exceed the longest time a holder can take between `reserve` and
   * `confirm`; the default is Lambda's maximum run time.
   * @default 900000 (15 minutes)
   */
  reservationTimeoutMs?: number;
  /** Retries when concurrent reservations of one key collide. */
  retry?: CollisionRetryOptions;
  /**
   * Time source for reservation timestamps.
   * @default the system clock
   */
  clock?: Clock;
}

/** What is stored per (network, signer). */
interface NonceState {
  /** Lowest nonce never handed out. */
  next: number;
  /** Nonces handed out and returned unused. */
  released: number[];
  /** Outstanding reservations by id, with the step they are for (when the caller named it). */
  outstanding: Record<string, { nonce: number; reservedAtMs: number; holder?: string }>;
  /** 0 when nothing is stored yet. */
  version: number;
}

/** A snapshot of one key, for diagnostics and tests. */
export interface DynamoNonceKeySnapshot {
  next: number;
  released: number[];
  outstanding: number[];
}

/** Nonce reservations shared by every process that uses the table. */
export class DynamoNonceStore implements NonceStore {
  readonly #table: SingleTable;
  readonly #timeoutMs: number;
  readonly #retry: CollisionRetryOptions | undefined;
  readonly #clock: Clock;

  constructor(options: DynamoNonceStoreOptions) {
    this.#table = new SingleTable(options);
    this.#timeoutMs = options.reservationTimeoutMs ?? 15 * 60_000;
    this.#retry = options.retry;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /**
   * Reserves the lowest released nonce ≥ the chain's pending nonce, else the next new one, never one the
   * journal holds (`request.isJournaled`). The chain is asked right before each conditional write. An abandoned reservation (older than the timeout) gives its
   * nonce back only when `request.isJournaled` says no transaction was journaled with it; `next` never goes
   * down, whatever the chain's pending count says.
   * @throws NonceContentionError when every retry collided with another writer of the key.
   */
  async reserve(request: NonceReserveRequest): Promise<NonceReservation> {
    const key = nonceKey(request.network, request.signer);
    const outcome = await retryOnCollision<NonceReservation>(this.#retry, async () => {
      const chainNonce = await request.chainPendingNonce();
      if (!Number.isSafeInteger(chainNonce) || chainNonce < 0) throw new StoreInputError("chainPendingNonce()", `must return a non-negative integer, got ${chainNonce}`);
      const stored = await this.#read(request);
      const now = this.#clock.now();
      const state: NonceState = { next: stored.next, released: [...stored.released], outstanding: { ...stored.outstanding }, version: stored.version + 1 };
      for (const [id, held] of Object.entries(state.outstanding)) {
        if (held.reservedAtMs + this.#timeoutMs <= now) {
          delete state.outstanding[id];
          // Crashed after journaling, before confirming: the nonce was used (maybe in a private relay).
          if (!(await request.isJournaled?.(held.nonce))) state.released.push(held.nonce);
        }
      }
      // Nonces below the chain's count were used by someone: never hand them out.
      state.released = state.released.filter((n) => n >= chainNonce).sort((a, b) => a - b);
      state.next = Math.max(state.next, chainNonce);
      // The same step's reservation left by a process that died before journaling: take over its nonce.
      const previous = request.holder === undefined ? undefined : Object.entries(state.outstanding).find(([, held]) => held.holder === request.holder && held.nonce >= chainNonce);
      if (previous) delete state.outstanding[previous[0]];
      const nonce = previous ? previous[1].nonce : await unjournaled(state, request);
      const id = `${request.network}/${request.signer.toLowerCase()}#${nonce}#${randomUUID()}`;
      state.outstanding[id] = { nonce, reservedAtMs: now, ...(request.holder !== undefined && { holder: request.holder }) };
      const written = await this.#table.conditionalPut({
        Item: { ...key, type: ItemType.NONCE, network: request.network, signer: request.signer.toLowerCase(), ...state },
        ...(stored.version === 0
          ? { ConditionExpression: "attribute_not_exists(#version)", ExpressionAttributeNames: { "#version": "version" } }
          : { ConditionExpression: "#version = :expected", ExpressionAttributeNames: { "#version": "version" }, ExpressionAttributeValues: { ":expected": stored.version } }),
      });
      return written.ok ? { done: true, value: { network: request.network, signer: request.signer, nonce, id } } : { done: false };
    });
    if ("exhausted" in outcome) throw new NonceContentionError(request.network, request.signer, outcome.exhausted);
    return outcome.value;
  }

  /**
   * Marks the nonce used for good.
   * @throws NonceReservationNotOutstandingError when it was confirmed, released or reclaimed already.
   */
  async confirm(reservation: NonceReservation): Promise<void> {
    await this.#settle(reservation, "REMOVE #outstanding.#id SET #version = #version + :one");
  }

  /**
   * Returns the nonce: the next reservation of the key gets it again.
   * @throws NonceReservationNotOutstandingError when it was confirmed, released or reclaimed already.
   */
  async release(reservation: NonceReservation): Promise<void> {
    await this.#settle(reservation, "REMOVE #outstanding.#id SET #released = list_append(#released, :nonces), #version = #version + :one", { ":nonces": [reservation.nonce] });
  }

  /** The key's current state (strongly consistent read). */
  async snapshot(key: NonceKey): Promise<DynamoNonceKeySnapshot> {
    const state = await this.#read(key);
    return {
      next: state.next,
      released: [...state.released].sort((a, b) => a - b),
      outstanding: Object.values(state.outstanding)
        .map((held) => held.nonce)
        .sort((a, b) => a - b),
    };
  }

  /** One atomic update, only if the reservation is still outstanding with its nonce. */
  async #settle(reservation: NonceReservation, updateExpression: string, values: Record<string, unknown> = {}): Promise<void> {
    const written = await this.#table.conditionalUpdate({
      Key: nonceKey(reservation.network, reservation.signer),
      UpdateExpression: updateExpression,
      ConditionExpression: "#outstanding.#id.#nonce = :nonce",
      ExpressionAttributeNames: { "#outstanding": "outstanding", "#id": reservation.id, "#nonce": "nonce", "#version": "version", ...(values[":nonces"] ? { "#released": "released" } : {}) },
      ExpressionAttributeValues: { ":nonce": reservation.nonce, ":one": 1, ...values },
    });
    if (!written.ok) throw new NonceReservationNotOutstandingError(reservation.id, reservation.nonce);
  }

  async #read(key: NonceKey): Promise<NonceState> {
    const item = (await this.#table.get(nonceKey(key.network, key.signer))) as NonceState | undefined;
    return item ? { next: item.next, released: item.released, outstanding: item.outstanding, version: item.version } : { next: 0, released: [], outstanding: {}, version: 0 };
  }
}

/**
 * The lowest released nonce, else the next new one — skipping any the journal holds a transaction at: a
 * transaction in a private relay does not show in the chain's pending count, so a key re-synced with the
 * chain (an item lost or recreated) must not hand its nonce out again. One journal read per reservation.
 */
async function unjournaled(state: NonceState, request: NonceReserveRequest): Promise<number> {
  for (;;) {
    const nonce = state.released.length > 0 ? state.released.shift()! : state.next++;
    if (!(await request.isJournaled?.(nonce))) return nonce;
  }
}
