import { alertId, DedupingAlertSink, type Alert, type Incident } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DynamoAlertDeadLetters, DynamoAlertDeliveries, DynamoChainCursorStore, DynamoGasHistory, DynamoIncidentLedger, StoreInputError } from "../../src/index.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("monitoring-store-test");

function incident(dedupeKey: string): Incident {
  return { dedupeKey, type: "codehash-mismatch", severity: "critical", network: "base", proposalId: "p1", alertId: alertId(dedupeKey, "raised"), status: "open", openedAtMs: 1 };
}

function alert(dedupeKey: string, status: Alert["status"] = "raised"): Alert {
  return { ...incident(dedupeKey), id: alertId(dedupeKey, status), status, message: "m", atMs: status === "raised" ? 1 : 2, runbook: "packages/core/RUNBOOKS.md#codehash-mismatch" };
}

describe("DynamoIncidentLedger", () => {
  it("opens an incident once across concurrent writers and resolves it once", async () => {
    // Prepare
    const ledger = new DynamoIncidentLedger(db.options);
    const key = "codehash-mismatch:p1:base";
    // Act
    const opened = await Promise.all(Array.from({ length: 10 }, () => ledger.open(incident(key))));
    const resolved = await Promise.all([ledger.resolve(key, 5), ledger.resolve(key, 6)]);
    // Assess
    expect(opened.filter(Boolean)).toHaveLength(1);
    expect(resolved.filter(Boolean)).toHaveLength(1);
    expect(await ledger.get(key)).toMatchObject({ type: "codehash-mismatch", status: "resolved", network: "base" });
    expect(await ledger.open(incident(key))).toBe(false);
  });

  it("lets a released incident (failed delivery) open again, and resolves nothing unknown", async () => {
    const ledger = new DynamoIncidentLedger(db.options);
    await ledger.open(incident("late-activation:p2:base"));
    await ledger.revert("late-activation:p2:base", "released");
    expect(await ledger.open(incident("late-activation:p2:base"))).toBe(true);
    expect(await ledger.resolve("late-activation:none:base", 1)).toBeUndefined();
  });

  it("dedupes a DedupingAlertSink across two processes sharing the table", async () => {
    // Prepare
    const delivered: Alert[] = [];
    const sink = { raise: async (a: Alert) => void delivered.push(a) };
    const a = new DedupingAlertSink({ ledger: new DynamoIncidentLedger(db.options), sink });
    const b = new DedupingAlertSink({ ledger: new DynamoIncidentLedger(db.options), sink });
    // Act
    await Promise.all([a.raise(alert("unauthorized:base:0x1:RootCommitted:0")), b.raise(alert("unauthorized:base:0x1:RootCommitted:0"))]);
    await b.raise(alert("unauthorized:base:0x1:RootCommitted:0"));
    // Assess
    expect(delivered).toHaveLength(1);
  });

  it("writes an incident's pending deliveries in the same transaction, and none when the incident was open already", async () => {
    // Prepare
    const ledger = new DynamoIncidentLedger(db.options);
    const deliveries = new DynamoAlertDeliveries(db.options);
    const key = "drift:p9:base";
    const pending = (owner: string) => ({ alert: alert(key), destinations: ["pagerduty", "slack"], owner, leaseMs: 60_000, nowMs: 10 });
    // Act
    const first = await ledger.open(incident(key), pending("first"));
    const second = await ledger.open(incident(key), pending("second"));
    // Assess
    expect([first, second]).toEqual([true, false]);
    for (const destination of ["pagerduty", "slack"]) {
      expect(await deliveries.get(alert(key).id, destination)).toMatchObject({ status: "pending", attempts: 1, leaseOwner: "first", leaseExpiresAtMs: 60_010 });
    }
    expect(await deliveries.listDue(60_009, 10)).toEqual([]);
    expect((await deliveries.listDue(60_010, 10)).map((d) => d.destination).sort()).toEqual(["pagerduty", "slack"]);
  });

  it("lists incidents newest opened first, with the raised alert's message, evidence and runbook, resolved ones too", async () => {
    // Prepare
    const ledger = new DynamoIncidentLedger(db.options);
    const older = { ...incident("list:older"), openedAtMs: 9_000_000_000_001, message: "older", evidence: { values: { expected: "0xaa", actual: "0xbb" } }, runbook: "r#a" };
    const newer = { ...incident("list:newer"), openedAtMs: 9_000_000_000_002, message: "newer" };
    await ledger.open(older);
    await ledger.open(newer);
    await ledger.resolve("list:older", 9_000_000_000_003);
    // Act
    const listed = await ledger.listIncidents({ limit: 2 });
    // Assess
    expect(listed.map((i) => i.dedupeKey)).toEqual(["list:newer", "list:older"]);
    expect(listed[1]).toEqual({ ...older, status: "resolved", resolvedAtMs: 9_000_000_000_003 });
    await expect(ledger.listIncidents({ limit: 0 })).rejects.toBeInstanceOf(StoreInputError);
  });

  it("refuses a dedupe key with the key separator", async () => {
    await expect(new DynamoIncidentLedger(db.options).open(incident("a#b"))).rejects.toBeInstanceOf(StoreInputError);
  });
});

