/**
 * The alarmed metrics (names and exact dimension sets in the EMF output) and the metered alert sink.
 * No network: EMF is written to stdout, which the test captures.
 */
import { alertId, type Alert } from "@payrox/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ENV, readEnv, EnvConfigError } from "../src/env.js";
import { MeteredAlertSink } from "../src/alerting.js";
import { ALARMED_ALERT_TYPES, METRIC_NAMESPACE, MetricName } from "../src/metric-names.js";

let lines: string[];

beforeEach(() => {
  lines = [];
  const capture = (chunk: unknown) => void lines.push(String(chunk));
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (capture(chunk), true));
  vi.spyOn(console, "log").mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Each EMF record written: the metric names and dimension sets it declares, and its values. */
function emfRecords(): { names: string[]; dimensions: string[][]; namespace: string; values: Record<string, unknown> }[] {
  return lines.flatMap((l) => l.split("\n")).filter((l) => l.includes('"_aws"')).map((l) => {
    const record = JSON.parse(l);
    const directive = record._aws.CloudWatchMetrics[0];
    return { names: directive.Metrics.map((m: { Name: string }) => m.Name), dimensions: directive.Dimensions, namespace: directive.Namespace, values: record };
  });
}

describe("observability metrics", () => {
  it("publishes GasUsed by step and network, ActivationLatenessSeconds without dimensions and AlertsRaised by type, nothing else attached", async () => {
    // Prepare
    const { recordActivationLateness, recordAlertRaised, recordGasUsed } = await import("../src/observability.js");
    // Act
    recordGasUsed("apply", "base", 123_456n);
    recordActivationLateness(4);
    recordAlertRaised("gas-spike");
    // Assess
    expect(emfRecords()).toEqual([
      { names: [MetricName.GAS_USED], dimensions: [["step", "network"]], namespace: METRIC_NAMESPACE, values: expect.objectContaining({ GasUsed: 123_456, step: "apply", network: "base" }) },
      { names: [MetricName.ACTIVATION_LATENESS_SECONDS], dimensions: [], namespace: "PayRox", values: expect.objectContaining({ ActivationLatenessSeconds: 4 }) },
      { names: [MetricName.ALERTS_RAISED], dimensions: [["type"]], namespace: "PayRox", values: expect.objectContaining({ AlertsRaised: 1, type: "gas-spike" }) },
    ]);
  });

  it("names the six alarmed alert types", () => {
    expect(ALARMED_ALERT_TYPES).toEqual(["late-activation", "codehash-mismatch", "unauthorized", "gas-spike", "audit-tampered", "unauthorized-signer"]);
  });
});

describe("MeteredAlertSink", () => {
  it("counts a delivered raised alert by type and not its resolution", async () => {
    // Prepare
    const counted: string[] = [];
    const delivered: Alert[] = [];
    const sink = new MeteredAlertSink({ raise: async (a) => void delivered.push(a) }, (type) => counted.push(type));
    const raised: Alert = { id: alertId("k", "raised"), dedupeKey: "k", type: "unauthorized", status: "raised", severity: "critical", message: "m", atMs: 1 };
    // Act
    await sink.raise(raised);
    await sink.raise({ ...raised, status: "resolved", id: alertId("k", "resolved") });
    // Assess
    expect(delivered).toHaveLength(2);
    expect(counted).toEqual(["unauthorized"]);
  });

  it("counts nothing when delivery fails", async () => {
    const counted: string[] = [];
    const sink = new MeteredAlertSink({ raise: async () => Promise.reject(new Error("bus down")) }, (type) => counted.push(type));
    await expect(sink.raise({ id: "x", dedupeKey: "k", type: "gas-spike", status: "raised", severity: "warning", message: "m", atMs: 1 })).rejects.toThrow(/bus down/);
    expect(counted).toEqual([]);
  });
});

describe("readEnv › alert webhooks", () => {
  const base = {
    [ENV.TABLE_NAME]: "t", [ENV.SCHEDULER_GROUP]: "g", [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/s", [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq", [ENV.EVENT_BUS_NAME]: "b",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
  };

  it("reads the endpoints and defaults to none", () => {
    expect(readEnv(base).alertWebhooks).toEqual([]);
    const endpoints = [{ id: "ops", url: "https://hooks.example.com/payrox", secret: "0123456789abcdef-secret" }];
    expect(readEnv({ ...base, [ENV.ALERT_WEBHOOKS]: JSON.stringify(endpoints) }).alertWebhooks).toEqual(endpoints);
  });

  it("names the variable when an endpoint is malformed", () => {
    const attempt = () => readEnv({ ...base, [ENV.ALERT_WEBHOOKS]: JSON.stringify([{ id: "ops", url: "ftp://x", secret: "short" }]) });
    expect(attempt).toThrow(EnvConfigError);
    expect(attempt).toThrow(/PAYROX_ALERT_WEBHOOKS\.0\.(url|secret)/);
  });
});
