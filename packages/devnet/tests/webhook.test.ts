/**
 * Signed webhook delivery (WebhookAlertSink of @payrox/aws) against the devnet's receiver on 127.0.0.1,
 * which verifies every HMAC; dead letters go to DynamoDB Local.
 */
import { createTable, DynamoAlertDeadLetters, WebhookAlertSink, type WebhookRetryOptions } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { alertId, type Alert } from "@payrox/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsoleAlertSink, startWebhookReceiver, type WebhookReceiver } from "../src/index.js";

const SECRET = "devnet-webhook-secret-0001";
const FAST: WebhookRetryOptions = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, budgetMs: 5_000 };

let dynamo: DynamoDbLocal;
let deadLetters: DynamoAlertDeadLetters;
let receiver: WebhookReceiver;
let n = 0;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  await createTable(dynamo.client, "payrox-webhooks");
  deadLetters = new DynamoAlertDeadLetters({ client: dynamo.client, tableName: "payrox-webhooks" });
});

afterAll(async () => {
  await dynamo?.stop();
});

afterEach(async () => {
  await receiver?.stop();
});

/** A fresh critical alert (its own incident). */
function alert(): Alert {
  const dedupeKey = `unauthorized:devnet-1:0x${(++n).toString(16).padStart(4, "0")}:RootCommitted:0`;
  return { id: alertId(dedupeKey, "raised"), dedupeKey, type: "unauthorized", status: "raised", severity: "critical", network: "devnet-1", message: "outside commit", evidence: { txHash: "0x01", blockNumber: 7 }, atMs: Date.now(), runbook: "packages/core/RUNBOOKS.md#unauthorized" };
}

function sink(secret = SECRET, retry = FAST) {
  return new WebhookAlertSink({ endpoints: [{ id: "devnet", url: receiver.url, secret }], deadLetters, retry });
}

async function lettersOf(a: Alert) {
  return (await deadLetters.list()).filter((l) => l.alert.id === a.id);
}

describe("WebhookAlertSink → devnet receiver", () => {
  it("delivers a signed alert the receiver verifies, and keeps a repeated delivery once", async () => {
    // Prepare
    receiver = await startWebhookReceiver({ secret: SECRET });
    const sent = alert();
    // Act
    await sink().raise(sent);
    await sink().raise(sent);
    // Assess
    expect(receiver.alerts).toEqual([sent]);
    expect(receiver.deliveries).toEqual([{ alertId: sent.id, status: 200 }, { alertId: sent.id, status: 200 }]);
    expect(await lettersOf(sent)).toEqual([]);
  });

  it("retries a receiver answering 500 with back-off, then dead-letters the alert", async () => {
    // Prepare
    receiver = await startWebhookReceiver({ secret: SECRET });
    receiver.failNext(500);
    const sent = alert();
    // Act
    await sink().raise(sent);
    // Assess
    expect(receiver.deliveries.map((d) => d.status)).toEqual([500, 500, 500, 500]);
    expect(receiver.alerts).toEqual([]);
    expect(await lettersOf(sent)).toEqual([expect.objectContaining({ endpoint: "devnet", attempts: 4, lastStatus: 500, lastError: "HTTP 500", alert: sent })]);
  });

  it("delivers once the receiver recovers within the budget", async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    receiver.failNext(503, 2);
    const sent = alert();
    await sink().raise(sent);
    expect(receiver.deliveries.map((d) => d.status)).toEqual([503, 503, 200]);
    expect(receiver.alerts).toEqual([sent]);
    expect(await lettersOf(sent)).toEqual([]);
  });

  it("stops retrying when the next wait would exceed the budget", async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    receiver.failNext(500);
    const sent = alert();
    await sink(SECRET, { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 250 }).raise(sent);
    // Waits 100 then 200 ms: a third wait (400 ms) would pass the 250 ms budget.
    expect(receiver.deliveries).toHaveLength(2);
    expect(await lettersOf(sent)).toEqual([expect.objectContaining({ attempts: 2 })]);
  });

  it("does not retry a delivery the receiver refuses as unsigned (wrong secret): 401, then a dead letter", async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    const sent = alert();
    await sink("not-the-shared-secret").raise(sent);
    expect(receiver.deliveries).toEqual([{ alertId: sent.id, status: 401, refused: "mismatch" }]);
    expect(await lettersOf(sent)).toEqual([expect.objectContaining({ attempts: 1, lastStatus: 401 })]);
  });

  it("dead-letters after the retries when nothing listens", async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
    await receiver.stop();
    const sent = alert();
    await sink().raise(sent);
    expect(await lettersOf(sent)).toEqual([expect.objectContaining({ attempts: 4, lastError: expect.stringMatching(/ECONNREFUSED|fetch failed/) })]);
  });
});

describe("ConsoleAlertSink", () => {
  it("prints one line per alert with its severity, type, network and tx", async () => {
    const lines: string[] = [];
    await new ConsoleAlertSink((l) => lines.push(l)).raise(alert());
    expect(lines).toEqual([expect.stringMatching(/^\[ALERT critical\] unauthorized devnet-1: outside commit \(tx 0x01\)$/)]);
  });
});
