import { describe, expect, it } from "vitest";
import {
  accessControlRevertRule, ALERT_THRESHOLDS, applyGasSpikeRule, AlertRuleInputError, activationNotReadyRule, codehashMismatchRule, createRun, DEFAULT_ADMIN_ROLE, eventMeaning, gasSpikeRule,
  lateActivationRule, median, narrowedSpan, outOfBandTransactionAlerts, planScan, runFailedRule, txStuckRule, type DispatcherEvent, type Run, type TxRecord,
} from "../../../src/index.js";

const T0 = 1_800_000_000_000;
const GRACE = 30;

function appliedRun(overrides: Partial<Run> = {}): Run {
  return { ...createRun({ proposalId: "p1", network: "base", batchCount: 1, nowMs: T0 }), state: "APPLIED", etaMs: T0, activateAtMs: T0, ...overrides };
}

describe("lateActivationRule", () => {
  it("raises nothing at exactly activateAt + grace + 300 s", () => {
    // Prepare
    const deadline = T0 + GRACE * 1000 + 300_000;
    // Act
    const alert = lateActivationRule(appliedRun(), GRACE, deadline);
    // Assess
    expect(alert).toBeUndefined();
  });

  it("raises one warning one second after activateAt + grace + 300 s", () => {
    const alert = lateActivationRule(appliedRun(), GRACE, T0 + GRACE * 1000 + 300_000 + 1_000);
    expect(alert).toMatchObject({ type: "late-activation", severity: "warning", dedupeKey: "late-activation:p1:base", network: "base", proposalId: "p1", evidence: { values: { lateSeconds: 331 } } });
  });

  it("uses the network's grace: 120 s on a Polygon-like network is not late at 400 s", () => {
    expect(lateActivationRule(appliedRun(), 120, T0 + 400_000)).toBeUndefined();
    expect(lateActivationRule(appliedRun(), 60, T0 + 400_000)).toBeDefined();
  });

  it("raises nothing for an activated run or one without an activation time", () => {
    expect(lateActivationRule(appliedRun({ state: "ACTIVATED" }), GRACE, T0 + 10_000_000)).toBeUndefined();
    expect(lateActivationRule(appliedRun({ state: "PROPOSED", activateAtMs: undefined }), GRACE, T0 + 10_000_000)).toBeUndefined();
  });
});

describe("activationNotReadyRule", () => {
  it("warns with the ETA and the chain's time when an activation comes early", () => {
    const alert = activationNotReadyRule(appliedRun(), 1_800_000_060, 1_800_000_000);
    expect(alert).toMatchObject({ type: "activation-not-ready", severity: "warning", evidence: { values: { etaSeconds: 1_800_000_060, chainNowSeconds: 1_800_000_000 } } });
    expect(alert.message).toMatch(/60 s before its ETA/);
  });
});

describe("codehashMismatchRule", () => {
  it("is critical and names the facet and both hashes", () => {
    const alert = codehashMismatchRule(appliedRun(), "activate", ["0xFacet", "0xaaa", "0xbbb"]);
    expect(alert).toMatchObject({ type: "codehash-mismatch", severity: "critical", dedupeKey: "codehash-mismatch:p1:base", evidence: { values: { facet: "0xFacet", expected: "0xaaa", actual: "0xbbb", step: "activate" } } });
  });
});

describe("accessControlRevertRule", () => {
  it("raises a critical unauthorized alert for AccessControlUnauthorizedAccount and nothing for other reverts", () => {
    expect(accessControlRevertRule(appliedRun(), "commit", { name: "AccessControlUnauthorizedAccount", args: ["0xabc", "0xrole"] })).toMatchObject({ type: "unauthorized", severity: "critical", evidence: { values: { account: "0xabc", role: "0xrole" } } });
    expect(accessControlRevertRule(appliedRun(), "commit", { name: "InvalidProof", args: [] })).toBeUndefined();
  });
});

