/** {@link Relay} adapter for the public mempool: `eth_sendRawTransaction` on the network's own RPC. */
import { keccak256, type JsonRpcApiProvider } from "ethers";
import { RelayKind, RelayState, type Relay, type RelayStatus, type RelaySubmission, type RelaySubmitRequest } from "@payrox/core";
import { BroadcastRejectedError } from "../errors.js";
import { classifyRejection, errorText, includedAt, isAlreadyKnown } from "./inclusion.js";

/** Options of {@link PublicMempoolRelay}. */
export interface PublicMempoolRelayOptions {
  /** The network's RPC. */
  provider: JsonRpcApiProvider;
  /** @default "public" */
  name?: string;
}

/** Broadcasts to the public mempool. Re-sending bytes the node already has is a success, not an error. */
export class PublicMempoolRelay implements Relay {
  readonly kind = RelayKind.PUBLIC;
  readonly name: string;
  readonly #provider: JsonRpcApiProvider;

  constructor(options: PublicMempoolRelayOptions) {
    this.#provider = options.provider;
    this.name = options.name ?? "public";
  }

  /** Broadcasts each transaction; throws {@link BroadcastRejectedError} when the node rejects one it doesn't know. */
  async submit(request: RelaySubmitRequest): Promise<RelaySubmission> {
    const submittedAtBlock = await this.#provider.getBlockNumber();
    const txHashes: string[] = [];
    for (const raw of request.signedTransactions) {
      const hash = keccak256(raw);
      txHashes.push(hash);
      try {
        await this.#provider.send("eth_sendRawTransaction", [raw]);
      } catch (error) {
        if (isAlreadyKnown(error) || (await this.#knows(hash))) continue;
        throw new BroadcastRejectedError(this.name, hash, classifyRejection(error), errorText(error), { cause: error });
      }
    }
    return { relay: this.name, kind: this.kind, network: request.network, id: txHashes[0]!, txHashes, submittedAtBlock };
  }

  /** INCLUDED with receipts, PENDING while the node's mempool holds them, else DROPPED. */
  async status(submission: RelaySubmission): Promise<RelayStatus> {
    const block = await includedAt(this.#provider, submission.txHashes);
    if (block !== undefined) return { state: RelayState.INCLUDED, blockNumber: block };
    const known = await Promise.all(submission.txHashes.map((h) => this.#knows(h)));
    return known.every(Boolean) ? { state: RelayState.PENDING } : { state: RelayState.DROPPED, detail: "not in the node's mempool" };
  }

  async #knows(hash: string): Promise<boolean> {
    const [tx, receipt] = await Promise.all([this.#provider.getTransaction(hash), this.#provider.getTransactionReceipt(hash)]);
    return tx !== null || receipt !== null;
  }
}
