/**
 * Durable alert delivery: the ports and the one move both the raising process and the watchdog make.
 *
 * An alert is written to the ledger with one **pending** delivery per destination, claimed by the
 * writer for a short lease, before any destination is tried; each destination then moves to
 * **delivered** or **failed** on its own. A process that dies between the write and the delivery leaves
 * the deliveries pending; once their lease expires the watchdog claims and re-sends them
 * (`redeliverAlerts`), with exponential back-off and a bounded number of attempts.
 *
 * At most one process holds a delivery at a time (the claim is a conditional write), and a delivered one
 * is never sent again. The one gap: a process that dies after a destination accepted the alert but
 * before the ledger recorded it leaves the delivery pending, so the watchdog sends it once more —
 * at-least-once. PagerDuty merges the repeat by `dedup_key`, webhook receivers by `X-PayRox-Alert-Id`;
 * a Slack channel shows the message twice.
 */
import { AlertDeliveryConfigError } from "../errors.js";
import type { Alert, AlertSink, Clock } from "../run/ports.js";
import type { AlertDeadLetters } from "./ports.js";

/** What one delivery attempt to a destination came to. */
export type DeliveryOutcome =
  | { ok: true; status?: number }
  /** `permanent`: the destination refused the alert itself (e.g. HTTP 400); trying again won't help. */
  | { ok: false; permanent: boolean; status?: number; error: string };

/** A place alerts go: a signed webhook, PagerDuty, Slack, the EventBridge bus… */
export interface AlertDestination {
  /** Stable name, stored with each delivery (e.g. `pagerduty`, `webhook:ops`); no `#`. */
  readonly id: string;
  /** Tries to deliver `alert` (an adapter may retry briefly inside); reports a refusal instead of throwing. */
  deliver(alert: Alert): Promise<DeliveryOutcome>;
}

/** Where one delivery stands. */
export const AlertDeliveryStatus = {
  /** Written, not yet accepted by its destination (being tried, or waiting for a retry). */
  PENDING: "pending",
  DELIVERED: "delivered",
  /** Refused for good, or out of attempts: a dead letter says why. */
  FAILED: "failed",
} as const;
/** One of {@link AlertDeliveryStatus}. */
export type AlertDeliveryStatus = (typeof AlertDeliveryStatus)[keyof typeof AlertDeliveryStatus];

/** One alert's delivery to one destination, as the ledger keeps it. */
export interface AlertDelivery {
  alertId: string;
  destination: string;
  alert: Alert;
  status: AlertDeliveryStatus;
  /** Claims so far; the writer's own first try counts as one. */
  attempts: number;
  /** When it may be tried (again). */
  dueAtMs: number;
  createdAtMs: number;
  /** Who holds it, until `leaseExpiresAtMs`. */
  leaseOwner?: string;
  leaseExpiresAtMs?: number;
  lastError?: string;
  /** HTTP status of the last attempt, when there was an answer. */
  lastStatus?: number;
  finishedAtMs?: number;
}

/** The deliveries an incident's transition writes with it, already claimed by the writer. */
export interface NewAlertDeliveries {
  alert: Alert;
  /** Destination ids. */
  destinations: readonly string[];
  owner: string;
  leaseMs: number;
  nowMs: number;
}

/** The deliveries `pending` stands for, as a ledger writes them: pending, claimed by the writer, one attempt counted. */
export function pendingDeliveries(pending: NewAlertDeliveries): AlertDelivery[] {
  return pending.destinations.map((destination) => ({
    alertId: pending.alert.id,
    destination,
    alert: pending.alert,
    status: AlertDeliveryStatus.PENDING,
    attempts: 1,
    dueAtMs: pending.nowMs,
    createdAtMs: pending.nowMs,
    leaseOwner: pending.owner,
    leaseExpiresAtMs: pending.nowMs + pending.leaseMs,
  }));
}

/** The deliveries of alerts, claimed with leases so one process at a time tries each. */
export interface AlertDeliveryLedger {
  /** Pending deliveries due at `nowMs` whose lease is free or expired, oldest due first, at most `limit`. */
  listDue(nowMs: number, limit: number): Promise<AlertDelivery[]>;
  /** Claims a listed delivery for `leaseMs` (one more attempt) unless it changed since. @returns the claimed delivery, or undefined */
  claim(delivery: AlertDelivery, owner: string, leaseMs: number, nowMs: number): Promise<AlertDelivery | undefined>;
  /** Records the holder's delivery as accepted. @returns false when the holder had lost its claim */
  markDelivered(delivery: AlertDelivery, nowMs: number, status?: number): Promise<boolean>;
  /** Records the holder's delivery as failed for good. @returns false when the holder had lost its claim */
  markFailed(delivery: AlertDelivery, error: string, nowMs: number, status?: number): Promise<boolean>;
  /** Gives the holder's delivery back, due again at `retryAtMs`. @returns false when the holder had lost its claim */
  release(delivery: AlertDelivery, retryAtMs: number, error: string, status?: number): Promise<boolean>;
  /** One delivery, strongly consistent. */
  get(alertId: string, destination: string): Promise<AlertDelivery | undefined>;
}