describe("gasSpikeRule", () => {
  const baseline = [100_000n, 90_000n, 110_000n, 100_000n, 105_000n];
  const judge = (gasUsed: bigint, samples = baseline) => gasSpikeRule({ network: "base", step: "commit", gasUsed, baseline: samples, txHash: "0x01" });

  it("raises nothing at exactly 1.5 × the median", () => {
    expect(median(baseline)).toBe(100_000n);
    expect(judge(150_000n)).toBeUndefined();
  });

  it("raises one warning at 1.5 × the median + 1 gas", () => {
    expect(judge(150_001n)).toMatchObject({ type: "gas-spike", severity: "warning", dedupeKey: "gas-spike:base:0x01", evidence: { txHash: "0x01", values: { gasUsed: "150001", baseline: "100000", samples: 5 } } });
  });

  it("judges only the last N samples", () => {
    const old = Array<bigint>(20).fill(10_000n);
    expect(judge(150_001n, [...old, ...Array<bigint>(ALERT_THRESHOLDS.gasBaselineSamples).fill(100_000n)])).toBeDefined();
    expect(judge(150_000n, [...old, ...Array<bigint>(ALERT_THRESHOLDS.gasBaselineSamples).fill(100_000n)])).toBeUndefined();
  });

  it("judges nothing with fewer than the minimum samples", () => {
    expect(judge(10_000_000n, baseline.slice(0, ALERT_THRESHOLDS.gasMinSamples - 1))).toBeUndefined();
  });

  it("refuses negative gas with a typed error", () => {
    expect(() => judge(-1n)).toThrow(AlertRuleInputError);
  });
});

describe("applyGasSpikeRule", () => {
  const judge = (gasUsed: bigint, estimatedGas = 100_000) => applyGasSpikeRule({ network: "base", batch: 2, gasUsed, estimatedGas, txHash: "0x01", proposalId: "p1" });

  it("raises nothing at exactly 1.5 × the batch's estimate", () => {
    expect(judge(150_000n)).toBeUndefined();
  });

  it("raises one warning naming the batch at 1.5 × its estimate + 1 gas", () => {
    expect(judge(150_001n)).toMatchObject({ type: "gas-spike", severity: "warning", dedupeKey: "gas-spike:base:0x01", proposalId: "p1", evidence: { txHash: "0x01", values: { step: "apply", batch: 2, gasUsed: "150001", estimatedGas: "100000" } } });
  });

  it("raises nothing for a 1-leaf batch whose gas per leaf is 4 × a full batch's when it is within its own estimate", () => {
    expect(judge(68_653n, 75_000)).toBeUndefined();
  });

  it("refuses negative gas and a non-positive estimate with a typed error", () => {
    expect(() => judge(-1n)).toThrow(AlertRuleInputError);
    expect(() => judge(1n, 0)).toThrow(AlertRuleInputError);
  });
});

describe("median", () => {
  it("takes the lower middle of an even count and refuses no samples", () => {
    expect(median([4n, 1n, 3n, 2n])).toBe(2n);
    expect(() => median([])).toThrow(AlertRuleInputError);
  });
});

describe("txStuckRule", () => {
  const signedAt = new Date(T0).toISOString();
  const record = (status: TxRecord["status"]): TxRecord => ({
    stepId: "p1:base:apply:0", network: "base", chainId: 8453, from: "0x01", nonce: 7, status, reorgs: 0, version: 3, updatedAt: signedAt,
    attempts: [{ hash: "0xa1", raw: "0x", maxFeePerGas: "1", maxPriorityFeePerGas: "1", reason: "initial", signedAt }, { hash: "0xa2", raw: "0x", maxFeePerGas: "2", maxPriorityFeePerGas: "1", reason: "replacement", signedAt }],
  });

  it("raises nothing at exactly the budget and one warning one second later", () => {
    expect(txStuckRule(record("SUBMITTED"), T0 + ALERT_THRESHOLDS.txStuckAfterMs)).toBeUndefined();
    expect(txStuckRule(record("SUBMITTED"), T0 + ALERT_THRESHOLDS.txStuckAfterMs + 1_000, "p1")).toMatchObject({ type: "tx-stuck", proposalId: "p1", evidence: { txHash: "0xa2", values: { attempts: 2, nonce: 7 } } });
  });

  it("raises nothing for a mined transaction", () => {
    expect(txStuckRule(record("MINED"), T0 + 10 * ALERT_THRESHOLDS.txStuckAfterMs)).toBeUndefined();
  });

  it("refuses a record whose signing time is not a time", () => {
    const bad = record("SUBMITTED");
    bad.attempts[0]!.signedAt = "yesterday";
    expect(() => txStuckRule(bad, T0)).toThrow(AlertRuleInputError);
  });
});

describe("runFailedRule", () => {
  it("carries the failure code", () => {
    expect(runFailedRule(appliedRun(), "InvalidProof", "apply reverted")).toMatchObject({ type: "run-failed", dedupeKey: "run-failed:p1:base", evidence: { values: { code: "InvalidProof" } } });
  });
});

