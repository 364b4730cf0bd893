/**
 * Port: nonce reservation per (network, signer), so that two workers never sign two transactions with
 * the same nonce and a failed send never leaves a gap. Interfaces only; adapters live in
 * `@payrox/chain` (in memory) and `@payrox/aws` (DynamoDB, conditional writes).
 *
 * Life of a reservation:
 * ```
 * reserve ──► confirm   the signed transaction was handed to the write-ahead journal: the nonce now
 *    │                  belongs to that journal record for good (re-broadcast or replaced, never reused)
 *    └─────► release    provably nothing was signed into the journal with it (signing failed, the step
 *                       was claimed by another worker): the next reserve hands the same nonce out again
 * ```
 */

/** Which account on which network a nonce belongs to. */
export interface NonceKey {
  /** Network name from the registry, e.g. `"ethereum"` or `"devnet-1"`. */
  network: string;
  /** The signer's address (implementations compare case-insensitively). */
  signer: string;
}

/** Input of {@link NonceStore.reserve}. */
export interface NonceReserveRequest extends NonceKey {
  /**
   * Reads the chain's `eth_getTransactionCount(signer, "pending")`. Implementations call it while they
   * hold the key's lock (or right before their conditional write) and never hand out a nonce below it:
   * a nonce the chain already counts was used by someone.
   */
  chainPendingNonce: () => Promise<number>;
  /**
   * Whether the write-ahead journal holds a transaction of this signer at `nonce`. A store that reclaims an
   * abandoned reservation (its holder crashed) asks first: a holder that crashed after journaling and
   * before confirming used the nonce — its journaled transaction may be in a private relay, invisible to
   * the pending count — so the nonce is kept used, never handed out again. Stores also ask it of every
   * nonce they are about to hand out, so re-syncing with the chain's pending count (a fresh or recreated
   * key) never lowers the next nonce below a journaled, unresolved transaction.
   */
  isJournaled?: (nonce: number) => Promise<boolean>;
  /**
   * Who the nonce is for: the step id of the transaction about to be signed. A reservation of the same
   * holder still outstanding — its process died between reserving and journaling — is taken over with its
   * nonce instead of a new one being handed out, so that crash leaves no nonce gap (a gap blocks every
   * later transaction of the signer, and in a private relay nothing shows it).
   */
  holder?: string;
}

/** A nonce handed out by {@link NonceStore.reserve}; pass it back to `confirm` or `release` exactly once. */
export interface NonceReservation extends NonceKey {
  nonce: number;
  /** Opaque id of this reservation (lets an adapter reject a double confirm/release). */
  id: string;
}

/** Hands out nonces per (network, signer): never the same one twice while outstanding, never skipping one. */
export interface NonceStore {
  /** Reserves the lowest released nonce of the key, else the next new one (at least the chain's pending nonce). */
  reserve(request: NonceReserveRequest): Promise<NonceReservation>;
  /** Marks the nonce as used (its signed transaction is in the journal); it is never handed out again. */
  confirm(reservation: NonceReservation): Promise<void>;
  /** Returns an unused nonce; the next {@link NonceStore.reserve} of the key gets it again. */
  release(reservation: NonceReservation): Promise<void>;
}
