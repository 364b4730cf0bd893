/**
 * Shared fixtures of the lifecycle and relay tests: dev accounts of the local chain, a block miner for
 * automine-off nodes, an event log to wait on, and crash-simulating journal / relay decorators.
 * The keys are the public DEVELOPMENT keys of the test mnemonic: local chains only.
 */
import { AbstractSigner, HDNodeWallet, Transaction, type JsonRpcProvider, type Provider, type TransactionRequest, type TypedDataDomain, type TypedDataField } from "ethers";
import { DEV_MNEMONIC } from "../../../../contracts/lib/local-chain.js";
import type { Relay, RelayStatus, RelaySubmission, RelaySubmitRequest } from "@payrox/core";
import type { TxJournal, TxJournalPutResult, TxRecord } from "@payrox/core";
import type { TxEvent } from "../../src/tx/index.js";

/** Dev account `index` of the test mnemonic, connected to `provider` (funded on anvil for index < --accounts). */
export function devAccount(index: number, provider: JsonRpcProvider): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).connect(provider);
}

/** Raw JSON-RPC call. */
export function rpc<T = unknown>(provider: JsonRpcProvider, method: string, params: unknown[] = []): Promise<T> {
  return provider.send(method, params) as Promise<T>;
}

/** Mines a block every `intervalMs` until stopped (for automine-off nodes). */
export function startMiner(provider: JsonRpcProvider, intervalMs = 100): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await rpc(provider, "evm_mine").catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Collects lifecycle events and lets a test wait for one (state, not time: the timeout is only a safety net). */
export class EventLog {
  readonly events: TxEvent[] = [];
  readonly listener = (event: TxEvent): void => void this.events.push(event);

  /** Events of one type. */
  of<T extends TxEvent["type"]>(type: T): Extract<TxEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<TxEvent, { type: T }> => e.type === type);
  }

  /** Resolves with the first event matching `predicate` (past or future). */
  async waitFor<T extends TxEvent["type"]>(type: T, predicate: (e: Extract<TxEvent, { type: T }>) => boolean = () => true, timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(type).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** The error a crash-simulating decorator throws: the "process" died at that point. */
export class SimulatedCrash extends Error {}

/** A journal whose process "dies" right after a successful write matching `when`. */
export class CrashAfterWriteJournal implements TxJournal {
  constructor(private readonly inner: TxJournal, private readonly when: (record: TxRecord) => boolean) {}
  get(stepId: string): Promise<TxRecord | undefined> {
    return this.inner.get(stepId);
  }
  async put(record: TxRecord): Promise<TxJournalPutResult> {
    const result = await this.inner.put(record);
    if (result.ok && this.when(record)) throw new SimulatedCrash(`crashed after journaling version ${record.version}`);
    return result;
  }
}

/** A relay whose process "dies" right after the inner relay accepted a submission. */
export class CrashAfterSubmitRelay implements Relay {
  readonly name: string;
  readonly kind: Relay["kind"];
  constructor(private readonly inner: Relay) {
    this.name = inner.name;
    this.kind = inner.kind;
  }
  async submit(request: RelaySubmitRequest): Promise<RelaySubmission> {
    await this.inner.submit(request);
    throw new SimulatedCrash("crashed after broadcast, before the receipt");
  }
  status(submission: RelaySubmission): Promise<RelayStatus> {
    return this.inner.status(submission);
  }
}

/** The nonce encoded in a signed raw transaction. */
export function nonceOf(raw: string): number {
  return Transaction.from(raw).nonce;
}

/** A Signer that fails its n-th signTransaction calls (1-based), like a throttled KMS. */
export class FlakySigner extends AbstractSigner {
  #calls = 0;
  failures = 0;
  constructor(private readonly inner: AbstractSigner, private readonly failOn: Set<number>, provider: Provider) {
    super(provider);
  }
  getAddress(): Promise<string> {
    return this.inner.getAddress();
  }
  connect(): FlakySigner {
    return this;
  }
  async signTransaction(tx: TransactionRequest): Promise<string> {
    if (this.failOn.has(++this.#calls)) {
      this.failures++;
      throw new Error(`simulated signing failure #${this.#calls}`);
    }
    return this.inner.signTransaction(tx);
  }
  signMessage(message: string | Uint8Array): Promise<string> {
    return this.inner.signMessage(message);
  }
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.inner.signTypedData(domain, types, value);
  }
}

