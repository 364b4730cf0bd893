/**
 * An alert as a PagerDuty Events API v2 event (`POST https://events.pagerduty.com/v2/enqueue`): a raised
 * alert triggers, its resolution resolves, both under one `dedup_key` derived from the incident's
 * `dedupeKey` — so PagerDuty opens one incident per PayRox incident and merges a re-sent trigger into it.
 */
import { createHash } from "node:crypto";
import type { Alert } from "../run/ports.js";
import { AlertStatus } from "./types.js";

/** PagerDuty's severities (PayRox uses all but `error`). */
export type PagerDutySeverity = "critical" | "error" | "warning" | "info";

/** The `payload` of a trigger event. */
export interface PagerDutyPayload {
  /** ≤ 1,024 characters: what pages and phone calls read out. */
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  /** ISO 8601. */
  timestamp: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, unknown>;
}

/** One Events API v2 event. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: "trigger" | "resolve";
  /** ≤ 255 characters. */
  dedup_key: string;
  /** Present on triggers; a resolve needs only the key. */
  payload?: PagerDutyPayload;
  links?: { href: string; text: string }[];
}

/** Longest `summary` PagerDuty accepts. */
export const PAGERDUTY_SUMMARY_MAX = 1024;
/** Longest `dedup_key` PagerDuty accepts. */
export const PAGERDUTY_DEDUP_KEY_MAX = 255;

/** Options of {@link pagerDutyEvent}. */
export interface PagerDutyEventOptions {
  /** The Events API v2 integration's routing (integration) key. */
  routingKey: string;
  /** `payload.source` when the alert names no network. @default "payrox" */
  source?: string;
}

/**
 * The event for `alert`.
 * @example pagerDutyEvent(alert, { routingKey }) // POST as JSON to the events URL
 */
export function pagerDutyEvent(alert: Alert, options: PagerDutyEventOptions): PagerDutyEvent {
  const base = { routing_key: options.routingKey, dedup_key: pagerDutyDedupKey(alert.dedupeKey) };
  if (alert.status === AlertStatus.RESOLVED) return { ...base, event_action: "resolve" };
  const where = [alert.network, alert.proposalId && `proposal ${alert.proposalId}`].filter(Boolean).join(", ");
  const summary = `[${alert.type}]${where ? ` ${where}:` : ""} ${alert.message}`;
  return {
    ...base,
    event_action: "trigger",
    payload: {
      summary: truncate(summary, PAGERDUTY_SUMMARY_MAX),
      source: alert.network ?? options.source ?? "payrox",
      severity: alert.severity,
      timestamp: new Date(alert.atMs).toISOString(),
      component: "dispatcher",
      group: alert.proposalId ?? "payrox",
      class: alert.type,
      custom_details: {
        alertId: alert.id,
        dedupeKey: alert.dedupeKey,
        type: alert.type,
        ...(alert.proposalId !== undefined && { proposalId: alert.proposalId }),
        ...(alert.network !== undefined && { network: alert.network }),
        message: alert.message,
        runbook: alert.runbook,
        ...(alert.evidence && { evidence: alert.evidence }),
      },
    },
    // PagerDuty renders links only as absolute URLs; a repository path stays in custom_details.
    ...(/^https?:\/\//.test(alert.runbook) && { links: [{ href: alert.runbook, text: `Runbook: ${alert.type}` }] }),
  };
}

/** The incident's `dedupeKey`, or — past 255 characters — its head and a sha256 of the whole (still unique per incident). */
export function pagerDutyDedupKey(dedupeKey: string): string {
  if (dedupeKey.length <= PAGERDUTY_DEDUP_KEY_MAX) return dedupeKey;
  const hash = createHash("sha256").update(dedupeKey, "utf8").digest("hex");
  return `${dedupeKey.slice(0, PAGERDUTY_DEDUP_KEY_MAX - hash.length - 1)}~${hash}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