describe("DynamoGasHistory", () => {
  it("keeps the newest samples up to its capacity, oldest first, and ignores a known tx hash", async () => {
    // Prepare
    const history = new DynamoGasHistory({ ...db.options, capacity: 3 });
    // Act
    for (let i = 1; i <= 5; i++) await history.add("base", "commit", { txHash: `0x${i}`, gas: String(i * 1000), atMs: i });
    await history.add("base", "commit", { txHash: "0x5", gas: "999999", atMs: 6 });
    // Assess
    expect((await history.recent("base", "commit")).map((s) => s.gas)).toEqual(["3000", "4000", "5000"]);
    expect(await history.recent("base", "apply")).toEqual([]);
  });

  it("loses no sample to concurrent appends", async () => {
    const history = new DynamoGasHistory({ ...db.options, capacity: 20 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => history.add("ethereum", "apply", { txHash: `0xc${i}`, gas: "27000", atMs: i })));
    expect(await history.recent("ethereum", "apply")).toHaveLength(8);
  });

  it("refuses a sample that is not a decimal gas amount", async () => {
    await expect(new DynamoGasHistory(db.options).add("base", "commit", { txHash: "0x1", gas: "-5", atMs: 1 })).rejects.toBeInstanceOf(StoreInputError);
  });
});

describe("DynamoChainCursorStore", () => {
  it("stores and replaces a network's cursor", async () => {
    const cursors = new DynamoChainCursorStore(db.options);
    expect(await cursors.get("devnet-1")).toBeUndefined();
    await cursors.put({ network: "devnet-1", blockNumber: 10, blockHash: "0xa", updatedAtMs: 1 });
    await cursors.put({ network: "devnet-1", blockNumber: 12, blockHash: "0xb", updatedAtMs: 2 });
    expect(await cursors.get("devnet-1")).toEqual({ network: "devnet-1", blockNumber: 12, blockHash: "0xb", updatedAtMs: 2 });
  });
});

describe("DynamoAlertDeadLetters", () => {
  it("lists dead letters newest first with the whole alert", async () => {
    const letters = new DynamoAlertDeadLetters(db.options);
    await letters.put({ alert: alert("gas-spike:base:0x1"), endpoint: "ops", attempts: 6, lastStatus: 500, lastError: "HTTP 500", atMs: 10 });
    await letters.put({ alert: alert("gas-spike:base:0x2"), endpoint: "ops", attempts: 1, lastError: "fetch failed", atMs: 20 });
    const listed = await letters.list();
    expect(listed.map((l) => l.alert.dedupeKey)).toEqual(["gas-spike:base:0x2", "gas-spike:base:0x1"]);
    expect(listed[1]).toMatchObject({ attempts: 6, lastStatus: 500, alert: { type: "codehash-mismatch", status: "raised" } });
  });
});
