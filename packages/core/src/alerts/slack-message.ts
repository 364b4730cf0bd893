/**
 * An alert as a Slack incoming-webhook message: `text` (the notification and fallback line) and Block Kit
 * `blocks` a person reads at a glance — severity and type in the header; network, proposal and status as
 * fields; the message; the transaction and the runbook link. Slack has no dedupe: see delivery.ts.
 */
import type { Alert } from "../run/ports.js";
import { AlertStatus } from "./types.js";

/** A Block Kit text object. */
export interface SlackText {
  type: "plain_text" | "mrkdwn";
  text: string;
}

/** The blocks PayRox sends. */
export type SlackBlock =
  | { type: "header"; text: SlackText & { type: "plain_text" } }
  | { type: "section"; text?: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] };

/** The body of an incoming-webhook POST. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's limits for the blocks used. */
export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, fieldText: 2000, fields: 10, contextElements: 10 } as const;

const ICON = { critical: ":rotating_light:", warning: ":warning:", info: ":information_source:", resolved: ":white_check_mark:" } as const;

/**
 * The message for `alert`.
 * @example await fetch(webhookUrl, { method: "POST", body: JSON.stringify(slackMessage(alert)) })
 */
export function slackMessage(alert: Alert): SlackMessage {
  const resolved = alert.status === AlertStatus.RESOLVED;
  const icon = resolved ? ICON.resolved : ICON[alert.severity];
  const title = resolved ? `Resolved: ${alert.type}` : `${alert.severity.toUpperCase()}: ${alert.type}`;
  const where = [alert.network, alert.proposalId && `proposal ${alert.proposalId}`].filter(Boolean).join(", ");
  const fields: SlackText[] = [
    { type: "mrkdwn", text: `*Severity*\n${escape(alert.severity)}` },
    { type: "mrkdwn", text: `*Type*\n${escape(alert.type)}` },
    { type: "mrkdwn", text: `*Network*\n${escape(alert.network ?? "—")}` },
    { type: "mrkdwn", text: `*Proposal*\n${escape(alert.proposalId ?? "—")}` },
  ].map((f) => ({ ...f, text: cut(f.text, SLACK_LIMITS.fieldText) }) as SlackText);
  const context: SlackText[] = [{ type: "mrkdwn", text: cut(`Runbook: ${link(alert.runbook, alert.type)}`, SLACK_LIMITS.fieldText) }];
  if (alert.evidence?.txHash) context.push({ type: "mrkdwn", text: cut(`tx \`${escape(alert.evidence.txHash)}\``, SLACK_LIMITS.fieldText) });
  context.push({ type: "mrkdwn", text: `alert \`${alert.id}\` · ${new Date(alert.atMs).toISOString()}` });
  return {
    // `text` is mrkdwn too (the notification line): escaped like the blocks, so a message can't ping a channel.
    text: cut(`${icon} ${escape(title)}${where ? ` on ${escape(where)}` : ""}: ${escape(alert.message)} — runbook: ${link(alert.runbook, alert.type)}`, SLACK_LIMITS.sectionText),
    blocks: [
      { type: "header", text: { type: "plain_text", text: cut(`${resolved ? "Resolved" : alert.severity.toUpperCase()} · ${alert.type}${alert.network ? ` · ${alert.network}` : ""}`, SLACK_LIMITS.headerText) } },
      { type: "section", fields },
      { type: "section", text: { type: "mrkdwn", text: cut(`${icon} ${escape(alert.message)}`, SLACK_LIMITS.sectionText) } },
      { type: "context", elements: context },
    ],
  };
}

/** Slack's mrkdwn control characters, escaped as its docs require. */
function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A link for an absolute URL; a repository path as code. */
function link(url: string, label: string): string {
  return /^https?:\/\//.test(url) ? `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escape(label)}>` : `\`${escape(url)}\``;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
