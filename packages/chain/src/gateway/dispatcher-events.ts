/**
 * {@link DispatcherEventSource} over ethers v6: the dispatcher's logs in bounded block ranges
 * (`eth_getLogs` on its address), decoded against the router's and admin facet's events, each with the
 * sender of its transaction, so the watchdog can tell PayRox's own transactions from everyone else's.
 */
import { getAddress, Interface, type JsonRpcApiProvider, type Log } from "ethers";
import { LogRangeRefusedError, type BlockRef, type DispatcherEvent, type DispatcherEventSource } from "@payrox/core";
import { LogRangeError, UnknownNetworkError } from "./errors.js";
import { logRangeRefusal } from "./log-range-refusal.js";

/** Every event the ManifestDispatcher and its admin facet (AccessControlDefaultAdminRules) emit. */
export const DISPATCHER_EVENT_ABI = [
  "event RootCommitted(bytes32 indexed root, uint64 epoch, uint64 eta, uint32 leafCount)",
  "event RoutesApplied(bytes32 indexed root, uint256 count)",
  "event RootActivated(bytes32 indexed root, uint64 epoch)",
  "event CancelStarted(bytes32 indexed root, uint64 epoch)",
  "event RoutesUnstaged(bytes32 indexed root, uint64 epoch, uint256 count, uint256 remaining)",
  "event RootCancelled(bytes32 indexed root, uint64 epoch)",
  "event SelectorDisabled(bytes4 indexed selector, address facet)",
  "event SelectorsPruned(uint256 count)",
  "event ActivationDelaySet(uint64 previousDelay, uint64 newDelay)",
  "event ActivationDelayChangeScheduled(uint64 newDelay, uint64 effectSchedule)",
  "event ActivationDelayChangeCanceled()",
  "event Paused(address account)",
  "event Unpaused(address account)",
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)",
  "event DefaultAdminTransferScheduled(address indexed newAdmin, uint48 acceptSchedule)",
  "event DefaultAdminTransferCanceled()",
  "event DefaultAdminDelayChangeScheduled(uint48 newDelay, uint48 effectSchedule)",
  "event DefaultAdminDelayChangeCanceled()",
  "event Initialized(uint64 version)",
] as const;

const events = new Interface(DISPATCHER_EVENT_ABI);

/** One network the reader watches. */
export interface WatchedDispatcher {
  provider: JsonRpcApiProvider;
  dispatcher: string;
  /** PayRox's sending addresses on this network (its KMS signers), or how to get them. */
  senders: readonly string[] | (() => Promise<readonly string[]>);
}

/** Options of {@link DispatcherEventReader}. */
export interface DispatcherEventReaderOptions {
  networks: Readonly<Record<string, WatchedDispatcher>>;
  /**
   * Most blocks one `getLogs` may span; a wider request is refused (LogRangeRefusedError) without asking
   * the RPC, whose own cap is often 1,000–10,000 and is recognised from its error. @default 1_000
   */
  maxBlockRange?: number;
}

/** Reads dispatcher events network by network. */
export class DispatcherEventReader implements DispatcherEventSource {
  readonly #networks: Readonly<Record<string, WatchedDispatcher>>;
  readonly #maxBlockRange: number;

  constructor(options: DispatcherEventReaderOptions) {
    this.#networks = options.networks;
    this.#maxBlockRange = options.maxBlockRange ?? 1_000;
  }

  /** The configured networks. */
  networks(): string[] {
    return Object.keys(this.#networks);
  }

  /** PayRox's senders on `network`, checksummed. @throws UnknownNetworkError */
  async ownSenders(network: string): Promise<string[]> {
    const { senders } = this.#target(network);
    return (typeof senders === "function" ? await senders() : senders).map((a) => getAddress(a));
  }

  /** The latest block. @throws UnknownNetworkError */
  async head(network: string): Promise<BlockRef> {
    const block = await this.#target(network).provider.getBlock("latest");
    if (!block?.hash) throw new Error(`network ${network} returned no latest block; retry`);
    return { number: block.number, hash: block.hash };
  }

  /** The canonical hash of block `blockNumber`, or undefined past the head. */
  async blockHash(network: string, blockNumber: number): Promise<string | undefined> {
    const block = await this.#target(network).provider.getBlock(blockNumber);
    return block?.hash ?? undefined;
  }

  /**
   * The dispatcher's events in `[fromBlock, toBlock]`, chain order, each with its transaction's sender.
   * @throws LogRangeRefusedError (core) when the range is wider than this reader's bound or the RPC refuses
   *   it as too large (block-range or result-count cap): split it; LogRangeError for an empty or negative
   *   range; UnknownNetworkError
   */
  async getLogs(network: string, fromBlock: number, toBlock: number): Promise<DispatcherEvent[]> {
    if (!Number.isSafeInteger(fromBlock) || !Number.isSafeInteger(toBlock) || fromBlock < 0 || toBlock < fromBlock) {
      throw new LogRangeError(network, fromBlock, toBlock, this.#maxBlockRange);
    }
    if (toBlock - fromBlock + 1 > this.#maxBlockRange) throw new LogRangeRefusedError(network, fromBlock, toBlock, `over the reader's bound of ${this.#maxBlockRange} blocks`);
    const { provider, dispatcher } = this.#target(network);
    let logs: Log[];
    try {
      logs = await provider.getLogs({ address: dispatcher, fromBlock, toBlock });
    } catch (error) {
      const refusal = logRangeRefusal(error);
      if (refusal) throw new LogRangeRefusedError(network, fromBlock, toBlock, refusal, { cause: error });
      throw error;
    }
    const senders = new Map<string, string>();
    for (const hash of new Set(logs.map((l) => l.transactionHash))) {
      // The receipt names the sender too, and (with several RPC URLs) is read under the quorum, where an
      // endpoint that "doesn't know" the transaction is outvoted rather than stalling the watcher.
      const receipt = await provider.getTransactionReceipt(hash);
      if (!receipt) throw new Error(`the receipt of transaction ${hash} of a log on ${network} is not available; retry`);
      senders.set(hash, getAddress(receipt.from));
    }
    return logs.map((log) => decode(network, log, senders.get(log.transactionHash)!));
  }

  #target(network: string): WatchedDispatcher {
    const target = this.#networks[network];
    if (!target) throw new UnknownNetworkError(network, Object.keys(this.#networks));
    return target;
  }
}

function decode(network: string, log: Log, from: string): DispatcherEvent {
  const parsed = events.parseLog({ topics: [...log.topics], data: log.data });
  const args: Record<string, string> = {};
  parsed?.fragment.inputs.forEach((input, i) => (args[input.name] = String(parsed.args[i])));
  return { network, name: parsed?.name ?? "unknown", args, txHash: log.transactionHash, from, blockNumber: log.blockNumber, blockHash: log.blockHash, logIndex: log.index };
}
