/**
 * {@link DispatcherGateway} over ethers and the transaction lifecycle: reads the dispatcher's lifecycle
 * views at one block, and sends commit / apply / activate / cancel through a {@link TxSender} per network,
 * so every send is journaled first and idempotent by step id.
 */
import { Contract, getAddress, Interface, isError, keccak256, toQuantity, type JsonRpcApiProvider } from "ethers";
import type { DispatcherCall, FeeHistory, FeeHistoryQuery, ListedSelector, DispatcherGateway, DispatcherState, RoutingSnapshot, SendResult } from "@payrox/core";
import { TX_VOIDED } from "@payrox/core";
import { NothingToResumeError, SimulationRevertedError, TxGasLimitExceededError } from "../errors.js";
import { DispatcherReadError } from "../dispatcher/errors.js";
import { TxSender } from "../tx/tx-sender.js";
import type { TxOutcome, TxSenderOptions } from "../tx/types.js";
import { UnknownNetworkError } from "./errors.js";

/** The admin-facet views {@link JournaledDispatcherGateway.readState} calls (human-readable ABI, ethers v6). */
export const DISPATCHER_STATE_ABI = [
  "function activeEpoch() view returns (uint64)",
  "function activeRoot() view returns (bytes32)",
  "function pendingManifest() view returns (bytes32 root, uint64 epoch, uint64 eta, uint32 applied, uint32 leafCount, bytes32 binding, bool cancelling)",
  "function nextEpoch() view returns (uint64)",
  "function expiryWindow() view returns (uint64)",
  "function activationDelay() view returns (uint64)",
  "function paused() view returns (bool)",
  "function listedSelectors(bytes4 cursor, uint256 limit) view returns (bytes4[] selectors, bool[] dead, bytes4 next)",
  "function activationDelay() view returns (uint64)",
  "function facets() view returns (tuple(address facetAddress, bytes4[] functionSelectors)[])",
] as const;

/** The lifecycle functions {@link encodeDispatcherCall} encodes (signatures of IManifestDispatcher v2 and its admin facet). */
export const DISPATCHER_LIFECYCLE_ABI = [
  "function commitRoot(bytes32 root, uint64 epoch, uint32 leafCount, bytes32 binding, bytes32[] headerProof)",
  "function applyRoutes((address facet, bytes32 codehash)[] facets, bytes32 initHash, bytes leaves, bytes32[] proof, bytes proofFlags)",
  "function activateCommittedRoot((address facet, bytes32 codehash)[] facets, (address facet, bytes32 codehash, bytes data) init)",
  "function cancelCommittedRoot(bytes32 root, uint64 epoch, uint32 maxUnstage)",
  "function pruneSelectors(bytes4[] predecessors)",
] as const;

const lifecycle = new Interface(DISPATCHER_LIFECYCLE_ABI);
/** Selectors per `listedSelectors` call. */
const LIST_PAGE = 500;
/** `eth_getCode` calls in flight at once while reading facets' code hashes. */
const CODE_READS_IN_FLIGHT = 16;

/** How to reach one network's dispatcher and send to it. */
export type DispatcherNetwork = {
  /** Reads go through it; a sender built from options sends through it too. */
  provider: JsonRpcApiProvider;
  /** Address of the ManifestDispatcher. */
  dispatcher: string;
} & (
  | {
      /** A ready sender for this network (it must use the same provider's chain). */
      sender: TxSender;
      signer?: never;
      nonceStore?: never;
      journal?: never;
    }
  | ({ sender?: never } & Omit<TxSenderOptions, "network" | "provider">)
);

/** Options of {@link JournaledDispatcherGateway}. */
export interface JournaledDispatcherGatewayOptions {
  /** Network name (as the run names it) → its dispatcher. */
  networks: Readonly<Record<string, DispatcherNetwork>>;
}

interface Target {
  provider: JsonRpcApiProvider;
  dispatcher: string;
  sender: TxSender;
  views: Contract;
}

