/**
 * Port: the write-ahead journal of transactions. A step's signed raw transaction and its hash are written
 * here BEFORE they are broadcast, so after a crash the step re-broadcasts the same bytes or finds their
 * receipt, and never signs a second nonce. Interfaces only; adapters: in memory (`@payrox/chain`),
 * DynamoDB (`@payrox/aws`).
 */

/** Where a journaled transaction stands. */
export const TxRecordStatus = {
  /** Signed and written; maybe not broadcast yet (a crash here is resumed by broadcasting the same bytes). */
  SIGNED: "SIGNED",
  /** Handed to a relay or the public mempool at least once. */
  SUBMITTED: "SUBMITTED",
  /** In a block, fewer confirmations than the network requires. */
  MINED: "MINED",
  /** In a block with the network's confirmations; final. */
  CONFIRMED: "CONFIRMED",
} as const;
/** One of {@link TxRecordStatus}. */
export type TxRecordStatus = (typeof TxRecordStatus)[keyof typeof TxRecordStatus];

/** One signed version of a step's transaction. Replacements keep the nonce, so they are attempts of one record. */
export interface TxAttempt {
  /** keccak256 of `raw`. */
  hash: string;
  /** The signed, serialized EIP-1559 transaction. */
  raw: string;
  /** Decimal wei strings (JSON- and DynamoDB-safe). */
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  /**
   * Why this attempt was signed. `void`: a 0-value self-transfer at the same nonce that frees a nonce
   * whose transaction can never be included (it carries nothing of the step; if it lands, the step did not).
   */
  reason: "initial" | "replacement" | "void";
  /** For a `void` attempt: why the step's transaction was judged never includable. */
  voidReason?: string;
  /** ISO-8601 time of signing. */
  signedAt: string;
}

/** Where the transaction was last submitted, and whether that was a fallback (never silent). */
export interface TxSubmissionNote {
  relay: string;
  /** The relay that was preferred but refused, when this submission is a fallback. */
  fallbackFrom?: string;
  fallbackReason?: string;
  at: string;
}

/** The block a journaled transaction was seen in. */
export interface TxInclusion {
  hash: string;
  blockNumber: number;
  blockHash: string;
  /** Receipt status: 1 success, 0 reverted. */
  status: number;
  gasUsed: string;
}

/** The journal entry of one step (one nonce, one or more signed attempts). */
export interface TxRecord {
  /** Caller-chosen id of the step, unique per network (e.g. `"<proposal>/<network>/apply/3"`). */
  stepId: string;
  network: string;
  chainId: number;
  /** Signer address (checksummed). */
  from: string;
  nonce: number;
  /** Append-only: every hash ever signed for this step, oldest first; the last one is current. */
  attempts: TxAttempt[];
  status: TxRecordStatus;
  /** Set while MINED or CONFIRMED; cleared when a reorg removes the block. */
  inclusion?: TxInclusion;
  lastSubmission?: TxSubmissionNote;
  /** How many times a reorg removed this step's transaction from the chain. */
  reorgs: number;
  /** Optimistic-concurrency version: 1 for the first write, +1 per update. */
  version: number;
  /** ISO-8601 time of the last write. */
  updatedAt: string;
}

/** Result of {@link TxJournal.put}: a conditional write either succeeds or returns the record that won. */
export type TxJournalPutResult = { ok: true } | { ok: false; existing: TxRecord };

/** Stores {@link TxRecord}s with conditional writes. */
export interface TxJournal {
  /** The record of a step, or `undefined` if none was ever written. */
  get(stepId: string): Promise<TxRecord | undefined>;
  /**
   * Writes `record` only if the stored version is `record.version - 1` (version 1: only if absent);
   * otherwise returns the stored record unchanged. Throws only when the outcome is unknown (I/O failure).
   */
  put(record: TxRecord): Promise<TxJournalPutResult>;
  /** The step id journaled with `from`'s transaction at `nonce` on `network`, if any (the nonce store's reclaim check). */
  findByNonce?(network: string, from: string, nonce: number): Promise<string | undefined>;
}
