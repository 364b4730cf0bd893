/**
 * Re-syncing the next nonce with the chain never lowers it below a journaled, unresolved transaction: a
 * transaction held by a private relay does not show in the chain's pending count, so a store that starts
 * afresh (a restarted process) must not hand that nonce out again.
 */
import type { TxRecord } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { InMemoryNonceStore, InMemoryTxJournal } from "../src/tx/index.js";

const signer = "0x1111000000000000000000000000000000000009";

function journaled(nonce: number, stepId: string): TxRecord {
  const at = new Date(0).toISOString();
  return { stepId, network: "devnet-1", chainId: 31337, from: signer, nonce, attempts: [{ hash: `0x${nonce.toString(16).padStart(64, "0")}`, raw: "0x02", maxFeePerGas: "1", maxPriorityFeePerGas: "1", reason: "initial", signedAt: at }], status: "SUBMITTED", reorgs: 0, version: 1, updatedAt: at };
}

describe("InMemoryNonceStore re-sync with the chain", () => {
  it("skips nonces the journal holds above the chain's pending count (a fresh store after a restart)", async () => {
    // Prepare: nonces 3 and 4 are journaled and sit in a private relay; the chain counts 3
    const journal = new InMemoryTxJournal();
    await journal.put(journaled(3, "p:devnet-1:commit"));
    await journal.put(journaled(4, "q:devnet-1:cancel:0"));
    const store = new InMemoryNonceStore();
    const isJournaled = async (nonce: number) => (await journal.findByNonce("devnet-1", signer, nonce)) !== undefined;
    // Act
    const first = await store.reserve({ network: "devnet-1", signer, chainPendingNonce: async () => 3, isJournaled });
    await store.confirm(first);
    const second = await store.reserve({ network: "devnet-1", signer, chainPendingNonce: async () => 3, isJournaled });
    // Assess
    expect([first.nonce, second.nonce]).toEqual([5, 6]);
  });

  it("never hands out a released nonce the journal holds", async () => {
    // Prepare: nonce 0 was released, then (another process) journaled a transaction at it
    const journal = new InMemoryTxJournal();
    const store = new InMemoryNonceStore();
    const isJournaled = async (nonce: number) => (await journal.findByNonce("devnet-1", signer, nonce)) !== undefined;
    const reserved = await store.reserve({ network: "devnet-1", signer, chainPendingNonce: async () => 0 });
    await store.release(reserved);
    await journal.put(journaled(0, "p:devnet-1:commit"));
    // Act
    const next = await store.reserve({ network: "devnet-1", signer, chainPendingNonce: async () => 0, isJournaled });
    // Assess
    expect(next.nonce).toBe(1);
  });
});
