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
  it("flushes an invocation that stored no metric silently, and one that did as one EMF record", async () => {
    // Prepare
    const warnings: unknown[] = [];
    // Powertools writes its warnings through a Console of its own on the process's streams.
    vi.spyOn(console, "warn").mockImplementation((...args) => void warnings.push(args));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (warnings.push(String(chunk)), true));
    const { count, flushMetrics } = await import("../src/observability.js");

    // Act
    flushMetrics();
    const silent = [...lines];
    count("watchdog.checked", 3);
    flushMetrics();

    // Assess
    expect({ warnings, silent: silent.filter((l) => l.includes("metrics")) }).toEqual({ warnings: [], silent: [] });
    expect(emfRecords()).toEqual([expect.objectContaining({ names: ["watchdog.checked"], values: expect.objectContaining({ "watchdog.checked": 3 }) })]);
  });

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

  it("publishes StepOutcomes by network and outcome, and PlannedGas by step and network, nothing else attached", async () => {
    // Prepare
    const { recordPlannedGas, recordStepOutcome } = await import("../src/observability.js");
    // Act
    recordStepOutcome("base", "rescheduled");
    recordPlannedGas("apply", "base", 2_291_630);
    // Assess
    expect(emfRecords()).toEqual([
      { names: [MetricName.STEP_OUTCOMES], dimensions: [["network", "outcome"]], namespace: "PayRox", values: expect.objectContaining({ StepOutcomes: 1, network: "base", outcome: "rescheduled" }) },
      { names: [MetricName.PLANNED_GAS], dimensions: [["step", "network"]], namespace: "PayRox", values: expect.objectContaining({ PlannedGas: 2_291_630, step: "apply", network: "base" }) },
    ]);
  });

  it("names the alarmed alert types: the four seed ones, every out-of-band dispatcher event family, audit tampering, a retired signer, a commit without quorum and a held all-or-none rollout", () => {
    expect(ALARMED_ALERT_TYPES).toEqual([
      "late-activation", "codehash-mismatch", "unauthorized", "gas-spike",
      "out-of-band-role-change", "out-of-band-admin-transfer", "out-of-band-delay-change", "out-of-band-pause", "out-of-band-selector-disabled", "out-of-band-commit", "out-of-band-cancel",
      "audit-tampered", "unauthorized-signer", "commit-without-quorum", "all-or-none-held",
    ]);
  });
});

describe("MeteredAlertSink", () => {
  it("counts a delivered raised alert by type and not its resolution", async () => {
    // Prepare
    const counted: string[] = [];
    const delivered: Alert[] = [];
    const sink = new MeteredAlertSink({ raise: async (a) => void delivered.push(a) }, (type) => counted.push(type));
    const raised: Alert = { id: alertId("k", "raised"), dedupeKey: "k", type: "unauthorized", status: "raised", severity: "critical", message: "m", atMs: 1, runbook: "packages/core/RUNBOOKS.md#unauthorized" };
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
    await expect(sink.raise({ id: "x", dedupeKey: "k", type: "gas-spike", status: "raised", severity: "warning", message: "m", atMs: 1, runbook: "packages/core/RUNBOOKS.md#gas-spike" })).rejects.toThrow(/bus down/);
    expect(counted).toEqual([]);
  });
});

describe("readEnv › alert webhooks", () => {
  const base = {
    [ENV.TABLE_NAME]: "t", [ENV.SCHEDULER_GROUP]: "g", [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/s", [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq", [ENV.EVENT_BUS_NAME]: "b", [ENV.APPROVAL_POLICY]: '{"approvals":"none"}', [ENV.DEPLOYMENT_ID]: "payrox-test",
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

describe("readEnv › PagerDuty, Slack and runbooks", () => {
  const base = {
    [ENV.TABLE_NAME]: "t", [ENV.SCHEDULER_GROUP]: "g", [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/s", [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq", [ENV.EVENT_BUS_NAME]: "b", [ENV.APPROVAL_POLICY]: '{"approvals":"none"}', [ENV.DEPLOYMENT_ID]: "payrox-test",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
  };
  const KEY = "R0UT1NGKEY0123456789abcdefABCDEF";

  it("reads the destinations, with PagerDuty's US endpoint by default, and none when unset", () => {
    // Act
    const none = readEnv(base);
    const all = readEnv({ ...base, [ENV.PAGERDUTY_ROUTING_KEY]: KEY, [ENV.SLACK_WEBHOOK_URL]: "https://hooks.slack.com/services/T1/B2/abc", [ENV.RUNBOOK_BASE_URL]: "https://git.example/RUNBOOKS.md" });
    // Assess
    expect([none.pagerDuty, none.slackWebhookUrl, none.runbookBaseUrl]).toEqual([undefined, undefined, undefined]);
    expect(all).toMatchObject({ pagerDuty: { routingKey: KEY, eventsUrl: "https://events.pagerduty.com/v2/enqueue" }, slackWebhookUrl: "https://hooks.slack.com/services/T1/B2/abc", runbookBaseUrl: "https://git.example/RUNBOOKS.md" });
  });

  it.each([
    [ENV.PAGERDUTY_ROUTING_KEY, { [ENV.PAGERDUTY_ROUTING_KEY]: "not-a-key-but-a-secret-value" }],
    [ENV.SLACK_WEBHOOK_URL, { [ENV.SLACK_WEBHOOK_URL]: "http://hooks.slack.com/services/T1/B2/not-https" }],
    [ENV.PAGERDUTY_EVENTS_URL, { [ENV.PAGERDUTY_EVENTS_URL]: "https://events.eu.pagerduty.com/v2/enqueue" }],
    [ENV.RUNBOOK_BASE_URL, { [ENV.RUNBOOK_BASE_URL]: "https://x.example/R.md#anchor" }],
  ])("refuses a bad %s with a typed error naming it, never echoing the value", (variable, bad) => {
    // Act
    const attempt = () => readEnv({ ...base, ...bad });
    // Assess
    expect(attempt).toThrow(EnvConfigError);
    expect(attempt).toThrow(variable);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain("secret-value");
      expect((error as Error).message).not.toContain("not-https");
    }
  });
});

describe("PagerDutyDestination / SlackDestination", () => {
  it("refuse unusable settings with AlertDestinationConfigError naming the field", async () => {
    const { AlertDestinationConfigError, PagerDutyDestination, SlackDestination } = await import("@payrox/aws");
    expect(() => new PagerDutyDestination({ routingKey: "short" })).toThrow(AlertDestinationConfigError);
    expect(() => new PagerDutyDestination({ routingKey: "R0UT1NGKEY0123456789abcdefABCDEF", eventsUrl: "http://events.example.com/v2/enqueue" })).toThrow(/eventsUrl/);
    expect(() => new SlackDestination({ webhookUrl: "ftp://x" })).toThrow(/Slack alert destination webhookUrl/);
  });
});
