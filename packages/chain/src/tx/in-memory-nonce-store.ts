/** In-memory {@link NonceStore}: one process, any number of concurrent workers. */
import type { NonceKey, NonceReservation, NonceReserveRequest, NonceStore } from "@payrox/core";
import { KeyedMutex } from "./keyed-mutex.js";

/** What the store knows about one (network, signer). */
interface KeyState {
  /** Lowest nonce never handed out. */
  next: number;
  /** Nonces handed out and returned unused, handed out again before `next`. */
  released: Set<number>;
  /** Outstanding reservations by id. */
  outstanding: Map<string, number>;
  /** The holder (step id) of each outstanding reservation that named one. */
  holders: Map<string, string>;
}

/** A snapshot of one key, for diagnostics and tests. */
export interface NonceKeySnapshot {
  next: number;
  released: number[];
  outstanding: number[];
}

/**
 * Nonce reservations kept in this process's memory, serialised per key by an async mutex. Each reservation
 * re-reads the chain's pending nonce under the lock, so the store follows transactions sent by earlier runs
 * (or a restart) and never hands out a nonce the chain already counts.
 *
 * Only safe while every sender of the key lives in this process; across processes use the DynamoDB store.
 */
export class InMemoryNonceStore implements NonceStore {
  readonly #mutex = new KeyedMutex();
  readonly #keys = new Map<string, KeyState>();
  #counter = 0;

  /** Reserves the lowest released nonce ≥ the chain's pending nonce, else the next new one; never one the journal holds. */
  async reserve(request: NonceReserveRequest): Promise<NonceReservation> {
    const key = keyOf(request);
    return this.#mutex.runExclusive(key, async () => {
      const chainNonce = await request.chainPendingNonce();
      if (!Number.isSafeInteger(chainNonce) || chainNonce < 0) throw new RangeError(`chain pending nonce must be a non-negative integer, got ${chainNonce}`);
      const state = this.#state(key);
      // Nonces below the chain's count were used by someone: never hand them out.
      for (const nonce of state.released) if (nonce < chainNonce) state.released.delete(nonce);
      if (state.next < chainNonce) state.next = chainNonce;
      let nonce: number;
      // The same step's reservation left by a worker that died before journaling: take over its nonce.
      const previous = request.holder === undefined ? undefined : [...state.holders].find(([id, holder]) => holder === request.holder && (state.outstanding.get(id) ?? -1) >= chainNonce)?.[0];
      if (previous !== undefined) {
        nonce = state.outstanding.get(previous)!;
        state.outstanding.delete(previous);
        state.holders.delete(previous);
      } else {
        nonce = await this.#unjournaled(state, request);
      }
      const id = `${key}#${nonce}#${++this.#counter}`;
      state.outstanding.set(id, nonce);
      if (request.holder !== undefined) state.holders.set(id, request.holder);
      return { network: request.network, signer: request.signer, nonce, id };
    });
  }

  /** Marks the nonce as used for good. */
  async confirm(reservation: NonceReservation): Promise<void> {
    const key = keyOf(reservation);
    await this.#mutex.runExclusive(key, () => {
      this.#take(key, reservation);
    });
  }

  /** Returns the nonce; the next reservation of the key gets it. */
  async release(reservation: NonceReservation): Promise<void> {
    const key = keyOf(reservation);
    await this.#mutex.runExclusive(key, () => {
      this.#state(key).released.add(this.#take(key, reservation));
    });
  }

  /** The key's current state (copies). */
  snapshot(key: NonceKey): NonceKeySnapshot {
    const state = this.#state(keyOf(key));
    return {
      next: state.next,
      released: [...state.released].sort((a, b) => a - b),
      outstanding: [...state.outstanding.values()].sort((a, b) => a - b),
    };
  }

  /**
   * The lowest released nonce, else the next new one — skipping any the journal holds a transaction at. The
   * chain's pending count does not show a transaction sitting in a private relay, so a store that re-synced
   * with the chain (a fresh process) would otherwise hand that nonce out again.
   */
  async #unjournaled(state: KeyState, request: NonceReserveRequest): Promise<number> {
    for (;;) {
      let nonce: number;
      if (state.released.size > 0) {
        nonce = Math.min(...state.released);
        state.released.delete(nonce);
      } else {
        nonce = state.next++;
      }
      if (!(await request.isJournaled?.(nonce))) return nonce;
    }
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) this.#keys.set(key, (state = { next: 0, released: new Set(), outstanding: new Map(), holders: new Map() }));
    return state;
  }

  #take(key: string, reservation: NonceReservation): number {
    const state = this.#state(key);
    const nonce = state.outstanding.get(reservation.id);
    if (nonce === undefined) throw new Error(`nonce reservation ${reservation.id} is not outstanding (confirmed or released twice?)`);
    state.outstanding.delete(reservation.id);
    state.holders.delete(reservation.id);
    return nonce;
  }
}

function keyOf(key: NonceKey): string {
  return `${key.network}/${key.signer.toLowerCase()}`;
}
