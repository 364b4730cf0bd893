import { describe, expect, it } from "vitest";
import { ALERT_THRESHOLDS, proposeUpgrade, runStep, watchdogSweep, type TxJournal, type TxRecord } from "../../../src/index.js";
import { inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

/** A journal holding one record: the commit's transaction, signed long ago and still unconfirmed. */
function journalWith(record: TxRecord): TxJournal {
  return { get: async (stepId) => (stepId === record.stepId ? record : undefined), put: async () => ({ ok: true }) };
}

describe("tx-stuck incidents", () => {
  it("are resolved once when the stuck step's transaction confirms", async () => {
    // Prepare: the watchdog finds the commit's transaction stuck
    const h = inMemoryPorts();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, h.deps());
    const signedAt = new Date(h.clock.ms).toISOString();
    const stepId = `${proposal.id}:base:commit`;
    const record: TxRecord = {
      stepId, network: "base", chainId: 8453, from: "0x01", nonce: 0, status: "SUBMITTED", reorgs: 0, version: 2, updatedAt: signedAt,
      attempts: [{ hash: "0xa1", raw: "0x", maxFeePerGas: "1", maxPriorityFeePerGas: "1", reason: "initial", signedAt }],
    };
    const deps = h.deps({ monitoring: { gasHistory: h.gasHistory, journal: journalWith(record) } });
    const commit = h.scheduler.takeNext()!;
    h.clock.ms += ALERT_THRESHOLDS.txStuckAfterMs + 1_000;
    expect((await watchdogSweep(deps)).stuck).toEqual([stepId]);

    // Act: the commit goes through, then the next batch
    await runStep(commit, deps);
    const apply0 = h.scheduler.takeNext()!;
    h.clock.ms = Math.max(h.clock.ms, apply0.runAtMs);
    await runStep(apply0, deps);

    // Assess
    const stuck = h.alerts.alerts.filter((a) => a.type === "tx-stuck");
    expect(stuck.map((a) => a.status)).toEqual(["raised", "resolved"]);
    expect(stuck[1]).toMatchObject({ network: "base", proposalId: proposal.id, severity: "info" });
    expect(stuck[1]!.message).toContain(stepId);
  });
});