/**
 * The {@link DispatcherGateway} of PayRox's runs: one {@link TxSender} (write-ahead journal, nonce store,
 * relay) per network.
 *
 * A send resolves `{ ok: true }` once confirmed, `{ ok: false }` when the dispatcher refuses the call
 * (decoded custom error at simulation, or a mined transaction that reverted: `Reverted(hash)`), and
 * `{ ok: false }` with `TxGasLimitExceeded(estimate, maxTxGas)` for a call over the network's per-transaction
 * gas limit (when the network is configured with `maxTxGas`), and
 * throws for everything a retry can fix (RPC down, signer or journal failures, confirmation timeout).
 *
 * @example
 * const gateway = new JournaledDispatcherGateway({
 *   networks: { ethereum: { provider, dispatcher, signer, nonceStore, journal, confirmations: 3 } },
 * });
 * const result = await gateway.send("ethereum", "run-7/ethereum/activate", { kind: "activate", ...activateArgs(tree) });
 */
export class JournaledDispatcherGateway implements DispatcherGateway {
  readonly #targets = new Map<string, Target>();

  constructor(options: JournaledDispatcherGatewayOptions) {
    for (const [network, config] of Object.entries(options.networks)) {
      const dispatcher = getAddress(config.dispatcher);
      const { provider, sender, dispatcher: _configured, ...senderOptions } = config;
      this.#targets.set(network, {
        provider,
        dispatcher,
        sender: sender ?? new TxSender({ ...(senderOptions as Omit<TxSenderOptions, "network" | "provider">), network, provider }),
        views: new Contract(dispatcher, DISPATCHER_STATE_ABI, provider),
      });
    }
  }

  /**
   * The dispatcher's lifecycle state, every view read at the same (latest) block.
   * @throws UnknownNetworkError; DispatcherReadError when the address does not answer like a dispatcher.
   */
  async readState(network: string): Promise<DispatcherState> {
    const target = this.#target(network);
    return this.#stateAt(target, await target.provider.getBlockNumber());
  }

  async #stateAt({ provider, dispatcher, views }: Target, blockTag: number): Promise<DispatcherState> {
    try {
      const [activeEpoch, activeRoot, pending, nextEpoch, expiryWindow, activationDelay, paused] = await Promise.all([
        views.activeEpoch({ blockTag }),
        views.activeRoot({ blockTag }),
        views.pendingManifest({ blockTag }),
        views.nextEpoch({ blockTag }),
        views.expiryWindow({ blockTag }),
        views.activationDelay({ blockTag }),
        views.paused({ blockTag }),
      ]);
      return {
        activeEpoch: BigInt(activeEpoch),
        activeRoot: String(activeRoot).toLowerCase(),
        pendingRoot: String(pending.root).toLowerCase(),
        pendingEpoch: BigInt(pending.epoch),
        pendingEta: Number(pending.eta),
        applied: Number(pending.applied),
        leafCount: Number(pending.leafCount),
        paused: Boolean(paused),
        nextEpoch: BigInt(nextEpoch),
        cancelling: Boolean(pending.cancelling),
        expiryWindowSeconds: Number(expiryWindow),
        activationDelaySeconds: Number(activationDelay),
      };
    } catch (error) {
      // A revert or undecodable answer means the address holds no dispatcher; RPC failures propagate.
      if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) {
        const code = await provider.getCode(dispatcher, blockTag);
        throw new DispatcherReadError(dispatcher, code === "0x" ? "no-code" : "not-a-dispatcher", { cause: error });
      }
      throw error;
    }
  }

  /** Number and timestamp (unix seconds) of the network's latest block. @throws UnknownNetworkError */
  async latestBlock(network: string): Promise<{ number: number; timestamp: number }> {
    const block = await this.#target(network).provider.getBlock("latest");
    if (!block) throw new Error(`network ${network} returned no latest block; retry`);
    return { number: block.number, timestamp: block.timestamp };
  }

  /**
   * Sends `call` as step `stepId`; a step already in the journal is resumed (TxSender checks the journal
   * before simulating), so a retry returns the same transaction and never signs a second one.
   * @throws UnknownNetworkError; StepConflictError when `stepId` is journaled with other calldata; any
   * transient failure (RPC, signer, journal, confirmation timeout), after which the step can be retried.
   */
  async send(network: string, stepId: string, call: DispatcherCall): Promise<SendResult> {
    const { dispatcher, sender } = this.#target(network);
    let outcome: TxOutcome;
    try {
      outcome = await sender.send({ stepId, to: dispatcher, data: encodeDispatcherCall(call) });
    } catch (error) {
      if (error instanceof SimulationRevertedError && error.errorName !== undefined) {
        return { ok: false, revert: { name: error.errorName, args: positionalArgs(error.args) } };
      }
      // A call that can never fit the network's per-transaction limit is a refusal, not a retryable failure.
      if (error instanceof TxGasLimitExceededError) return { ok: false, revert: { name: "TxGasLimitExceeded", args: [error.estimatedGas, error.maxTxGas] } };
      throw error;
    }
    return this.#result(network, stepId, outcome);
  }

  /**
   * Follows the transaction journaled as `stepId` (re-broadcasting or replacing it as a send would), never
   * signing a new call; undefined when nothing was journaled under `stepId`.
   * @throws UnknownNetworkError; transient failures, as {@link send}.
   */
  async resume(network: string, stepId: string): Promise<SendResult | undefined> {
    const { sender } = this.#target(network);
    let outcome: TxOutcome;
    try {
      outcome = await sender.resume(stepId);
    } catch (error) {
      if (error instanceof NothingToResumeError) return undefined;
      throw error;
    }
    return this.#result(network, stepId, outcome);
  }

  async #result(network: string, stepId: string, outcome: TxOutcome): Promise<SendResult> {
    if (outcome.status === "reverted") return { ok: false, revert: { name: "Reverted", args: [outcome.hash] } };
    // The step's transaction could never land; the no-op that freed its nonce did.
    if (outcome.status === "voided") return { ok: false, revert: { name: TX_VOIDED, args: [outcome.hash, outcome.voidReason ?? "never includable", outcome.blockNumber] } };
    const block = await this.#target(network).provider.getBlock(outcome.blockHash);
    if (!block) throw new Error(`block ${outcome.blockHash} of step ${stepId} is not available on ${network}; retry (the step resumes)`);
    const voidAttempt = outcome.record.attempts.find((a) => a.reason === "void");
    const supersededVoid = voidAttempt && { hash: voidAttempt.hash, reason: voidAttempt.voidReason ?? "never includable" };
    return { ok: true, tx: { hash: outcome.hash, blockNumber: outcome.blockNumber, blockTimestamp: block.timestamp, gasUsed: outcome.gasUsed, ...(supersededVoid && { supersededVoid }) } };
  }

  /**
   * The dispatcher's raw selector list with each entry's dead flag, paged through `listedSelectors` at one
   * block. @throws UnknownNetworkError; RPC failures propagate.
   */
  async listSelectors(network: string): Promise<ListedSelector[]> {
    const { provider, views } = this.#target(network);
    const blockTag = await provider.getBlockNumber();
    const list: ListedSelector[] = [];
    let cursor = "0x00000000";
    do {
      const [selectors, dead, next] = await views.listedSelectors(cursor, LIST_PAGE, { blockTag });
      (selectors as string[]).forEach((selector, i) => list.push({ selector: selector.toLowerCase(), dead: Boolean((dead as boolean[])[i]) }));
      cursor = String(next);
    } while (cursor !== "0x00000000");
    return list;
  }

  /**
   * EXTCODEHASH of the code at `address` (keccak256 of its runtime code), undefined when it has none;
   * `proposeUpgrade` refuses a facet whose code is missing or differs. @throws UnknownNetworkError
   */
  async codeHash(network: string, address: string): Promise<string | undefined> {
    const code = await this.#target(network).provider.getCode(address);
    return code === "0x" ? undefined : keccak256(code);
  }

  /**
   * Live routing (loupe `facets()`), lifecycle state, activation delay, and the code hash of every live
   * facet and of each of `facets`, all read at the latest block (fixed first, by number).
   * @throws UnknownNetworkError; DispatcherReadError when the address does not answer like a dispatcher.
   */
  async readRouting(network: string, facets: readonly string[]): Promise<RoutingSnapshot> {
    const target = this.#target(network);
    const latest = await target.provider.getBlock("latest");
    if (!latest?.hash) throw new Error(`network ${network} returned no latest block; retry`);
    const blockTag = latest.number;
    const state = await this.#stateAt(target, blockTag);
    // The state (read at the same block) carries the activation delay.
    const listed = await target.views.getFunction("facets")({ blockTag });
    const routes = new Map<string, string>();
    for (const [facet, selectors] of listed as [string, string[]][]) for (const selector of selectors) routes.set(selector.toLowerCase(), getAddress(facet));
    const addresses = [...new Set([...routes.values(), ...facets].map((a) => a.toLowerCase()))];
    const codeHashes = new Map<string, string | null>();
    for (let i = 0; i < addresses.length; i += CODE_READS_IN_FLIGHT) {
      const chunk = addresses.slice(i, i + CODE_READS_IN_FLIGHT);
      const codes = await Promise.all(chunk.map((address) => target.provider.getCode(address, blockTag)));
      chunk.forEach((address, j) => codeHashes.set(address, codes[j] === "0x" ? null : keccak256(codes[j]!)));
    }
    return { block: { number: latest.number, hash: latest.hash, timestamp: latest.timestamp }, state, activationDelaySeconds: state.activationDelaySeconds, routes, codeHashes };
  }

  /** `eth_feeHistory(blocks, newestBlock, percentiles)`, quantities decoded. @throws UnknownNetworkError; RPC failures propagate. */
  async feeHistory(network: string, query: FeeHistoryQuery): Promise<FeeHistory> {
    const raw = (await this.#target(network).provider.send("eth_feeHistory", [toQuantity(query.blocks), toQuantity(query.newestBlock), [...query.percentiles]])) as {
      oldestBlock: string;
      baseFeePerGas?: string[];
      reward?: string[][];
      gasUsedRatio?: number[];
    };
    return {
      oldestBlock: Number(raw.oldestBlock),
      // A chain without EIP-1559 answers without base fees: price at zero base fee then.
      baseFeePerGas: (raw.baseFeePerGas ?? ["0x0"]).map((v) => BigInt(v)),
      reward: (raw.reward ?? []).map((rewards) => rewards.map((v) => BigInt(v))),
      gasUsedRatio: raw.gasUsedRatio ?? [],
    };
  }

  #target(network: string): Target {
    const target = this.#targets.get(network);
    if (!target) throw new UnknownNetworkError(network, [...this.#targets.keys()]);
    return target;
  }
}

