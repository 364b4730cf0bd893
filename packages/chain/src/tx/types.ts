/** Types of the transaction lifecycle: steps, options, events, outcomes. */
import type { Interface, JsonRpcApiProvider, Signer } from "ethers";
import type { NonceStore } from "@payrox/core";
import type { Relay } from "@payrox/core";
import type { TxJournal, TxRecord } from "@payrox/core";
import type { FeeOptions } from "./fees.js";

/** One transaction a run needs on one network. */
export interface TxStep {
  /** Unique per network and stable across retries (the journal key): the same id never sends twice. */
  stepId: string;
  to: string;
  data: string;
  /** @default 0n */
  value?: bigint;
  /** Skips `eth_estimateGas` (the simulation still runs). */
  gasLimit?: bigint;
}

/** Options of {@link TxSender} (one network, one signer). */
export interface TxSenderOptions {
  /** Network name from the registry (nonce and journal keys). */
  network: string;
  provider: JsonRpcApiProvider;
  /** Any ethers Signer (a Wallet, the KMS signer); only `getAddress` and `signTransaction` are used. */
  signer: Signer;
  nonceStore: NonceStore;
  journal: TxJournal;
  /** Where signed transactions go. @default a PublicMempoolRelay on `provider` */
  relay?: Relay;
  /** Blocks (including the one holding the transaction) before it counts as final. @default 1 */
  confirmations?: number;
  fees?: FeeOptions;
  /** Added to `eth_estimateGas`, in percent. @default 20 */
  gasMarginPercent?: number;
  /**
   * The network's per-transaction gas limit (the registry's `maxTxGas`; 16,777,216 under EIP-7825): the
   * margin never lifts a gas limit above it, and a call estimated above it is refused unsigned
   * ({@link TxGasLimitExceededError}). @default no limit
   */
  maxTxGas?: bigint;
  /** Fee increase of each replacement, in percent (at least 10). @default 12 */
  bumpPercent?: number;
  /** Replace a transaction still pending this long after its submission, in ms. @default 120_000 */
  replaceAfterMs?: number;
  /** Also replace it once this many blocks passed without it. @default off */
  replaceAfterBlocks?: number;
  /**
   * A journaled transaction still unmined this long after it was first signed — or refused by every relay
   * for this long — can never be included as far as PayRox can tell: its nonce is freed by a no-op
   * (0-value self-transfer, same nonce, bumped fees, public mempool). Both stay watched; whichever lands
   * decides the step. Per network (a chain with 12 s blocks wants longer than one with 2 s). @default 1_800_000
   */
  voidAfterMs?: number;
  /** Delay between two looks at the chain, in ms. @default 1_000 */
  pollIntervalMs?: number;
  /** Give up watching (the journal keeps the record; `resume` continues), in ms. @default 600_000 */
  timeoutMs?: number;
  /** Extra error fragments to decode simulation reverts (e.g. a facet's errors). */
  errorAbi?: readonly string[];
  /** Progress callback; errors it throws are ignored. */
  onEvent?: (event: TxEvent) => void;
}

/** Why a transaction already signed is submitted again. */
export type RebroadcastReason = "dropped" | "expired" | "reorg" | "resume" | "retry";

/** Progress of a step, in order of occurrence. */
export type TxEvent = { stepId: string; network: string } & (
  | { type: "simulated"; gasLimit: bigint }
  | { type: "signed"; hash: string; nonce: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; reason: "initial" | "replacement" }
  | { type: "submitted"; hash: string; relay: string; submissionId: string }
  | { type: "relay-fallback"; hash: string; from: string; to: string; reason: string }
  | { type: "submit-failed"; hash: string; reason: string }
  | { type: "rebroadcast"; hash: string; reason: RebroadcastReason }
  | { type: "replaced"; previousHash: string; hash: string; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; reason: "stuck" | "underpriced" }
  | { type: "fee-cap-reached"; hash: string }
  /** The step's transaction can never be included: a no-op at its nonce (`hash`) replaces it. */
  | { type: "voided"; previousHash: string; hash: string; reason: string }
  /** A lower nonce of the signer, journaled by `blockerStepId` and followed by nobody, is resumed (and voided if it can't land). */
  | { type: "unblocking"; blockerStepId: string; nonce: number }
  | { type: "mined"; hash: string; blockNumber: number; blockHash: string }
  | { type: "reorged"; hash: string; blockNumber: number; blockHash: string }
  | { type: "confirmed"; hash: string; blockNumber: number; confirmations: number; status: "success" | "reverted" }
);

/** A confirmed step. */
export interface TxOutcome {
  stepId: string;
  network: string;
  /** The attempt that landed. */
  hash: string;
  nonce: number;
  blockNumber: number;
  blockHash: string;
  /**
   * `reverted` when the receipt's status is 0 (mined, fees paid, no effect); `voided` when the no-op that
   * replaced a never-includable transaction landed (the step's call did not happen; `voidReason` says why).
   */
  status: "success" | "reverted" | "voided";
  /** Why the step's transaction was voided (status `voided`). */
  voidReason?: string;
  gasUsed: bigint;
  /** Every hash signed for the step, oldest first. */
  attempts: string[];
  /** The final journal record. */
  record: TxRecord;
}

/** What the confirmation loop needs from its sender (resolved options). */
export interface LifecycleContext {
  network: string;
  chainId: number;
  provider: JsonRpcApiProvider;
  signer: Signer;
  journal: TxJournal;
  relay: Relay;
  errors: Interface;
  confirmations: number;
  fees: FeeOptions;
  bumpPercent: number;
  replaceAfterMs: number;
  replaceAfterBlocks: number | undefined;
  voidAfterMs: number;
  /** Where no-op voids go: the network's public mempool (they reveal nothing). */
  publicRelay: Relay;
  pollIntervalMs: number;
  timeoutMs: number;
  emit: (event: TxEvent) => void;
}
