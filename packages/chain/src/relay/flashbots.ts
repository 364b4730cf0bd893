/**
 * {@link Relay} adapter for Flashbots-style bundle relays, through `@flashbots/ethers-provider-bundle`:
 * `eth_callBundle` simulation first, then `eth_sendBundle` for the next block, sent again for each
 * following block (on {@link FlashbotsRelay.status}) until included or the deadline block.
 */
import { FlashbotsBundleProvider, type GetBundleStatsResponseV2 } from "@flashbots/ethers-provider-bundle";
import { FetchRequest, keccak256, Transaction, type JsonRpcApiProvider, type Signer } from "ethers";
import { RelayKind, RelayState, type Relay, type RelayStatus, type RelaySubmission, type RelaySubmitRequest } from "@payrox/core";
import { BundleSimulationRevertedError, RelayConfigurationError, RelayRefusedError } from "../errors.js";
import { errorText, includedAt } from "./inclusion.js";

/** Options of {@link FlashbotsRelay.create}. */
export interface FlashbotsRelayOptions {
  /** The network's ordinary RPC (block numbers, receipts). */
  provider: JsonRpcApiProvider;
  /** Key that signs `X-Flashbots-Signature`: its own identity at the relay, never a transaction key. */
  authSigner: Signer;
  /** The relay's URL (e.g. https://relay.flashbots.net, or a local relay). */
  relayUrl: string;
  /** @default "flashbots" */
  name?: string;
  /** Blocks targeted after the first one before a submission EXPIRES. @default 5 */
  blocksAhead?: number;
  /** HTTP timeout per relay request, in ms. @default 10_000 */
  timeoutMs?: number;
}

/** A bundle this adapter is keeping alive. */
interface LiveBundle {
  txs: string[];
  lastTarget: number;
}

/** Submits bundles to a Flashbots-compatible relay. Build it with {@link FlashbotsRelay.create}. */
export class FlashbotsRelay implements Relay {
  readonly kind = RelayKind.FLASHBOTS;
  readonly name: string;
  readonly #bundles = new Map<string, LiveBundle>();

  private constructor(
    private readonly provider: JsonRpcApiProvider,
    private readonly flashbots: FlashbotsBundleProvider,
    private readonly authAddress: string,
    private readonly blocksAhead: number,
    name: string,
  ) {
    this.name = name;
  }

  /** Connects to the relay (no request is sent until a submission). */
  static async create(options: FlashbotsRelayOptions): Promise<FlashbotsRelay> {
    const request = new FetchRequest(options.relayUrl);
    request.timeout = options.timeoutMs ?? 10_000;
    const { chainId } = await options.provider.getNetwork();
    const flashbots = await FlashbotsBundleProvider.create(options.provider, options.authSigner, request, Number(chainId));
    const authAddress = (await options.authSigner.getAddress()).toLowerCase();
    return new FlashbotsRelay(options.provider, flashbots, authAddress, options.blocksAhead ?? 5, options.name ?? "flashbots");
  }

  /** Simulates the bundle (`eth_callBundle`) and sends it for the target block (`eth_sendBundle`). */
  async submit(request: RelaySubmitRequest): Promise<RelaySubmission> {
    const txs = [...request.signedTransactions];
    for (const raw of txs) {
      if (Transaction.from(raw).from?.toLowerCase() === this.authAddress) {
        throw new RelayConfigurationError(`${this.name}: the Flashbots auth key ${this.authAddress} also signs transactions; give the relay identity its own key`);
      }
    }
    const head = await this.provider.getBlockNumber();
    const targetBlock = request.targetBlock ?? head + 1;
    const deadlineBlock = request.deadlineBlock ?? targetBlock + this.blocksAhead;
    const simulation = await this.#relayCall("eth_callBundle", () => this.flashbots.simulate(txs, targetBlock));
    if ("error" in simulation) throw new RelayRefusedError(this.name, `eth_callBundle: ${simulation.error.message}`);
    const revert = simulation.firstRevert as { txHash: string; revert?: string; error?: string } | undefined;
    if (revert) throw new BundleSimulationRevertedError(this.name, revert.txHash, revert.revert ?? revert.error ?? "reverted");
    const bundleHash = await this.#send(txs, targetBlock);
    this.#bundles.set(bundleHash, { txs, lastTarget: targetBlock });
    const txHashes = txs.map((raw) => keccak256(raw));
    return { relay: this.name, kind: this.kind, network: request.network, id: bundleHash, txHashes, submittedAtBlock: head, targetBlock, deadlineBlock };
  }

  /**
   * INCLUDED once every transaction has a receipt; EXPIRED once the deadline block is reached; otherwise
   * sends the bundle again for the next block and reports PENDING (DROPPED if the relay refuses it now,
   * or if this process does not know the bundle, e.g. after a restart).
   */
  async status(submission: RelaySubmission): Promise<RelayStatus> {
    const block = await includedAt(this.provider, submission.txHashes);
    if (block !== undefined) {
      this.#bundles.delete(submission.id);
      return { state: RelayState.INCLUDED, blockNumber: block };
    }
    const head = await this.provider.getBlockNumber();
    if (submission.deadlineBlock !== undefined && head >= submission.deadlineBlock) {
      this.#bundles.delete(submission.id);
      return { state: RelayState.EXPIRED, detail: `not included by block ${submission.deadlineBlock}` };
    }
    const live = this.#bundles.get(submission.id);
    if (!live) return { state: RelayState.DROPPED, detail: "bundle unknown to this process" };
    if (head + 1 > live.lastTarget) {
      try {
        await this.#send(live.txs, head + 1);
        live.lastTarget = head + 1;
      } catch (error) {
        this.#bundles.delete(submission.id);
        return { state: RelayState.DROPPED, detail: errorText(error) };
      }
    }
    return { state: RelayState.PENDING, detail: `targeting block ${live.lastTarget}` };
  }

  /** The relay's `flashbots_getBundleStatsV2` for a submission's current target block. */
  async bundleStats(submission: RelaySubmission, blockNumber = submission.targetBlock ?? submission.submittedAtBlock + 1): Promise<GetBundleStatsResponseV2> {
    return this.#relayCall("flashbots_getBundleStatsV2", () => this.flashbots.getBundleStatsV2(submission.id, blockNumber));
  }

  async #send(txs: string[], targetBlock: number): Promise<string> {
    const sent = await this.#relayCall("eth_sendBundle", () => this.flashbots.sendRawBundle(txs, targetBlock));
    if ("error" in sent) throw new RelayRefusedError(this.name, `eth_sendBundle for block ${targetBlock}: ${sent.error.message}`);
    return sent.bundleHash;
  }

  /** Runs a relay request; transport failures (HTTP 4xx/5xx, timeouts) become {@link RelayRefusedError}. */
  async #relayCall<T>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new RelayRefusedError(this.name, `${method}: ${errorText(error)}`, { cause: error });
    }
  }
}