describe("planScan", () => {
  const head = { number: 5_000, hash: "0xhead" };
  const cursor = { network: "base", blockNumber: 4_000, blockHash: "0xc", updatedAtMs: T0 };

  it("starts initialLookbackBlocks behind the head without a cursor", () => {
    expect(planScan(undefined, undefined, head, { initialLookbackBlocks: 100 })).toEqual({ from: 4_901, to: 5_000, reorged: false });
  });

  it("continues after a canonical cursor, bounded by maxBlocksPerSweep", () => {
    expect(planScan(cursor, "0xC", head, { maxBlocksPerSweep: 500 })).toEqual({ from: 4_001, to: 4_500, reorged: false });
  });

  it("reads only blocks with the network's confirmations, or the configured ones", () => {
    expect(planScan(cursor, "0xc", head, {}, 3)).toEqual({ from: 4_001, to: 4_998, reorged: false });
    expect(planScan(cursor, "0xc", head, { confirmations: 12 }, 3)).toEqual({ from: 4_001, to: 4_989, reorged: false });
    expect(planScan(undefined, undefined, head, { initialLookbackBlocks: 100 }, 3)).toEqual({ from: 4_899, to: 4_998, reorged: false });
    // A cursor already at the confirmed head reads nothing (an empty range).
    expect(planScan({ ...cursor, blockNumber: 4_998 }, "0xc", head, {}, 3)).toMatchObject({ from: 4_999, to: 4_998 });
  });

  it("steps back reorgDepth blocks when the cursor's block is no longer canonical", () => {
    expect(planScan(cursor, "0xother", head, { reorgDepth: 10 })).toEqual({ from: 3_991, to: 5_000, reorged: true });
    expect(planScan({ ...cursor, blockNumber: 3 }, undefined, head, { reorgDepth: 10 })).toMatchObject({ from: 0, reorged: true });
  });

  it("refuses a non-positive bound or confirmation count with a typed error", () => {
    expect(() => planScan(cursor, "0xc", head, { maxBlockRange: 0 })).toThrow(AlertRuleInputError);
    expect(() => planScan(cursor, "0xc", head, {}, 0)).toThrow(AlertRuleInputError);
    expect(() => planScan(cursor, "0xc", head, { confirmations: 1.5 })).toThrow(AlertRuleInputError);
  });
});

describe("narrowedSpan", () => {
  it("halves a refused range and gives up at one block", () => {
    expect(narrowedSpan(10, 109)).toBe(50);
    expect(narrowedSpan(10, 12)).toBe(1);
    expect(narrowedSpan(10, 11)).toBe(1);
    expect(narrowedSpan(10, 10)).toBeUndefined();
  });
});

describe("eventMeaning", () => {
  it("gives each family of privileged events its own alert type", () => {
    const typeOf = (name: string, args: Record<string, string> = {}) => eventMeaning({ name, args }).type;
    expect(typeOf("RoleGranted", { role: `0x${"11".repeat(32)}` })).toBe("out-of-band-role-change");
    expect(typeOf("RoleRevoked", { role: `0x${"11".repeat(32)}` })).toBe("out-of-band-role-change");
    expect(typeOf("RoleGranted", { role: DEFAULT_ADMIN_ROLE })).toBe("out-of-band-admin-transfer");
    expect(typeOf("DefaultAdminTransferScheduled")).toBe("out-of-band-admin-transfer");
    expect(typeOf("ActivationDelayChangeScheduled")).toBe("out-of-band-delay-change");
    expect(typeOf("Paused")).toBe("out-of-band-pause");
    expect(typeOf("Unpaused")).toBe("out-of-band-pause");
    expect(typeOf("SelectorDisabled")).toBe("out-of-band-selector-disabled");
    expect(typeOf("RootCommitted")).toBe("out-of-band-commit");
    expect(typeOf("RootCancelled")).toBe("out-of-band-cancel");
    expect(eventMeaning({ name: "unknown", args: {} })).toMatchObject({ type: "unauthorized", severity: "critical" });
  });

  it("rates a weakening change critical and a strengthening or withdrawn one a warning", () => {
    expect(eventMeaning({ name: "ActivationDelayChangeScheduled", args: { newDelay: "1", effectSchedule: "9" } }).severity).toBe("critical");
    expect(eventMeaning({ name: "ActivationDelaySet", args: { previousDelay: "60", newDelay: "120" } }).severity).toBe("warning");
    expect(eventMeaning({ name: "DefaultAdminTransferCanceled", args: {} }).severity).toBe("warning");
  });
});

