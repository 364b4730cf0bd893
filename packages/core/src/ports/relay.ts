/**
 * Port: transaction relays — Flashbots-style bundle relays, private RPC ("protect") endpoints and the
 * public mempool — and the per-network policy that picks between them. Interfaces only; adapters live
 * in `@payrox/chain`.
 */

/** What kind of route a relay gives a transaction. */
export const RelayKind = {
  /** A bundle relay (`eth_callBundle` / `eth_sendBundle`, `X-Flashbots-Signature`). */
  FLASHBOTS: "flashbots",
  /** A private RPC endpoint that accepts `eth_sendRawTransaction` without exposing it to the mempool. */
  PRIVATE_RPC: "private-rpc",
  /** The network's public mempool through its ordinary RPC. */
  PUBLIC: "public",
} as const;
/** One of {@link RelayKind}. */
export type RelayKind = (typeof RelayKind)[keyof typeof RelayKind];

/** Input of {@link Relay.submit}. */
export interface RelaySubmitRequest {
  network: string;
  /** Signed raw transactions, in order (a bundle relay lands all of them in one block or none). */
  signedTransactions: readonly string[];
  /** First block to target. Default: the next block. */
  targetBlock?: number;
  /** Last block to target (bundle relays re-target each block up to it). Default: the adapter's. */
  deadlineBlock?: number;
}

/** A relay that refused was skipped for another one: recorded, never silent. */
export interface RelayFallback {
  /** Name of the relay that refused. */
  from: string;
  /** Name of the relay used instead. */
  to: string;
  reason: string;
}

/** Handle of one submission; plain data, so it can be logged or journaled. */
export interface RelaySubmission {
  /** Name of the relay that accepted it. */
  relay: string;
  kind: RelayKind;
  network: string;
  /** Bundle hash for bundle relays, else the (first) transaction hash. */
  id: string;
  txHashes: string[];
  /** Block number when submitted. */
  submittedAtBlock: number;
  targetBlock?: number;
  deadlineBlock?: number;
  /** Fallbacks taken before a relay accepted (empty or absent when the preferred relay accepted). */
  fallbacks?: RelayFallback[];
}

/** Where a submission stands. */
export const RelayState = {
  /** Not included yet and still alive at the relay / in the mempool. */
  PENDING: "PENDING",
  /** Every transaction of the submission has a receipt. */
  INCLUDED: "INCLUDED",
  /** The relay / mempool no longer knows it: resubmit the same bytes. */
  DROPPED: "DROPPED",
  /** Its target block range passed without inclusion: resubmit (the same bytes, or a replacement). */
  EXPIRED: "EXPIRED",
} as const;
/** One of {@link RelayState}. */
export type RelayState = (typeof RelayState)[keyof typeof RelayState];

/** Result of {@link Relay.status}. */
export interface RelayStatus {
  state: RelayState;
  /** Block of inclusion, when INCLUDED. */
  blockNumber?: number;
  detail?: string;
}

/** Submits signed transactions; never signs anything itself. */
export interface Relay {
  /** Unique, human-readable name (appears in fallbacks and the journal). */
  readonly name: string;
  readonly kind: RelayKind;
  /** Submits the transactions; throws a typed error when refused (nothing was accepted then). */
  submit(request: RelaySubmitRequest): Promise<RelaySubmission>;
  /**
   * Reports progress of a submission. Call about once per block: bundle relays use the call to send the
   * bundle again for the next block while the deadline allows.
   */
  status(submission: RelaySubmission): Promise<RelayStatus>;
}

/** Per-network relay policy (from the network registry). */
export interface RelayPolicy {
  network: string;
  /** Relay kinds to try, most preferred first. */
  preferred: readonly RelayKind[];
  /**
   * Whether the public mempool may be used when every preferred relay refuses. Such a fallback is
   * reported (result + event); when false, a refusal is a typed error and nothing is sent.
   */
  allowPublicFallback: boolean;
}