/** How hard delivery tries, across the raising process and the watchdog's sweeps. */
export interface AlertDeliveryPolicy {
  /** Attempts per destination, the raising process's included. @default 8 */
  maxAttempts?: number;
  /** Wait after the first failed attempt; doubles per attempt. @default 30_000 */
  baseDelayMs?: number;
  /** Longest wait between attempts. @default 900_000 (15 minutes) */
  maxDelayMs?: number;
  /**
   * How long a claim holds a delivery: a process that dies mid-delivery leaves it to the watchdog this
   * long after. Must exceed the longest delivery attempt (an adapter's in-call retries included).
   * @default 60_000
   */
  leaseMs?: number;
}

/** Defaults of {@link AlertDeliveryPolicy}. */
export const ALERT_DELIVERY_DEFAULTS = { maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, leaseMs: 60_000 } as const satisfies Required<AlertDeliveryPolicy>;

/** What delivery needs: the ledger, the destinations, and where undeliverable alerts are reported. */
export interface AlertDeliveryPorts {
  deliveries: AlertDeliveryLedger;
  destinations: readonly AlertDestination[];
  /** Gets a letter for each delivery that failed for good. @default none */
  deadLetters?: AlertDeadLetters;
  policy?: AlertDeliveryPolicy;
}

/** Where one delivery ended up after {@link deliverClaimed}. */
export type DeliveryResult = "delivered" | "retrying" | "failed" | "lost";

/**
 * Validates a policy and fills its defaults.
 * @throws AlertDeliveryConfigError naming the first unusable field
 */
export function deliveryPolicy(policy: AlertDeliveryPolicy = {}): Required<AlertDeliveryPolicy> {
  const filled = { ...ALERT_DELIVERY_DEFAULTS, ...policy };
  for (const [field, value] of Object.entries(filled)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new AlertDeliveryConfigError(`policy.${field}`, `must be a positive integer, got ${value}`);
  }
  if (filled.maxDelayMs < filled.baseDelayMs) throw new AlertDeliveryConfigError("policy.maxDelayMs", `must be at least baseDelayMs (${filled.baseDelayMs})`);
  return filled;
}

/**
 * Checks destination ids: each non-empty, without `#` (a key separator), and unique.
 * @throws AlertDeliveryConfigError naming the offending id
 */
export function checkDestinations(destinations: readonly AlertDestination[]): void {
  const seen = new Set<string>();
  for (const { id } of destinations) {
    if (!id || id.includes("#")) throw new AlertDeliveryConfigError("destination.id", `must be a non-empty name without #, got ${JSON.stringify(id)}`);
    if (seen.has(id)) throw new AlertDeliveryConfigError("destination.id", `${JSON.stringify(id)} is configured twice`);
    seen.add(id);
  }
}

/**
 * Tries a delivery the caller holds and records the result: delivered; failed for good (a permanent
 * refusal, the last attempt, or a destination no longer configured — with a dead letter); or given back
 * for a retry after exponential back-off.
 */
export async function deliverClaimed(delivery: AlertDelivery, destination: AlertDestination | undefined, ports: AlertDeliveryPorts, clock: Clock): Promise<DeliveryResult> {
  const policy = deliveryPolicy(ports.policy);
  const outcome: DeliveryOutcome = destination
    ? await destination.deliver(delivery.alert).catch((error: unknown) => ({ ok: false as const, permanent: false, error: error instanceof Error ? error.message : String(error) }))
    : { ok: false, permanent: true, error: `destination ${delivery.destination} is not configured any more` };
  const now = clock.now();
  if (outcome.ok) return (await ports.deliveries.markDelivered(delivery, now, outcome.status)) ? "delivered" : "lost";
  if (outcome.permanent || delivery.attempts >= policy.maxAttempts) {
    if (!(await ports.deliveries.markFailed(delivery, outcome.error, now, outcome.status))) return "lost";
    await ports.deadLetters?.put({
      alert: delivery.alert,
      endpoint: delivery.destination,
      attempts: delivery.attempts,
      ...(outcome.status !== undefined && { lastStatus: outcome.status }),
      lastError: outcome.error,
      atMs: now,
    });
    return "failed";
  }
  const wait = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (delivery.attempts - 1));
  return (await ports.deliveries.release(delivery, now + wait, outcome.error, outcome.status)) ? "retrying" : "lost";
}

/**
 * An {@link AlertSink} (e.g. the EventBridge bus) as a destination: resolving is delivery, throwing is a
 * failure worth retrying.
 */
export function sinkDestination(id: string, sink: AlertSink): AlertDestination {
  return {
    id,
    deliver: async (alert) => {
      try {
        await sink.raise(alert);
        return { ok: true };
      } catch (error) {
        return { ok: false, permanent: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
    },
  };
}
