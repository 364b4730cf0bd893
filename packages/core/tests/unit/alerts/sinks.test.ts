import { describe, expect, it } from "vitest";
import { AlertDeliveryError, alertId, DedupingAlertSink, FanOutAlertSink, signWebhook, verifyWebhookSignature, WebhookSignatureError, type Alert, type AlertSink } from "../../../src/index.js";
import { InMemoryAlertSink, InMemoryIncidentLedger } from "../../support/in-memory-ports.js";

const KEY = "codehash-mismatch:p1:base";
const raised: Alert = { id: alertId(KEY, "raised"), dedupeKey: KEY, type: "codehash-mismatch", status: "raised", severity: "critical", network: "base", proposalId: "p1", message: "m", atMs: 1, runbook: "packages/core/RUNBOOKS.md#codehash-mismatch" };
const resolved: Alert = { ...raised, id: alertId(KEY, "resolved"), status: "resolved", severity: "info", atMs: 2 };

class FlakySink implements AlertSink {
  failures = 1;
  readonly delivered: Alert[] = [];
  async raise(alert: Alert): Promise<void> {
    if (this.failures-- > 0) throw new Error("endpoint down");
    this.delivered.push(alert);
  }
}

describe("DedupingAlertSink", () => {
  it("delivers one alert and one resolution per incident however often each is raised", async () => {
    // Prepare
    const inner = new InMemoryAlertSink();
    const sink = new DedupingAlertSink({ ledger: new InMemoryIncidentLedger(), sink: inner });
    // Act
    await Promise.all([sink.raise(raised), sink.raise(raised), sink.raise(raised)]);
    await sink.raise(resolved);
    await sink.raise(resolved);
    await sink.raise(raised);
    // Assess
    expect(inner.alerts.map((a) => a.status)).toEqual(["raised", "resolved"]);
    expect(new Set(inner.alerts.map((a) => a.id)).size).toBe(2);
  });

  it("drops a resolution of an incident that was never raised", async () => {
    const inner = new InMemoryAlertSink();
    await new DedupingAlertSink({ ledger: new InMemoryIncidentLedger(), sink: inner }).raise(resolved);
    expect(inner.alerts).toEqual([]);
  });

  it("reports an alert again after its delivery failed", async () => {
    // Prepare
    const flaky = new FlakySink();
    const ledger = new InMemoryIncidentLedger();
    const sink = new DedupingAlertSink({ ledger, sink: flaky });
    // Act
    await expect(sink.raise(raised)).rejects.toThrow(/endpoint down/);
    const afterFailure = (await ledger.get(KEY))!.status;
    await sink.raise(raised);
    // Assess
    expect(afterFailure).toBe("released");
    expect(flaky.delivered).toHaveLength(1);
    expect((await ledger.get(KEY))!.status).toBe("open");
  });
});

describe("FanOutAlertSink", () => {
  it("delivers to every sink and names the failed ones in a typed error", async () => {
    const ok = new InMemoryAlertSink();
    const attempt = new FanOutAlertSink([new FlakySink(), ok]).raise(raised);
    await expect(attempt).rejects.toBeInstanceOf(AlertDeliveryError);
    await expect(attempt).rejects.toThrow(/FlakySink \(endpoint down\)/);
    expect(ok.alerts).toHaveLength(1);
  });
});

describe("verifyWebhookSignature", () => {
  const body = JSON.stringify(raised);
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);
  const input = { secret: "whsec-test", body, timestamp: ts, signature: signWebhook("whsec-test", now / 1000, body), nowMs: now };

  it("accepts the signature of the body and timestamp", () => {
    expect(() => verifyWebhookSignature(input)).not.toThrow();
  });

  it.each([
    ["mismatch", { secret: "other" }],
    ["mismatch", { body: body.replace("critical", "info") }],
    ["missing", { signature: undefined }],
    ["malformed", { timestamp: "soon" }],
    ["stale", { nowMs: now + 301_000 }],
  ] as const)("refuses with problem %s when %o", (problem, change) => {
    expect(() => verifyWebhookSignature({ ...input, ...change })).toThrow(expect.objectContaining({ problem, name: WebhookSignatureError.name }));
  });
});
