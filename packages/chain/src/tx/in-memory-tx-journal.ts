/** In-memory {@link TxJournal}: conditional writes on a version, deep copies in and out. */
import type { JournaledTxLookup, TxJournal, TxJournalPutResult, TxRecord } from "@payrox/core";

/**
 * A write-ahead journal in this process's memory, with the same conditional-write contract as the
 * DynamoDB adapter. It survives a "crash" of a sender object (tests, the embedded devnet), not of the process.
 */
export class InMemoryTxJournal implements TxJournal, JournaledTxLookup {
  readonly #records = new Map<string, TxRecord>();

  /** The stored record of `stepId`, or undefined. */
  async get(stepId: string): Promise<TxRecord | undefined> {
    const record = this.#records.get(stepId);
    return record && structuredClone(record);
  }

  /** Stores `record` if the stored version is `record.version - 1`, else returns the stored record. */
  async put(record: TxRecord): Promise<TxJournalPutResult> {
    const existing = this.#records.get(record.stepId);
    const storedVersion = existing?.version ?? 0;
    if (storedVersion !== record.version - 1) {
      if (existing) return { ok: false, existing: structuredClone(existing) };
      throw new Error(`journal record ${record.stepId} is absent, so its first write must have version 1 (got ${record.version})`);
    }
    this.#records.set(record.stepId, structuredClone(record));
    return { ok: true };
  }

  /** The step journaled with `from`'s transaction at `nonce` on `network`, or undefined. */
  async findByNonce(network: string, from: string, nonce: number): Promise<string | undefined> {
    return [...this.#records.values()].find((r) => r.network === network && r.from.toLowerCase() === from.toLowerCase() && r.nonce === nonce)?.stepId;
  }

  /** The step that journaled `txHash` on `network`, or undefined. */
  async findByTxHash(network: string, txHash: string): Promise<{ stepId: string } | undefined> {
    const hash = txHash.toLowerCase();
    const record = [...this.#records.values()].find((r) => r.network === network && r.attempts.some((a) => a.hash.toLowerCase() === hash));
    return record && { stepId: record.stepId };
  }

  /** Every stored record (copies), for inspection. */
  records(): TxRecord[] {
    return [...this.#records.values()].map((r) => structuredClone(r));
  }
}
