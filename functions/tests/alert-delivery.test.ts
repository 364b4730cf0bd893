/**
 * Alerts reach people: the production composition (buildDeps → DurableAlertSink, DynamoDB ledger, the
 * signed webhook, PagerDuty and Slack destinations) against the real DynamoDB Local and three local
 * receivers on 127.0.0.1 that check the payload format (signature; PagerDuty Events v2 and Slack
 * schemas in zod). Time is a manual clock: leases and back-off are crossed by moving it, never by waiting.
 */
import { createTable, DynamoAlertDeadLetters, DynamoAlertDeliveries, DynamoIncidentLedger } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { ALERT_DELIVERY_DEFAULTS, alertId, AlertType, DurableAlertSink, raise, resolve, runbookUrl, runIncidentKey, type Alert, type AlertDraft, type SchedulerDeps } from "@payrox/core";
import { startPagerDutyReceiver, startSlackReceiver, startWebhookReceiver, type PagerDutyReceiver, type SlackReceiver, type WebhookReceiver } from "@payrox/devnet";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { buildDeps } from "../src/composition.js";
import { ENV, readEnv } from "../src/env.js";
import { createWatchdogHandler } from "../src/watchdog.js";

vi.hoisted(() => {
  // Before the functions' logger and metrics are built at import.
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

const SECRET = "a-webhook-secret-of-32-characters!";
const ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF";
const RUNBOOKS = "https://github.com/acme/payrox/blob/main/packages/core/RUNBOOKS.md";
const T0 = 1_900_000_000_000;
const LEASE = ALERT_DELIVERY_DEFAULTS.leaseMs;

let db: DynamoDbLocal;
let webhook: WebhookReceiver;
let pagerDuty: PagerDutyReceiver;
let slack: SlackReceiver;
let tables = 0;

beforeAll(async () => {
  db = await startDynamoDbLocal();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  webhook = await startWebhookReceiver({ secret: SECRET, toleranceSeconds: 10 * 365 * 86_400 });
  pagerDuty = await startPagerDutyReceiver({ routingKey: ROUTING_KEY });
  slack = await startSlackReceiver();
});

afterEach(async () => {
  await Promise.all([webhook.stop(), pagerDuty.stop(), slack.stop()]);
});

/** A world: a fresh table, deps as the Lambdas build them (no EventBridge), a clock the test moves. */
async function world(overrides: { routingKey?: string; maxAttempts?: number } = {}) {
  const tableName = `alert-delivery-${++tables}`;
  await createTable(db.client, tableName);
  let now = T0;
  const clock = { now: () => now };
  const env = readEnv({
    [ENV.TABLE_NAME]: tableName,
    [ENV.SCHEDULER_GROUP]: "payrox",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
    [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
    [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
    [ENV.EVENT_BUS_NAME]: "payrox",
    [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
    [ENV.DEPLOYMENT_ID]: "payrox-test",
    [ENV.ALERT_WEBHOOKS]: JSON.stringify([{ id: "ops", url: webhook.url, secret: SECRET }]),
    [ENV.PAGERDUTY_ROUTING_KEY]: overrides.routingKey ?? ROUTING_KEY,
    [ENV.PAGERDUTY_EVENTS_URL]: pagerDuty.url,
    [ENV.SLACK_WEBHOOK_URL]: slack.url,
    [ENV.RUNBOOK_BASE_URL]: RUNBOOKS,
  });
  const deps = buildDeps(env, {
    dynamoClient: db.client,
    scheduler: { schedule: async () => {}, cancel: async () => {} },
    alerts: null,
    clock,
    alertDelivery: { http: { sleep: async () => {} }, ...(overrides.maxAttempts && { policy: { maxAttempts: overrides.maxAttempts } }) },
  });
  const table = { client: db.client, tableName };
  let invocation = 0;
  return {
    deps,
    sink: deps.alerts as DurableAlertSink,
    deliveries: new DynamoAlertDeliveries(table),
    deadLetters: new DynamoAlertDeadLetters(table),
    incidents: new DynamoIncidentLedger(table),
    advance: (ms: number) => void (now += ms),
    watchdog: () => createWatchdogHandler(() => deps)({}, { awsRequestId: `watchdog-${++invocation}` }),
  };
}

const DESTINATIONS = ["webhook:ops", "pagerduty", "slack"];
const draft: AlertDraft = {
  type: AlertType.CODEHASH_MISMATCH,
  severity: "critical",
  dedupeKey: runIncidentKey(AlertType.CODEHASH_MISMATCH, "p-1", "base"),
  proposalId: "p-1",
  network: "base",
  message: "facet 0xfAce changed its code after the manifest pinned it <expected 0x11 & got 0x22>",
  evidence: { txHash: "0xabc", values: { facet: "0xfAce" } },
};

/** The raised alert of `draft` as core's `raise` builds it. */
function raisedAlert(atMs: number): Alert {
  return { ...draft, id: alertId(draft.dedupeKey, "raised"), status: "raised", atMs, runbook: runbookUrl(draft.type, RUNBOOKS) };
}

describe("watchdog redelivery", () => {
  it("re-sends an alert whose process died after the ledger write, once to each receiver", async () => {
    // Prepare: the raising process writes the ledger and dies before delivering.
    const w = await world();
    const recorded = await w.sink.record(raisedAlert(T0));
    expect(recorded.recorded).toBe(true);
    // Act 1: a sweep while the dead process's lease still holds leaves it alone.
    const early = await w.watchdog();
    // Assess 1
    expect(early.alertDeliveries.delivered).toEqual([]);
    expect([webhook.deliveries.length, pagerDuty.requests.length, slack.requests.length]).toEqual([0, 0, 0]);
    for (const id of DESTINATIONS) expect(await w.deliveries.get(raisedAlert(T0).id, id)).toMatchObject({ status: "pending", attempts: 1 });

    // Act 2: the lease expires; the next sweeps re-send, then find nothing left.
    w.advance(LEASE + 1);
    const sweep = await w.watchdog();
    w.advance(10 * LEASE);
    const later = await w.watchdog();

    // Assess 2
    expect(sweep.alertDeliveries.delivered.map((d) => d.destination).sort()).toEqual([...DESTINATIONS].sort());
    expect(later.alertDeliveries).toEqual({ delivered: [], retrying: [], failed: [] });
    expect(webhook.alerts).toEqual([raisedAlert(T0)]);
    expect(pagerDuty.events.map((e) => [e.event_action, e.dedup_key])).toEqual([["trigger", draft.dedupeKey]]);
    expect(slack.messages).toHaveLength(1);
    for (const id of DESTINATIONS) expect(await w.deliveries.get(raisedAlert(T0).id, id)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("lets only one of two racing watchdogs send each pending delivery", async () => {
    // Prepare
    const w = await world();
    await w.sink.record(raisedAlert(T0));
    w.advance(LEASE + 1);
    // Act
    const [a, b] = await Promise.all([w.watchdog(), w.watchdog()]);
    // Assess
    expect(a.alertDeliveries.delivered.length + b.alertDeliveries.delivered.length).toBe(3);
    expect([webhook.alerts.length, webhook.deliveries.length, pagerDuty.events.length, slack.messages.length]).toEqual([1, 1, 1, 1]);
  });

  it("does not record or send a repeat of an incident already in the ledger", async () => {
    // Prepare
    const w = await world();
    await w.sink.record(raisedAlert(T0));
    // Act: the process that died is retried by its trigger and raises the same incident again.
    const again = await w.sink.record(raisedAlert(T0 + 5));
    w.advance(LEASE + 1);
    await w.watchdog();
    // Assess
    expect(again).toEqual({ recorded: false });
    expect([webhook.alerts.length, pagerDuty.events.length, slack.messages.length]).toEqual([1, 1, 1]);
  });
});

describe("delivery through the production sink", () => {
  it("triggers and resolves one PagerDuty incident, posts readable Slack messages, and links the runbook on every alert", async () => {
    // Prepare
    const w = await world();
    // Act
    await raise(w.deps, draft);
    w.advance(1_000);
    await raise(w.deps, draft);
    w.advance(60_000);
    await resolve(w.deps, draft);
    // Assess: PagerDuty
    expect(pagerDuty.events.map((e) => e.event_action)).toEqual(["trigger", "resolve"]);
    expect(pagerDuty.incidents.get(draft.dedupeKey)).toMatchObject({ status: "resolved", triggers: 1 });
    const trigger = pagerDuty.events[0]!;
    expect(trigger.event_action === "trigger" && trigger.payload).toMatchObject({ severity: "critical", source: "base", class: "codehash-mismatch", group: "p-1", timestamp: new Date(T0).toISOString() });
    expect(trigger.links).toEqual([{ href: `${RUNBOOKS}#codehash-mismatch`, text: "Runbook: codehash-mismatch" }]);
    // Slack: what a person reads
    expect(slack.messages).toHaveLength(2);
    const [raised, resolved] = slack.messages.map((m) => JSON.stringify(m));
    for (const needle of ["CRITICAL", "codehash-mismatch", "base", "p-1", "&lt;expected 0x11 &amp; got 0x22&gt;", `<${RUNBOOKS}#codehash-mismatch|codehash-mismatch>`]) expect(raised).toContain(needle);
    expect(resolved).toContain("Resolved");
    // the signed webhook, and the runbook on every alert
    expect(webhook.alerts.map((a) => [a.status, a.runbook])).toEqual([
      ["raised", `${RUNBOOKS}#codehash-mismatch`],
      ["resolved", `${RUNBOOKS}#codehash-mismatch`],
    ]);
  });

  it("retries PagerDuty 5xx and Slack 429: what the raising process could not deliver, the watchdog does after the back-off", async () => {
    // Prepare
    const w = await world();
    pagerDuty.failNext(503, 3);
    slack.failNext(429, 1, 1);
    // Act
    await raise(w.deps, draft);
    const pending = await w.deliveries.get(raisedAlert(T0).id, "pagerduty");
    w.advance(ALERT_DELIVERY_DEFAULTS.baseDelayMs);
    const sweep = await w.watchdog();
    // Assess
    expect(pending).toMatchObject({ status: "pending", lastStatus: 503, dueAtMs: T0 + ALERT_DELIVERY_DEFAULTS.baseDelayMs });
    expect(sweep.alertDeliveries.delivered).toEqual([{ alertId: raisedAlert(T0).id, destination: "pagerduty", type: "codehash-mismatch" }]);
    expect(pagerDuty.requests.map((r) => r.status)).toEqual([503, 503, 503, 202]);
    expect(pagerDuty.events).toHaveLength(1);
    expect(slack.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(slack.messages).toHaveLength(1);
  });

  it("reports a PagerDuty 400 as a permanent failure: a dead letter, never retried, the other destinations delivered", async () => {
    // Prepare: an integration key PagerDuty does not know.
    const w = await world({ routingKey: "UNKNOWNKEY0123456789abcdefABCDEF" });
    // Act
    await raise(w.deps, draft);
    w.advance(24 * 3600_000);
    const sweep = await w.watchdog();
    // Assess
    expect(pagerDuty.requests.map((r) => r.status)).toEqual([400]);
    expect(sweep.alertDeliveries).toEqual({ delivered: [], retrying: [], failed: [] });
    expect(await w.deliveries.get(raisedAlert(T0).id, "pagerduty")).toMatchObject({ status: "failed", lastStatus: 400, lastError: expect.stringContaining("routing_key") });
    expect(await w.deadLetters.list()).toEqual([expect.objectContaining({ endpoint: "pagerduty", attempts: 1, lastStatus: 400 })]);
    expect([webhook.alerts.length, slack.messages.length]).toEqual([1, 1]);
    expect(JSON.stringify(await w.deadLetters.list())).not.toContain("UNKNOWNKEY");
  });

  it("gives up after the policy's attempts with a dead letter", async () => {
    // Prepare
    const w = await world({ maxAttempts: 2 });
    pagerDuty.failNext(500);
    // Act
    await raise(w.deps, draft);
    w.advance(LEASE + ALERT_DELIVERY_DEFAULTS.baseDelayMs);
    const second = await w.watchdog();
    w.advance(ALERT_DELIVERY_DEFAULTS.maxDelayMs * 2);
    const third = await w.watchdog();
    // Assess
    expect(second.alertDeliveries.failed).toEqual([{ alertId: raisedAlert(T0).id, destination: "pagerduty", type: "codehash-mismatch" }]);
    expect(third.alertDeliveries).toEqual({ delivered: [], retrying: [], failed: [] });
    expect(pagerDuty.requests).toHaveLength(6); // two attempts of three in-call tries each
    expect(await w.deadLetters.list()).toEqual([expect.objectContaining({ endpoint: "pagerduty", attempts: 2, lastStatus: 500 })]);
  });
});
