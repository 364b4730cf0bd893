/**
 * `redeliverAlerts` (part of the watchdog's minute): re-sends alert deliveries left pending — by a
 * process that died between writing an alert to the ledger and delivering it, or by a destination that
 * failed and is due for a retry. A delivery is taken only once its holder's lease expired and by one
 * sweep at a time (a conditional claim), so a destination that accepted an alert is not sent it again;
 * see alerts/delivery.ts for the one at-least-once gap.
 */
import { deliverClaimed, deliveryPolicy, type DeliveryResult } from "../alerts/delivery.js";
import type { SchedulerDeps } from "./deps.js";

/** Options of {@link redeliverAlerts}. */
export interface RedeliverAlertsOptions {
  /** Deliveries tried per sweep, oldest due first. @default 50 */
  limit?: number;
}

/** One delivery the sweep tried: `<alertId>@<destination>` and the alert's type. */
export interface RedeliveredAlert {
  alertId: string;
  destination: string;
  type: string;
}

/** Result of {@link redeliverAlerts}. */
export interface RedeliverAlertsReturnType {
  /** Accepted by their destination now. */
  delivered: RedeliveredAlert[];
  /** Failed again; due for another attempt later. */
  retrying: RedeliveredAlert[];
  /** Refused for good or out of attempts: each has a dead letter. */
  failed: RedeliveredAlert[];
}

/**
 * Claims and re-sends every due pending delivery (none when `deps.monitoring.alertDelivery` is unset).
 * @example const { delivered } = await redeliverAlerts({ ...deps, owner: "watchdog-<request id>" })
 */
export async function redeliverAlerts(deps: SchedulerDeps, options: RedeliverAlertsOptions = {}): Promise<RedeliverAlertsReturnType> {
  const result: RedeliverAlertsReturnType = { delivered: [], retrying: [], failed: [] };
  const ports = deps.monitoring?.alertDelivery;
  if (!ports) return result;
  const { leaseMs } = deliveryPolicy(ports.policy);
  const byId = new Map(ports.destinations.map((d) => [d.id, d]));
  const nowMs = deps.clock.now();
  const due = await ports.deliveries.listDue(nowMs, options.limit ?? 50);
  const outcomes = await Promise.all(
    due.map(async (listed): Promise<[DeliveryResult | "taken", RedeliveredAlert]> => {
      const ref = { alertId: listed.alertId, destination: listed.destination, type: listed.alert.type };
      const claimed = await ports.deliveries.claim(listed, `${deps.owner}:redeliver`, leaseMs, nowMs);
      if (!claimed) return ["taken", ref];
      return [await deliverClaimed(claimed, byId.get(claimed.destination), ports, deps.clock), ref];
    }),
  );
  for (const [outcome, ref] of outcomes) if (outcome !== "taken" && outcome !== "lost") result[outcome].push(ref);
  return result;
}
