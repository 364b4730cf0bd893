/**
 * The local relay's bundles and its "builder": when the chain's next block is a bundle's target block,
 * the bundle's transactions go to the node together and (by default) the relay mines that block itself.
 */
import type { Transaction } from "ethers";
import type { NodeRpc } from "./node-rpc.js";

/** Where a bundle stands at the local relay. */
/** `sent`: handed to a node that mines on its own schedule (`mineBundles: false`). */
export type BundleState = "pending" | "sent" | "included" | "missed" | "failed";

/** One `eth_sendBundle` (one bundle for one target block). */
export interface StoredBundle {
  bundleHash: string;
  /** The searcher (auth key) that sent it. */
  searcher: string;
  blockNumber: number;
  txs: string[];
  txHashes: string[];
  receivedAt: Date;
  state: BundleState;
  /** Block it landed in, when included. */
  includedIn?: number;
  includedAt?: Date;
  detail?: string;
}

/** Options of {@link BundlePool}. */
export interface BundlePoolOptions {
  /** Mine the target block with `evm_mine` (automine paused meanwhile), so a bundle lands in one block. @default true */
  mineBundles?: boolean;
  /** How often the pool looks at the chain head, in ms. @default 50 */
  pollIntervalMs?: number;
  /** Whether due bundles land; false plays builders that ignore them (missed once their block passes). @default true */
  landing?: () => boolean;
}

/** Pending bundles and the loop that lands them. */
export class BundlePool {
  readonly #bundles: StoredBundle[] = [];
  readonly #simulated = new Map<string, Date>();
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = false;

  constructor(
    private readonly rpc: NodeRpc,
    private readonly options: BundlePoolOptions = {},
  ) {}

  /** Records a bundle for its target block (the same bundle for the same block is kept once). */
  add(bundle: { bundleHash: string; searcher: string; blockNumber: number; txs: Transaction[] }): void {
    if (this.#bundles.some((b) => b.bundleHash === bundle.bundleHash && b.blockNumber === bundle.blockNumber)) return;
    this.#bundles.push({
      bundleHash: bundle.bundleHash, searcher: bundle.searcher, blockNumber: bundle.blockNumber,
      txs: bundle.txs.map((t) => t.serialized), txHashes: bundle.txs.map((t) => t.hash!), receivedAt: new Date(), state: "pending",
    });
  }

  /** Notes that `eth_callBundle` simulated the bundle. */
  markSimulated(bundleHash: string): void {
    this.#simulated.set(bundleHash, new Date());
  }

  /** When the bundle was simulated, if it was. */
  simulatedAt(bundleHash: string): Date | undefined {
    return this.#simulated.get(bundleHash);
  }

  /** The record of a bundle for a block (or its latest record when no block is given). */
  find(bundleHash: string, blockNumber?: number): StoredBundle | undefined {
    return this.#bundles.filter((b) => b.bundleHash === bundleHash && (blockNumber === undefined || b.blockNumber === blockNumber)).at(-1);
  }

  /** Copies of every bundle received. */
  list(): StoredBundle[] {
    return this.#bundles.map((b) => ({ ...b, txs: [...b.txs], txHashes: [...b.txHashes] }));
  }

  /** Starts the inclusion loop. */
  start(): void {
    const loop = async () => {
      this.#running = this.#tick().catch(() => undefined);
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.options.pollIntervalMs ?? 50);
    };
    void loop();
  }

  /** Stops the loop and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #tick(): Promise<void> {
    const head = Number(BigInt(await this.rpc<string>("eth_blockNumber")));
    const due: StoredBundle[] = [];
    for (const bundle of this.#bundles) {
      if (bundle.state !== "pending") continue;
      if (bundle.blockNumber <= head) Object.assign(bundle, { state: "missed", detail: `target block ${bundle.blockNumber} passed` });
      else if (bundle.blockNumber === head + 1) due.push(bundle);
    }
    // Landing switched off plays builders that ignore the bundles: they stay pending until their block passes.
    if (due.length === 0 || this.options.landing?.() === false) return;
    await this.#land(due, head + 1);
  }

  /** Sends the due bundles' transactions (dropping a bundle's sent ones if any fails) and mines the block. */
  async #land(due: StoredBundle[], target: number): Promise<void> {
    const mine = this.options.mineBundles ?? true;
    const automine = mine ? await this.rpc<boolean>("anvil_getAutomine") : false;
    if (automine) await this.rpc("evm_setAutomine", [false]);
    const sent: StoredBundle[] = [];
    try {
      for (const bundle of due) {
        if (await this.#allMined(bundle.txHashes)) {
          Object.assign(bundle, { state: "missed", detail: "its transactions are already on chain" });
          continue;
        }
        const accepted: string[] = [];
        try {
          for (const raw of bundle.txs) accepted.push(await this.rpc<string>("eth_sendRawTransaction", [raw]));
          sent.push(bundle);
        } catch (error) {
          // All or nothing: take back what this bundle already put in the pool.
          for (const hash of accepted) await this.rpc("anvil_dropTransaction", [hash]).catch(() => undefined);
          Object.assign(bundle, { state: "failed", detail: error instanceof Error ? error.message : String(error) });
        }
      }
      if (mine && sent.length > 0) await this.rpc("evm_mine");
    } finally {
      if (automine) await this.rpc("evm_setAutomine", [true]);
    }
    for (const bundle of sent) await this.#settle(bundle, target, mine);
  }

  async #settle(bundle: StoredBundle, target: number, mined: boolean): Promise<void> {
    const receipts = await Promise.all(bundle.txHashes.map((h) => this.rpc<{ blockNumber: string } | null>("eth_getTransactionReceipt", [h])));
    if (receipts.every((r) => r !== null)) {
      const block = Math.max(...receipts.map((r) => Number(BigInt(r!.blockNumber))));
      Object.assign(bundle, { state: "included", includedIn: block, includedAt: new Date(), detail: block === target ? undefined : `landed in ${block}, not ${target}` });
    } else if (mined) {
      Object.assign(bundle, { state: "failed", detail: "the node did not include every transaction in the mined block" });
    } else {
      // Interval mining: the node mines the target block later; the stats report it once receipts exist.
      Object.assign(bundle, { state: "sent", detail: "handed to the node for its next block" });
    }
  }

  async #allMined(hashes: string[]): Promise<boolean> {
    const receipts = await Promise.all(hashes.map((h) => this.rpc("eth_getTransactionReceipt", [h])));
    return receipts.every((r) => r !== null);
  }
}
