/**
 * {@link DurableAlertSink}: one alert per incident and one resolution, each written to the ledger with a
 * pending delivery per destination before any destination is tried (see delivery.ts for the states and
 * the at-least-once gap). What the raising process does not deliver, the watchdog re-sends.
 */
import { randomUUID } from "node:crypto";
import type { Alert, AlertSink, Clock } from "../run/ports.js";
import { checkDestinations, deliverClaimed, deliveryPolicy, pendingDeliveries, type AlertDelivery, type AlertDeliveryPorts, type DeliveryResult, type NewAlertDeliveries } from "./delivery.js";
import type { IncidentLedger } from "./ports.js";
import { incidentOf } from "./sinks.js";
import { AlertStatus } from "./types.js";

/** Options of {@link DurableAlertSink}. */
export interface DurableAlertSinkOptions extends AlertDeliveryPorts {
  /** The incident ledger: its transition and the deliveries are one write. */
  ledger: IncidentLedger;
  clock: Clock;
  /** Names this process in claims. @default `sink-<uuid>` */
  owner?: string;
  /** Called once per alert this sink recorded (not for repeats it dropped), before delivery: e.g. a metric. */
  onRecorded?: (alert: Alert) => void;
  /** Called with the results of each alert's deliveries by this sink (the watchdog reports its own). */
  onDelivered?: (alert: Alert, results: readonly DeliveryResult[]) => void;
}

/** The deliveries {@link DurableAlertSink.record} wrote and holds. */
export type RecordedAlert = { recorded: false } | { recorded: true; deliveries: AlertDelivery[] };

/** Dedupe + ledger + per-destination delivery, surviving a crash between the write and the delivery. */
export class DurableAlertSink implements AlertSink {
  readonly #options: DurableAlertSinkOptions;
  readonly #owner: string;
  readonly #leaseMs: number;

  /** @throws AlertDeliveryConfigError for a bad policy or destination id */
  constructor(options: DurableAlertSinkOptions) {
    checkDestinations(options.destinations);
    this.#leaseMs = deliveryPolicy(options.policy).leaseMs;
    this.#options = options;
    this.#owner = options.owner ?? `sink-${randomUUID()}`;
  }

  /**
   * Records `alert` if it is the first of its incident and status, then delivers it to every destination.
   * A destination that fails leaves its delivery pending for the watchdog (no throw).
   * @throws when the ledger can't be written (nothing was recorded; the caller's retry raises it again)
   */
  async raise(alert: Alert): Promise<void> {
    const recorded = await this.record(alert);
    if (!recorded.recorded) return;
    const results = await this.deliver(recorded.deliveries);
    this.#options.onDelivered?.(alert, results);
  }

  /**
   * The first half of {@link raise}: writes the incident's transition and the pending deliveries, claimed
   * by this sink. A process that stops here leaves them for the watchdog.
   */
  async record(alert: Alert): Promise<RecordedAlert> {
    const { ledger, destinations, clock, onRecorded } = this.#options;
    const nowMs = clock.now();
    const pending: NewAlertDeliveries = { alert, destinations: destinations.map((d) => d.id), owner: `${this.#owner}:${alert.id}`, leaseMs: this.#leaseMs, nowMs };
    if (alert.status === AlertStatus.RESOLVED) {
      if (!(await ledger.resolve(alert.dedupeKey, alert.atMs, pending))) return { recorded: false };
    } else {
      const opened = await ledger.open(incidentOf(alert), pending);
      if (!opened) return { recorded: false };
    }
    onRecorded?.(alert);
    return { recorded: true, deliveries: pendingDeliveries(pending) };
  }

  /** The second half of {@link raise}: tries each recorded delivery once and records the result. */
  async deliver(deliveries: readonly AlertDelivery[]): Promise<DeliveryResult[]> {
    const byId = new Map(this.#options.destinations.map((d) => [d.id, d]));
    return Promise.all(deliveries.map((delivery) => deliverClaimed(delivery, byId.get(delivery.destination), this.#options, this.#options.clock)));
  }
}
