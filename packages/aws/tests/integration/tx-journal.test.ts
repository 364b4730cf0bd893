import { TxRecordStatus, type TxRecord } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DynamoTxJournal, JournalRecordAbsentError } from "../../src/index.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("tx-journal-test");
const journal = (): DynamoTxJournal => new DynamoTxJournal(db.options);

/** A freshly signed journal record of `stepId` (version 1). */
function signed(stepId: string, hashByte = "aa"): TxRecord {
  return {
    stepId,
    network: "devnet-1",
    chainId: 31337,
    from: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    nonce: 7,
    attempts: [{ hash: `0x${hashByte.repeat(32)}`, raw: `0x02${hashByte.repeat(100)}`, maxFeePerGas: "30000000000", maxPriorityFeePerGas: "1000000000", reason: "initial", signedAt: "2027-01-01T00:00:00.000Z" }],
    status: TxRecordStatus.SIGNED,
    reorgs: 0,
    version: 1,
    updatedAt: "2027-01-01T00:00:00.000Z",
  };
}

/** `record` moved on to MINED at the next version. */
function mined(record: TxRecord): TxRecord {
  return {
    ...record,
    status: TxRecordStatus.MINED,
    inclusion: { hash: record.attempts[0]!.hash, blockNumber: 12, blockHash: `0x${"cd".repeat(32)}`, status: 1, gasUsed: "27060" },
    lastSubmission: { relay: "public", at: "2027-01-01T00:00:05.000Z" },
    version: record.version + 1,
  };
}

describe("DynamoTxJournal", () => {
  it("finds the step of each journaled attempt's hash on its network, and nothing else", async () => {
    // Prepare: a step signed (hash 0x11…), then replaced (0x22…); another step's write of hash 0x33… lost its race
    const stepId = "p/devnet-1/commit/lookup";
    const v1 = signed(stepId, "11");
    await journal().put(v1);
    const replacement = { ...v1.attempts[0]!, hash: `0x${"22".repeat(32)}`, reason: "replacement" as const };
    await journal().put({ ...v1, attempts: [...v1.attempts, replacement], status: TxRecordStatus.SUBMITTED, version: 2 });
    const lost = await journal().put(signed(stepId, "33"));

    // Act
    const found = await Promise.all([`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`.toUpperCase().replace("0X", "0x")].map((hash) => journal().findByTxHash("devnet-1", hash)));
    const notFound = await Promise.all([
      journal().findByTxHash("devnet-1", `0x${"33".repeat(32)}`),
      journal().findByTxHash("devnet-2", `0x${"11".repeat(32)}`),
      journal().findByTxHash("devnet-1", `0x${"44".repeat(32)}`),
    ]);

    // Assess
    expect(lost.ok).toBe(false);
    expect(found).toEqual([{ stepId }, { stepId }]);
    expect(notFound).toEqual([undefined, undefined, undefined]);
  });

  it("returns undefined for a step never journaled", async () => {
    expect(await journal().get("p/devnet-1/commit/0")).toBeUndefined();
  });

  it("writes version 1 only if absent and reads it back unchanged", async () => {
    // Prepare
    const record = signed("p/devnet-1/apply/0");

    // Act
    const first = await journal().put(record);
    const second = await journal().put(signed("p/devnet-1/apply/0", "bb"));

    // Assess
    expect(first).toEqual({ ok: true });
    expect(second).toEqual({ ok: false, existing: record });
    expect(await journal().get("p/devnet-1/apply/0")).toEqual(record);
  });

  it("writes version n only over version n - 1 and otherwise returns the stored record", async () => {
    // Prepare
    const v1 = signed("p/devnet-1/apply/1");
    await journal().put(v1);
    const v2 = mined(v1);

    // Act
    const update = await journal().put(v2);
    const stale = await journal().put({ ...v2, status: TxRecordStatus.CONFIRMED });
    const skipping = await journal().put({ ...v2, version: 4 });

    // Assess
    expect(update).toEqual({ ok: true });
    expect(stale).toEqual({ ok: false, existing: v2 });
    expect(skipping).toEqual({ ok: false, existing: v2 });
    expect(await journal().get("p/devnet-1/apply/1")).toEqual(v2);
  });

  it("clears fields a later version drops (a reorg removes the inclusion)", async () => {
    // Prepare
    const v2 = mined(signed("p/devnet-1/apply/2"));
    await journal().put(signed("p/devnet-1/apply/2"));
    await journal().put(v2);
    const { inclusion: _removed, ...reorged } = { ...v2, status: TxRecordStatus.SUBMITTED, reorgs: 1, version: 3 };

    // Act
    await journal().put(reorged);

    // Assess
    expect(await journal().get("p/devnet-1/apply/2")).toEqual(reorged);
  });

  it("throws JournalRecordAbsentError for a version above 1 when nothing is stored", async () => {
    await expect(journal().put({ ...signed("p/devnet-1/activate/0"), version: 2 })).rejects.toBeInstanceOf(JournalRecordAbsentError);
    expect(await journal().get("p/devnet-1/activate/0")).toBeUndefined();
  });

  it("lets exactly one of 20 concurrent first writes win; the others get the winner's record", async () => {
    // Prepare
    const candidates = Array.from({ length: 20 }, (_, i) => signed("p/devnet-1/commit/race", i.toString(16).padStart(2, "0")));

    // Act
    const results = await Promise.all(candidates.map((record) => journal().put(record)));

    // Assess
    const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
    expect(winners).toHaveLength(1);
    const stored = await journal().get("p/devnet-1/commit/race");
    expect(stored).toEqual(candidates[winners[0]!]);
    for (const r of results) if (!r.ok) expect(r.existing).toEqual(stored);
  });
});
