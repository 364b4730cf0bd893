/**
 * The chain side of the scheduler's use cases: what a step reads from and sends to one network's
 * ManifestDispatcher. Implemented in packages/chain (TxSender + a signer); core never imports ethers
 * clients or SDKs.
 */
import type { ListedSelector } from "../manifest/prune.js";
import type { ApplyBatch, FacetPin, Initializer } from "../manifest/merkle.js";

/** The dispatcher's lifecycle state on one network (from its views, at one block). */
export interface DispatcherState {
  activeEpoch: bigint;
  /** Zero hash at epoch 0. */
  activeRoot: string;
  /** Zero hash when nothing is pending. */
  pendingRoot: string;
  /** The pending root's epoch; 0 when nothing is pending. */
  pendingEpoch: bigint;
  /** Unix seconds; 0 when nothing is pending. */
  pendingEta: number;
  applied: number;
  leafCount: number;
  paused: boolean;
  /** The epoch the next commit must name (every commit takes one, cancelled or not). */
  nextEpoch: bigint;
  /** A chunked cancel of the pending root is in progress (commit, apply and activate are refused). */
  cancelling: boolean;
  /** Seconds after its ETA a pending root can still be activated. */
  expiryWindowSeconds: number;
  /** The timelock now in force (`activationDelay()`): a commit's ETA is its block time plus this. */
  activationDelaySeconds: number;
}

/** One lifecycle call. */
export type DispatcherCall =
  /** `commitRoot(root, epoch, leafCount, binding, headerProof)`; `epoch` is the dispatcher's `nextEpoch()`. */
  | { kind: "commit"; root: string; epoch: bigint; leafCount: number; binding: string; headerProof: readonly string[] }
  /** `applyRoutes(facets, initHash, leaves, proof, proofFlags)`: the manifest's whole facet list and initializer hash, as bound. */
  | { kind: "apply"; batch: Pick<ApplyBatch, "facets" | "initHash" | "leaves" | "proof" | "proofFlags"> }
  /** `activateCommittedRoot(facets, init)`: the manifest's facet list and initializer, as bound at commit. */
  | { kind: "activate"; facets: readonly FacetPin[]; init: Initializer }
  /** One chunk of `cancelCommittedRoot(root, epoch, maxUnstage)`: names the pending root it cancels. */
  | { kind: "cancel"; root: string; epoch: bigint; maxUnstage: number }
  /** `pruneSelectors(predecessors)`: unlinks dead selectors from the loupe's list (see `planPrune`). */
  | { kind: "prune"; predecessors: readonly string[] };

/** A confirmed transaction. */
export interface SentTransaction {
  hash: string;
  blockNumber: number;
  /** Unix seconds of the block that holds it. */
  blockTimestamp: number;
  gasUsed: bigint;
  /**
   * A no-op was signed at this transaction's nonce to free it (it looked never includable), but this
   * transaction landed first and decided the step: the no-op's hash and why it was signed.
   */
  supersededVoid?: { hash: string; reason: string };
}

/**
 * What came of a send: confirmed, or refused by the dispatcher (simulation or receipt) with its
 * decoded custom error, e.g. `ActivationNotReady(eta, now)`, `CodehashMismatch(facet, expected, actual)`,
 * `AccessControlUnauthorizedAccount(account, role)`.
 */
export type SendResult = { ok: true; tx: SentTransaction } | { ok: false; revert: { name: string; args: unknown[] } };

/**
 * The revert name of a send whose transaction could never be included and was voided: a no-op at its
 * nonce landed instead. Args: `[voidHash, reason, blockNumber]`.
 */
export const TX_VOIDED = "TxVoided";

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
  /**
   * Follows the transaction journaled as `stepId` to its end, sending nothing new; undefined when nothing
   * was ever journaled under it. How a step tells its own earlier transaction from the chain merely
   * looking like it (e.g. the same root pending under another proposal).
   */
  resume(network: string, stepId: string): Promise<SendResult | undefined>;
  /**
   * The dispatcher's raw selector list (`listedSelectors` pages, read at one block), for pruning dead
   * entries after an activation. Optional: a gateway without it never prunes.
   */
  listSelectors?(network: string): Promise<ListedSelector[]>;
  /**
   * EXTCODEHASH of the code at `address` on `network`, undefined when it has no code. Optional: a gateway
   * without it skips `proposeUpgrade`'s facet code check.
   */
  codeHash?(network: string, address: string): Promise<string | undefined>;
  /**
   * The dispatcher's live routing (loupe `facets()`), lifecycle state and timing, and the code hash of
   * every live facet and of each of `facets`, all read at one block (the latest). Optional: a gateway
   * without it can't review a proposal.
   */
  readRouting?(network: string, facets: readonly string[]): Promise<RoutingSnapshot>;
  /**
   * `eth_feeHistory` over the `blocks` blocks up to `newestBlock` with the priority fee `percentiles`.
   * Optional: without it a review gives no cost estimate.
   */
  feeHistory?(network: string, query: FeeHistoryQuery): Promise<FeeHistory>;
}

/** The block a read was made at: number, hash and time. */
export interface ReadBlock {
  number: number;
  hash: string;
  /** Unix seconds. */
  timestamp: number;
}

/** What {@link DispatcherGateway.readRouting} read, every value at `block`. */
export interface RoutingSnapshot {
  block: ReadBlock;
  state: DispatcherState;
  /** The dispatcher's `activationDelay()` in seconds: a commit's ETA is its block time plus this. */
  activationDelaySeconds: number;
  /** selector (lowercase) → facet (checksummed), live routes only (the loupe's view). */
  routes: ReadonlyMap<string, string>;
  /** facet (lowercase) → EXTCODEHASH (lowercase), or null when the address has no code. */
  codeHashes: ReadonlyMap<string, string | null>;
}

/** Arguments of `eth_feeHistory`. */
export interface FeeHistoryQuery {
  /** How many blocks, ending at `newestBlock`. */
  blocks: number;
  newestBlock: number;
  /** Priority fee percentiles (0–100, ascending). */
  percentiles: readonly number[];
}

/** `eth_feeHistory`'s answer, as integers (wei). */
export interface FeeHistory {
  oldestBlock: number;
  /** One per block plus one: the last is the base fee of the block after `newestBlock`. */
  baseFeePerGas: readonly bigint[];
  /** Per block, the priority fee at each requested percentile (empty blocks give zeros). */
  reward: readonly (readonly bigint[])[];
  /** Per block, gas used / gas limit. */
  gasUsedRatio: readonly number[];
}
