import { describe, expect, it } from "vitest";
import type { AuditEntry, NetworkEntry, RunView } from "../../src/api-types.js";
import { buildLanes } from "../../src/views/lanes.js";

const NOW = 1_800_000_000_000;
const network = (id: string, graceSeconds = 30): NetworkEntry => ({ id, chainId: 1, kind: "mainnet", graceSeconds, confirmations: 1, blockTimeSeconds: 2, relay: { preferred: ["flashbots"], allowPublicFallback: true }, configured: true });
const run = (over: Partial<RunView>): RunView => ({ network: "ethereum", state: "APPLYING", status: "APPLYING(1/2)", batchesApplied: 1, batchCount: 2, updatedAtMs: NOW, ...over });
const entry = (seq: number, over: Partial<AuditEntry>): AuditEntry => ({ seq, event: "x", actor: "scheduler", atMs: NOW - 60_000 + seq, hash: `h${seq}`, prevHash: `h${seq - 1}`, ...over });

describe("buildLanes", () => {
  it("puts each network's commit, apply batches and activation on its lane with hash, gas and relay", () => {
    // Prepare
    const entries = [
      entry(1, { event: "commit.confirmed", network: "ethereum", txHash: "0xc", gasUsed: "96171" }),
      entry(2, { event: "apply.confirmed", network: "ethereum", txHash: "0xa1", gasUsed: "4000000", details: { batch: 0, batchCount: 2 } }),
      entry(3, { event: "apply.confirmed", network: "base", txHash: "0xb1", details: { batch: 0, batchCount: 2 } }),
      entry(4, { event: "run.activated", network: "ethereum", txHash: "0xe", gasUsed: "120000", details: { latenessSeconds: 1 } }),
    ];
    // Act
    const [lane] = buildLanes([run({ state: "ACTIVATED", etaMs: NOW - 1000 })], entries, new Map([["ethereum", network("ethereum")]]), new Map([["ethereum", 3600]]), NOW);
    // Assess
    expect(lane!.steps.map((s) => [s.kind, s.label, s.txHash, s.gasUsed])).toEqual([
      ["commit", "commit", "0xc", "96171"],
      ["apply", "apply batch 1/2", "0xa1", "4000000"],
      ["activate", "activation", "0xe", "120000"],
    ]);
    expect(lane).toMatchObject({ relay: "flashbots (public fallback)", expiresAtMs: NOW - 1000 + 3_600_000 });
    expect(lane!.alert).toBeUndefined();
  });

  it("explains a failed lane with the failure's code, message and evidence", () => {
    // Prepare
    const failed = entry(5, { event: "run.failed", network: "ethereum", details: { code: "codehash-mismatch", message: "apply reverted", expected: "0xaa", actual: "0xbb" } });
    // Act
    const [lane] = buildLanes([run({ state: "FAILED", failure: { code: "codehash-mismatch", message: "apply reverted" } })], [failed], new Map([["ethereum", network("ethereum")]]), new Map(), NOW);
    // Assess
    expect(lane!.alert).toEqual({ tone: "bad", code: "codehash-mismatch", message: "apply reverted", evidence: [["expected", "0xaa"], ["actual", "0xbb"]] });
  });

  it("flags a run past its activation time and grace as late, in words, and one within grace not at all", () => {
    // Act
    const [late, onTime] = buildLanes(
      [run({ network: "ethereum", activateAtMs: NOW - 95_000 }), run({ network: "base", activateAtMs: NOW - 10_000 })],
      [],
      new Map([["ethereum", network("ethereum", 60)], ["base", network("base", 30)]]),
      new Map(),
      NOW,
    );
    // Assess
    expect(late!.alert).toMatchObject({ tone: "warn", code: "late", message: expect.stringContaining("not activated 95 s after its time (grace 60 s)") });
    expect(onTime!.alert).toBeUndefined();
  });
});
