import type { NonceReserveRequest } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DynamoNonceStore, DynamoTxJournal, NonceReservationNotOutstandingError } from "../../src/index.js";
import { createLocalDynamoClient } from "../../src/testing/dynamodb-local.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("nonce-store-test");
const nonces = (options: { now?: () => number; reservationTimeoutMs?: number } = {}): DynamoNonceStore =>
  new DynamoNonceStore({ ...db.options, ...(options.now ? { clock: { now: options.now } } : {}), ...(options.reservationTimeoutMs ? { reservationTimeoutMs: options.reservationTimeoutMs } : {}) });

/** A reservation request for `signer` on devnet-1, with the chain's pending nonce fixed. */
function request(signer: string, chainPending = 0): NonceReserveRequest {
  return { network: "devnet-1", signer, chainPendingNonce: async () => chainPending };
}

describe("DynamoNonceStore", () => {
  it("hands 20 concurrent reservations distinct, contiguous nonces", async () => {
    // Act
    const reservations = await Promise.all(Array.from({ length: 20 }, () => nonces().reserve(request("0xAAAA000000000000000000000000000000000001"))));

    // Assess
    expect(reservations.map((r) => r.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(reservations.map((r) => r.id)).size).toBe(20);
    expect((await nonces().snapshot(request("0xaaaa000000000000000000000000000000000001"))).outstanding).toHaveLength(20);
  });

  it("never gives two processes (separate clients) the same nonce", async () => {
    // Prepare
    const processA = new DynamoNonceStore({ client: createLocalDynamoClient(db.endpoint), tableName: db.tableName });
    const processB = nonces();
    const signer = "0xBBBB000000000000000000000000000000000002";

    // Act
    const reservations = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? processA : processB).reserve(request(signer))));

    // Assess
    expect(reservations.map((r) => r.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("hands a released nonce out again before a new one", async () => {
    // Prepare
    const store = nonces();
    const signer = "0xCCCC000000000000000000000000000000000003";
    const [zero, one, two] = [await store.reserve(request(signer)), await store.reserve(request(signer)), await store.reserve(request(signer))];
    await store.confirm(zero!);
    await store.confirm(two!);

    // Act
    await store.release(one!);
    const again = await store.reserve(request(signer));
    const fresh = await store.reserve(request(signer));

    // Assess
    expect(again.nonce).toBe(1);
    expect(fresh.nonce).toBe(3);
    expect(await store.snapshot(request(signer))).toEqual({ next: 4, released: [], outstanding: [1, 3] });
  });

  it("never hands out a nonce below the chain's pending nonce", async () => {
    // Prepare
    const store = nonces();
    const signer = "0xDDDD000000000000000000000000000000000004";
    const zero = await store.reserve(request(signer, 0));
    await store.release(zero);

    // Act: someone else sent 5 transactions of this signer meanwhile.
    const reserved = await store.reserve(request(signer, 5));

    // Assess
    expect(reserved.nonce).toBe(5);
    expect(await store.snapshot(request(signer))).toEqual({ next: 6, released: [], outstanding: [5] });
  });

  it("compares signers case-insensitively", async () => {
    // Prepare
    const store = nonces();
    await store.reserve(request("0xEEEE00000000000000000000000000000000000e"));

    // Act
    const second = await store.reserve(request("0xeeee00000000000000000000000000000000000E"));

    // Assess
    expect(second.nonce).toBe(1);
  });

  it("refuses a second confirm or release of one reservation", async () => {
    // Prepare
    const store = nonces();
    const signer = "0xFFFF000000000000000000000000000000000005";
    const confirmed = await store.reserve(request(signer));
    const released = await store.reserve(request(signer));
    await store.confirm(confirmed);
    await store.release(released);

    // Act + Assess
    await expect(store.confirm(confirmed)).rejects.toBeInstanceOf(NonceReservationNotOutstandingError);
    await expect(store.release(confirmed)).rejects.toBeInstanceOf(NonceReservationNotOutstandingError);
    await expect(store.release(released)).rejects.toBeInstanceOf(NonceReservationNotOutstandingError);
    expect(await store.snapshot(request(signer))).toEqual({ next: 2, released: [1], outstanding: [] });
  });

  it("reclaims a reservation abandoned past its timeout, and refuses its late confirm", async () => {
    // Prepare
    let now = 1_000_000;
    const store = nonces({ now: () => now, reservationTimeoutMs: 60_000 });
    const signer = "0x1111000000000000000000000000000000000006";
    const abandoned = await store.reserve(request(signer));
    now += 59_999;
    const meanwhile = await store.reserve(request(signer));

    // Act
    now += 1;
    const reclaimed = await store.reserve(request(signer));

    // Assess
    expect([abandoned.nonce, meanwhile.nonce, reclaimed.nonce]).toEqual([0, 1, 0]);
    await expect(store.confirm(abandoned)).rejects.toBeInstanceOf(NonceReservationNotOutstandingError);
    await store.confirm(reclaimed);
    expect(await store.snapshot(request(signer))).toEqual({ next: 2, released: [], outstanding: [1] });
  });

  it("keeps an abandoned reservation's nonce used when the journal holds a transaction with it (crash between journal write and confirm)", async () => {
    // Prepare: the holder journaled a transaction at nonce 0 (e.g. into a private relay: the chain's
    // pending count still says 0) and died before confirming
    let now = 2_000_000;
    const store = nonces({ now: () => now, reservationTimeoutMs: 60_000 });
    const journal = new DynamoTxJournal(db.options);
    const signer = "0x1111000000000000000000000000000000000007";
    const abandoned = await store.reserve(request(signer));
    await journal.put({ stepId: "p:devnet-1:commit", network: "devnet-1", chainId: 31337, from: signer, nonce: abandoned.nonce, attempts: [{ hash: `0x${"ab".repeat(32)}`, raw: "0x02", maxFeePerGas: "1", maxPriorityFeePerGas: "1", reason: "initial", signedAt: new Date(now).toISOString() }], status: "SIGNED", reorgs: 0, version: 1, updatedAt: new Date(now).toISOString() });
    const isJournaled = async (nonce: number) => (await journal.findByNonce("devnet-1", signer, nonce)) !== undefined;
    // Act
    now += 60_000;
    const next = await store.reserve({ ...request(signer, 0), isJournaled });
    // Assess: nonce 0 is not handed out again, whatever the chain's pending count says
    expect(next.nonce).toBe(1);
    expect(await store.snapshot(request(signer))).toEqual({ next: 2, released: [], outstanding: [1] });
    expect(await journal.findByNonce("devnet-1", signer.toUpperCase().replace("0X", "0x"), 0)).toBe("p:devnet-1:commit");
    expect(await journal.findByNonce("devnet-1", signer, 1)).toBeUndefined();
  });

  it("hands a step's retry the nonce its dead worker reserved (same holder), never a new one that would leave a gap", async () => {
    // Prepare
    const store = nonces();
    const signer = "0x1111000000000000000000000000000000000008";
    const dead = await store.reserve({ ...request(signer), holder: "p:devnet-1:apply:0" });
    // Act
    const retried = await store.reserve({ ...request(signer), holder: "p:devnet-1:apply:0" });
    const other = await store.reserve({ ...request(signer), holder: "p:devnet-1:apply:1" });
    // Assess
    expect([dead.nonce, retried.nonce, other.nonce]).toEqual([0, 0, 1]);
    await expect(store.confirm(dead)).rejects.toBeInstanceOf(NonceReservationNotOutstandingError);
    await store.confirm(retried);
    await store.confirm(other);
    expect(await store.snapshot(request(signer))).toEqual({ next: 2, released: [], outstanding: [] });
  });
});

describe("DynamoNonceStore re-sync with the chain", () => {
  it("never lowers the next nonce below a journaled transaction the chain's pending count does not show (a recreated key)", async () => {
    // Prepare: nonces 0 and 1 are journaled and sit in a private relay (the chain counts 0); the key's item is gone
    const store = nonces();
    const journal = new DynamoTxJournal(db.options);
    const signer = "0x1111000000000000000000000000000000000010";
    const at = new Date(0).toISOString();
    for (const nonce of [0, 1]) {
      await journal.put({ stepId: `p${nonce}:devnet-1:commit`, network: "devnet-1", chainId: 31337, from: signer, nonce, attempts: [{ hash: `0x${String(nonce).repeat(64)}`, raw: "0x02", maxFeePerGas: "1", maxPriorityFeePerGas: "1", reason: "initial", signedAt: at }], status: "SUBMITTED", reorgs: 0, version: 1, updatedAt: at });
    }
    const isJournaled = async (nonce: number) => (await journal.findByNonce("devnet-1", signer, nonce)) !== undefined;
    // Act
    const next = await store.reserve({ ...request(signer, 0), isJournaled });
    // Assess
    expect(next.nonce).toBe(2);
    expect(await store.snapshot(request(signer))).toEqual({ next: 3, released: [], outstanding: [2] });
  });
});
