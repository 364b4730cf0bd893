/** Unit tests of the lifecycle's pure parts: nonce store, journal lookup, mutex, fee bumps, revert decoding, error ABI drift. */
import fc from "fast-check";
import { AbiCoder, Interface, id } from "ethers";
import { describe, expect, it } from "vitest";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { SimulationRevertedError, UnauthorizedAccountError } from "../src/errors.js";
import { TxRecordStatus, type TxRecord } from "@payrox/core";
import { bumpFees, DISPATCHER_ERROR_ABI, decodeRevert, dispatcherErrorInterface, InMemoryNonceStore, InMemoryTxJournal, KeyedMutex, type NonceKeySnapshot } from "../src/tx/index.js";

const KEY = { network: "devnet", signer: "0x00000000000000000000000000000000000000A1" };
const at = (n: number) => ({ ...KEY, chainPendingNonce: async () => n });
const tick = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 3));

describe("KeyedMutex", () => {
  it("runs holders of one key one at a time, in arrival order", async () => {
    const mutex = new KeyedMutex();
    const order: number[] = [];
    let inside = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        mutex.runExclusive("k", async () => {
          inside++;
          expect(inside).toBe(1);
          await tick();
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(order).toEqual([...Array(10).keys()]);
  });
});

describe("InMemoryNonceStore", () => {
  it("never hands out one nonce twice to 50 concurrent reservations", async () => {
    const store = new InMemoryNonceStore();
    const slowChain = { ...KEY, chainPendingNonce: async () => (await tick(), 7) };
    const reservations = await Promise.all(Array.from({ length: 50 }, () => store.reserve(slowChain)));
    expect(reservations.map((r) => r.nonce).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 7 + i));
  });

  it("hands a released nonce out again before a new one (never skips)", async () => {
    const store = new InMemoryNonceStore();
    const [a, b, c] = [await store.reserve(at(0)), await store.reserve(at(0)), await store.reserve(at(0))];
    await store.release(b);
    await store.confirm(a);
    expect((await store.reserve(at(1))).nonce).toBe(1);
    await store.confirm(c);
    expect((await store.reserve(at(1))).nonce).toBe(3);
  });

  it("follows the chain when it is ahead and drops released nonces the chain has used", async () => {
    const store = new InMemoryNonceStore();
    const r = await store.reserve(at(4));
    expect(r.nonce).toBe(4);
    await store.release(r);
    expect((await store.reserve(at(9))).nonce).toBe(9);
    expect(store.snapshot(KEY).released).toEqual([]);
  });

  it("rejects a reservation confirmed or released twice", async () => {
    const store = new InMemoryNonceStore();
    const r = await store.reserve(at(0));
    await store.confirm(r);
    await expect(store.release(r)).rejects.toThrow(/not outstanding/);
  });

  it("keeps every nonce below `next` confirmed, outstanding or available, under random interleavings", async () => {
    const op = fc.oneof(fc.constant<"reserve">("reserve"), fc.tuple(fc.constantFrom("confirm" as const, "release" as const), fc.nat()));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const store = new InMemoryNonceStore();
        const held: Awaited<ReturnType<InMemoryNonceStore["reserve"]>>[] = [];
        const confirmed: number[] = [];
        await Promise.all(
          ops.map(async (o) => {
            await tick();
            if (o === "reserve") return void held.push(await store.reserve(at(0)));
            const r = held.splice(o[1] % Math.max(held.length, 1), 1)[0];
            if (!r) return;
            if (o[0] === "confirm") confirmed.push(r.nonce);
            await (o[0] === "confirm" ? store.confirm(r) : store.release(r));
          }),
        );
        const s: NonceKeySnapshot = store.snapshot(KEY);
        const all = [...confirmed, ...s.outstanding, ...s.released].sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: s.next }, (_, i) => i));
      }),
      { numRuns: 150 },
    );
  });
});

describe("InMemoryTxJournal.findByTxHash", () => {
  it("finds the step of any attempt's hash on its network only", async () => {
    // Prepare: one step signed twice (initial + replacement)
    const journal = new InMemoryTxJournal();
    const attempt = (byte: string, reason: "initial" | "replacement") => ({ hash: `0x${byte.repeat(32)}`, raw: "0x02", maxFeePerGas: "2", maxPriorityFeePerGas: "1", reason, signedAt: "2027-01-01T00:00:00.000Z" });
    const record: TxRecord = { stepId: "p/devnet/commit", network: "devnet", chainId: 31337, from: KEY.signer, nonce: 0, attempts: [attempt("aa", "initial"), attempt("bb", "replacement")], status: TxRecordStatus.SUBMITTED, reorgs: 0, version: 1, updatedAt: "2027-01-01T00:00:00.000Z" };
    await journal.put(record);
    // Act + Assess
    expect(await journal.findByTxHash("devnet", `0x${"BB".repeat(32)}`)).toEqual({ stepId: "p/devnet/commit" });
    expect(await journal.findByTxHash("devnet", `0x${"aa".repeat(32)}`)).toEqual({ stepId: "p/devnet/commit" });
    expect(await journal.findByTxHash("other", `0x${"aa".repeat(32)}`)).toBeUndefined();
    expect(await journal.findByTxHash("devnet", `0x${"cc".repeat(32)}`)).toBeUndefined();
  });
});