describe("outOfBandTransactionAlerts", () => {
  const event: DispatcherEvent = { network: "base", name: "RootCommitted", args: { root: "0xr", epoch: "2" }, txHash: "0xTX", from: "0xOutsider", blockNumber: 9, blockHash: "0xb", logIndex: 3 };
  const outsider = { fromPayRoxSigner: false };

  it("raises a critical out-of-band-commit alert with the event as evidence, keyed by transaction and content", () => {
    const [alert, ...rest] = outOfBandTransactionAlerts([event], outsider);
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      type: "out-of-band-commit", severity: "critical", network: "base", dedupeKey: "out-of-band-commit:base:0xtx:RootCommitted:0",
      evidence: { txHash: "0xTX", blockNumber: 9, values: { event: "RootCommitted", from: "0xOutsider", root: "0xr", epoch: "2", fromPayRoxSigner: false, blockHash: "0xb", logIndex: 3 } },
    });
    expect(alert!.message).toMatch(/root 0xr committed at epoch 2 .* PayRox did not send .*0xOutsider/);
  });

  it("keeps the key when a reorg moves the transaction to another block and log index", () => {
    const moved = { ...event, blockNumber: 10, blockHash: "0xother", logIndex: 0 };
    expect(outOfBandTransactionAlerts([moved], outsider)[0]!.dedupeKey).toBe(outOfBandTransactionAlerts([event], outsider)[0]!.dedupeKey);
  });

  it("numbers same-named events of one transaction, one alert each", () => {
    const role = (account: string): DispatcherEvent => ({ ...event, name: "RoleGranted", args: { role: `0x${"11".repeat(32)}`, account, sender: "0xOutsider" } });
    const keys = outOfBandTransactionAlerts([role("0xa"), role("0xb")], outsider).map((a) => a.dedupeKey);
    expect(keys).toEqual(["out-of-band-role-change:base:0xtx:RoleGranted:0", "out-of-band-role-change:base:0xtx:RoleGranted:1"]);
  });

  it("gives every event of one outside chunked cancel the same incident, across its transactions", () => {
    // Prepare: an outsider cancels root 0xR (epoch 4) in two transactions
    const cancel = (name: string, txHash: string, args: Record<string, string>): DispatcherEvent => ({ ...event, name, txHash, args: { root: "0xR", epoch: "4", ...args } });
    // Act
    const first = outOfBandTransactionAlerts([cancel("CancelStarted", "0xT1", {}), cancel("RoutesUnstaged", "0xT1", { count: "3", remaining: "2" })], outsider);
    const second = outOfBandTransactionAlerts([cancel("RoutesUnstaged", "0xT2", { count: "2", remaining: "0" }), cancel("RootCancelled", "0xT2", {})], outsider);
    // Assess
    expect([...first, ...second].map((a) => a.dedupeKey)).toEqual(["out-of-band-cancel:base:cancel:0xr:4", "out-of-band-cancel:base:cancel:0xr:4"]);
    expect(first[0]).toMatchObject({ type: "out-of-band-cancel", evidence: { values: { event: "CancelStarted" } } });
  });

  it("makes an accepted admin transfer (revoke + grant of DEFAULT_ADMIN_ROLE in one transaction) one incident", () => {
    const admin = (name: string, account: string): DispatcherEvent => ({ ...event, name, args: { role: DEFAULT_ADMIN_ROLE, account, sender: "0xnew" } });
    const alerts = outOfBandTransactionAlerts([admin("RoleRevoked", "0xold"), admin("RoleGranted", "0xnew")], outsider);
    expect(alerts).toEqual([expect.objectContaining({ type: "out-of-band-admin-transfer", severity: "critical", dedupeKey: "out-of-band-admin-transfer:base:0xtx:admin-accepted", message: expect.stringContaining("admin transfer accepted: 0xold → 0xnew") })]);
  });

  it("calls a transaction from PayRox's signer that PayRox never journaled a compromised key, critical whatever it did", () => {
    const [alert] = outOfBandTransactionAlerts([{ ...event, name: "SelectorsPruned", args: { count: "0" } }], { fromPayRoxSigner: true });
    expect(alert).toMatchObject({ type: "out-of-band-commit", severity: "critical", evidence: { values: { fromPayRoxSigner: true } } });
    expect(alert!.message).toMatch(/PayRox's own signer .* compromised/);
  });
});
