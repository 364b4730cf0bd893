/**
 * PayRox's PagerDuty and Slack payloads (core's formatters) against the receivers' own zod schemas of
 * the documented formats, for every alert type, raised and resolved, and at the limits. No network.
 */
import { alertId, AlertType, pagerDutyDedupKey, pagerDutyEvent, runbookUrl, slackMessage, type Alert, type AlertStatus } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { PagerDutyEventSchema, SlackMessageSchema } from "../src/index.js";

const KEY = "R0UT1NGKEY0123456789abcdefABCDEF";

function alert(type: Alert["type"], status: AlertStatus, overrides: Partial<Alert> = {}): Alert {
  const dedupeKey = `${type}:p1:base`;
  return { id: alertId(dedupeKey, status), dedupeKey, type, status, severity: status === "resolved" ? "info" : "critical", network: "base", proposalId: "p1", message: "something happened", atMs: 1_900_000_000_000, runbook: runbookUrl(type), ...overrides };
}

describe("pagerDutyEvent", () => {
  it.each(Object.values(AlertType).flatMap((t) => [[t, "raised"], [t, "resolved"]] as const))("makes a valid Events v2 event of a %s alert (%s)", (type, status) => {
    const event = pagerDutyEvent(alert(type, status), { routingKey: KEY });
    expect(PagerDutyEventSchema.safeParse(event).error?.issues).toBeUndefined();
    expect(event).toMatchObject({ event_action: status === "raised" ? "trigger" : "resolve", dedup_key: `${type}:p1:base` });
  });

  it("cuts a long summary to 1,024 characters and a long dedupe key to 255, keeping keys of two incidents apart", () => {
    // Prepare
    const long = alert("drift", "raised", { message: "x".repeat(5_000), dedupeKey: `drift:${"p".repeat(400)}:a` });
    // Act
    const event = pagerDutyEvent(long, { routingKey: KEY });
    // Assess
    expect(PagerDutyEventSchema.safeParse(event).success).toBe(true);
    expect(event.payload?.summary).toHaveLength(1024);
    expect(event.dedup_key).toHaveLength(255);
    expect(pagerDutyDedupKey(`drift:${"p".repeat(400)}:b`)).not.toBe(event.dedup_key);
  });

  it("links an absolute runbook URL and keeps a repository path in custom_details only", () => {
    expect(pagerDutyEvent(alert("drift", "raised", { runbook: "https://x.example/R.md#drift" }), { routingKey: KEY }).links).toEqual([{ href: "https://x.example/R.md#drift", text: "Runbook: drift" }]);
    const local = pagerDutyEvent(alert("drift", "raised"), { routingKey: KEY });
    expect(local.links).toBeUndefined();
    expect(local.payload?.custom_details?.runbook).toBe("packages/core/RUNBOOKS.md#drift");
  });
});

describe("slackMessage", () => {
  it.each(Object.values(AlertType).flatMap((t) => [[t, "raised"], [t, "resolved"]] as const))("makes a valid incoming-webhook message of a %s alert (%s)", (type, status) => {
    const message = slackMessage(alert(type, status, { evidence: { txHash: "0xabc" } }));
    expect(SlackMessageSchema.safeParse(message).error?.issues).toBeUndefined();
    expect(message.text).toContain(type);
  });

  it("escapes mrkdwn control characters in the message and stays within Slack's limits for a huge one", () => {
    // Prepare
    const hostile = alert("unauthorized", "raised", { message: `<!channel> & <https://evil.example|click> ${"y".repeat(10_000)}`, network: "n".repeat(300) });
    // Act
    const message = slackMessage(hostile);
    // Assess
    expect(SlackMessageSchema.safeParse(message).error?.issues).toBeUndefined();
    expect(JSON.stringify(message.blocks)).not.toContain("<!channel>");
    expect(JSON.stringify(message.blocks)).toContain("&lt;!channel&gt; &amp;");
    expect(message.text).not.toContain("<!channel>");
  });
});