/** Calldata of one lifecycle call to the dispatcher. */
export function encodeDispatcherCall(call: DispatcherCall): string {
  switch (call.kind) {
    case "commit":
      return lifecycle.encodeFunctionData("commitRoot", [call.root, call.epoch, call.leafCount, call.binding, [...call.headerProof]]);
    case "apply": {
      const { facets, initHash, leaves, proof, proofFlags } = call.batch;
      return lifecycle.encodeFunctionData("applyRoutes", [facets.map((f) => [f.facet, f.codehash]), initHash, leaves, proof, proofFlags]);
    }
    case "activate":
      return lifecycle.encodeFunctionData("activateCommittedRoot", [call.facets.map((f) => [f.facet, f.codehash]), [call.init.facet, call.init.codehash, call.init.data]]);
    case "cancel":
      return lifecycle.encodeFunctionData("cancelCommittedRoot", [call.root, call.epoch, call.maxUnstage]);
    case "prune":
      return lifecycle.encodeFunctionData("pruneSelectors", [[...call.predecessors]]);
  }
}

/** The decoded error's arguments in declaration order, as plain values (ethers Results become arrays). */
function positionalArgs(args: Record<string, unknown>): unknown[] {
  return Object.keys(args)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => toPlain(args[key]));
}

function toPlain(value: unknown): unknown {
  if (value && typeof value === "object" && "toArray" in value && typeof value.toArray === "function") {
    return (value.toArray() as unknown[]).map(toPlain);
  }
  return Array.isArray(value) ? value.map(toPlain) : value;
}
