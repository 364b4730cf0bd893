/**
 * The chain side of the scheduler's use cases: what a step reads from and sends to one network's
 * ManifestDispatcher. Implemented in packages/chain (TxSender + a signer); core never imports ethers
 * clients or SDKs.
 */
import type { ApplyBatch } from "../manifest/merkle.js";

/** The dispatcher's lifecycle state on one network (from its views, at one block). */
export interface DispatcherState {
  activeEpoch: bigint;
  /** Zero hash at epoch 0. */
  activeRoot: string;
  /** Zero hash when nothing is pending. */
  pendingRoot: string;
  /** Unix seconds; 0 when nothing is pending. */
  pendingEta: number;
  applied: number;
  leafCount: number;
  paused: boolean;
}

/** One lifecycle call. */
export type DispatcherCall =
  | { kind: "commit"; root: string; epoch: bigint; leafCount: number }
  | { kind: "apply"; batch: Pick<ApplyBatch, "facets" | "leaves" | "proof" | "proofFlags"> }
  | { kind: "activate" }
  | { kind: "cancel" };

/** A confirmed transaction. */
export interface SentTransaction {
  hash: string;
  blockNumber: number;
  /** Unix seconds of the block that holds it. */
  blockTimestamp: number;
  gasUsed: bigint;
}

/**
 * What came of a send: confirmed, or refused by the dispatcher (simulation or receipt) with its
 * decoded custom error, e.g. `ActivationNotReady(eta, now)`, `CodehashMismatch(facet, expected, actual)`,
 * `AccessControlUnauthorizedAccount(account, role)`.
 */
export type SendResult = { ok: true; tx: SentTransaction } | { ok: false; revert: { name: string; args: unknown[] } };

/** Access to the dispatchers of every configured network. */
export interface DispatcherGateway {
  readState(network: string): Promise<DispatcherState>;
  /** Latest block number and timestamp (unix seconds): the activation hold waits on it. */
  latestBlock(network: string): Promise<{ number: number; timestamp: number }>;
  /**
   * Sends `call` as the step `stepId`. Idempotent by `stepId` (write-ahead journal): a repeated or
   * resumed call returns the same transaction, never a second one.
   */
  send(network: string, stepId: string, call: DispatcherCall): Promise<SendResult>;
}