describe("bumpFees", () => {
  const previous = { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n };

  it("raises both fields by at least the bump (rounded up) when the market is lower", () => {
    expect(bumpFees(previous, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, { bumpPercent: 10 })).toEqual({ maxFeePerGas: 1_100n, maxPriorityFeePerGas: 110n });
    expect(bumpFees({ maxFeePerGas: 999n, maxPriorityFeePerGas: 9n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n })).toEqual({ maxFeePerGas: 1_099n, maxPriorityFeePerGas: 10n });
  });

  it("follows the market when it asks for more", () => {
    expect(bumpFees(previous, { maxFeePerGas: 5_000n, maxPriorityFeePerGas: 300n })).toEqual({ maxFeePerGas: 5_000n, maxPriorityFeePerGas: 300n });
  });

  it("clamps to the caps, and gives up when the caps leave no valid replacement", () => {
    expect(bumpFees(previous, { maxFeePerGas: 9_000n, maxPriorityFeePerGas: 900n }, { maxFeePerGasCap: 1_500n, maxPriorityFeePerGasCap: 150n })).toEqual({
      maxFeePerGas: 1_500n,
      maxPriorityFeePerGas: 150n,
    });
    expect(bumpFees(previous, previous, { maxFeePerGasCap: 1_050n })).toBeUndefined();
  });

  it("always satisfies the +10% replacement rule on both fields (property)", () => {
    const wei = fc.bigInt({ min: 0n, max: 10n ** 12n });
    fc.assert(
      fc.property(wei, wei, wei, wei, (max, tip, marketMax, marketTip) => {
        const prev = { maxFeePerGas: max + tip, maxPriorityFeePerGas: tip };
        const next = bumpFees(prev, { maxFeePerGas: marketMax, maxPriorityFeePerGas: marketTip })!;
        expect(next.maxFeePerGas * 100n >= prev.maxFeePerGas * 110n).toBe(true);
        expect(next.maxPriorityFeePerGas * 100n >= prev.maxPriorityFeePerGas * 110n).toBe(true);
        expect(next.maxPriorityFeePerGas <= next.maxFeePerGas).toBe(true);
      }),
    );
  });

  it("refuses a bump below 10%", () => {
    expect(() => bumpFees(previous, previous, { bumpPercent: 5 })).toThrow(RangeError);
  });
});

describe("decodeRevert", () => {
  const errors = dispatcherErrorInterface();

  it("decodes a dispatcher custom error with named arguments", () => {
    const data = errors.encodeErrorResult("ActivationNotReady", [100n, 42n]);
    const error = decodeRevert("s1", data, errors);
    expect(error).toBeInstanceOf(SimulationRevertedError);
    expect(error.errorName).toBe("ActivationNotReady");
    expect(error.args).toMatchObject({ eta: 100n, now_: 42n });
    expect(error.message).toMatch(/reschedule/);
  });

  it("decodes AccessControlUnauthorizedAccount into UnauthorizedAccountError", () => {
    const role = id("APPLY_ROLE");
    const data = errors.encodeErrorResult("AccessControlUnauthorizedAccount", ["0x00000000000000000000000000000000000000A1", role]);
    const error = decodeRevert("s1", data, errors) as UnauthorizedAccountError;
    expect(error).toBeInstanceOf(UnauthorizedAccountError);
    expect(error.account).toBe("0x00000000000000000000000000000000000000A1");
    expect(error.neededRole).toBe(role);
  });

  it("decodes require strings and keeps unknown selectors as raw data", () => {
    const reason = "0x08c379a0" + AbiCoder.defaultAbiCoder().encode(["string"], ["nope"]).slice(2);
    expect(decodeRevert("s1", reason, errors)).toMatchObject({ errorName: "Error", args: { reason: "nope" } });
    expect(decodeRevert("s1", "0xdeadbeef", errors)).toMatchObject({ errorName: undefined, data: "0xdeadbeef" });
  });
});

describe("DISPATCHER_ERROR_ABI", () => {
  it("lists exactly the errors of the compiled router and admin facet", () => {
    const compiled = new Set<string>();
    for (const name of ["ManifestDispatcher", "DispatcherAdminFacet"]) {
      new Interface(loadArtifact(name).abi as never[]).forEachError((e) => void compiled.add(e.format("sighash")));
    }
    const ours = new Set<string>();
    new Interface([...DISPATCHER_ERROR_ABI]).forEachError((e) => void ours.add(e.format("sighash")));
    expect([...ours].sort()).toEqual([...compiled].sort());
  });
});
