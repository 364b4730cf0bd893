/** {@link Relay} adapter for a private RPC ("protect") endpoint that takes `eth_sendRawTransaction`. */
import { keccak256, type JsonRpcApiProvider } from "ethers";
import { RelayKind, RelayState, type Relay, type RelayStatus, type RelaySubmission, type RelaySubmitRequest } from "@payrox/core";
import { BroadcastRejectedError, RelayRefusedError } from "../errors.js";
import { classifyRejection, errorText, includedAt, isAlreadyKnown } from "./inclusion.js";

/** Options of {@link PrivateRpcRelay}. */
export interface PrivateRpcRelayOptions {
  /** The network's ordinary RPC, used to watch for receipts (the private endpoint only takes submissions). */
  provider: JsonRpcApiProvider;
  /** The private endpoint's URL. */
  url: string;
  /** @default "private-rpc" */
  name?: string;
  /** Blocks after which a submission that has not landed counts as EXPIRED. @default 25 */
  maxBlocks?: number;
  /** HTTP timeout per request, in ms. @default 10_000 */
  timeoutMs?: number;
}

/**
 * Sends raw transactions to a private endpoint, which keeps them out of the public mempool. Node-style
 * rejections (underpriced, nonce too low, insufficient funds) are {@link BroadcastRejectedError}s; anything
 * else (HTTP failure, unknown error) is a {@link RelayRefusedError}, so a policy may fall back.
 */
export class PrivateRpcRelay implements Relay {
  readonly kind = RelayKind.PRIVATE_RPC;
  readonly name: string;
  readonly #options: PrivateRpcRelayOptions;
  #id = 0;

  constructor(options: PrivateRpcRelayOptions) {
    this.#options = options;
    this.name = options.name ?? "private-rpc";
  }

  /** Sends each transaction to the private endpoint. */
  async submit(request: RelaySubmitRequest): Promise<RelaySubmission> {
    const submittedAtBlock = await this.#options.provider.getBlockNumber();
    const txHashes: string[] = [];
    for (const raw of request.signedTransactions) {
      const hash = keccak256(raw);
      txHashes.push(hash);
      const error = await this.#send(raw);
      if (error === undefined || isAlreadyKnown(error)) continue;
      const rejection = classifyRejection(error);
      if (rejection !== "rejected") throw new BroadcastRejectedError(this.name, hash, rejection, errorText(error));
      throw new RelayRefusedError(this.name, errorText(error));
    }
    const deadlineBlock = submittedAtBlock + (this.#options.maxBlocks ?? 25);
    return { relay: this.name, kind: this.kind, network: request.network, id: txHashes[0]!, txHashes, submittedAtBlock, deadlineBlock };
  }

  /** INCLUDED with receipts; EXPIRED after `maxBlocks`; else PENDING (the private pool is not observable). */
  async status(submission: RelaySubmission): Promise<RelayStatus> {
    const block = await includedAt(this.#options.provider, submission.txHashes);
    if (block !== undefined) return { state: RelayState.INCLUDED, blockNumber: block };
    const head = await this.#options.provider.getBlockNumber();
    if (submission.deadlineBlock !== undefined && head > submission.deadlineBlock) return { state: RelayState.EXPIRED, detail: `not included by block ${submission.deadlineBlock}` };
    return { state: RelayState.PENDING };
  }

  /** Posts one `eth_sendRawTransaction`; returns the JSON-RPC error object, or undefined on success. */
  async #send(raw: string): Promise<{ message: string } | undefined> {
    let response: Response;
    try {
      response = await fetch(this.#options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++this.#id, method: "eth_sendRawTransaction", params: [raw] }),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new RelayRefusedError(this.name, `unreachable: ${errorText(error)}`, { cause: error });
    }
    const body = (await response.json().catch(() => undefined)) as { result?: string; error?: { message?: string } } | undefined;
    if (!response.ok && !body?.error) throw new RelayRefusedError(this.name, `HTTP ${response.status}`);
    if (body?.error) return { message: body.error.message ?? JSON.stringify(body.error) };
    if (typeof body?.result !== "string") throw new RelayRefusedError(this.name, "malformed JSON-RPC response");
    return undefined;
  }
}
