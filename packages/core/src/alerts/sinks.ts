/**
 * Alert sinks that compose others: {@link DedupingAlertSink} passes each incident's alert and its
 * resolution on once (state in an {@link IncidentLedger}), {@link FanOutAlertSink} delivers to several.
 */
import type { Alert, AlertSink } from "../run/ports.js";
import type { Incident, IncidentLedger } from "./ports.js";
import { AlertStatus } from "./types.js";
import { AlertDeliveryError } from "../errors.js";

/** Options of {@link DedupingAlertSink}. */
export interface DedupingAlertSinkOptions {
  ledger: IncidentLedger;
  /** Where first alerts and first resolutions go. */
  sink: AlertSink;
}

/**
 * One alert per incident, one resolution per incident. A raised alert is delivered only by the call that
 * opens its incident; a resolution only by the call that resolves an open one (resolving an unknown
 * incident is a no-op). If delivery throws, the ledger is put back, so a retry reports it.
 */
export class DedupingAlertSink implements AlertSink {
  readonly #ledger: IncidentLedger;
  readonly #sink: AlertSink;

  constructor(options: DedupingAlertSinkOptions) {
    this.#ledger = options.ledger;
    this.#sink = options.sink;
  }

  /** Delivers `alert` if it is the first of its incident and status; drops it otherwise. */
  async raise(alert: Alert): Promise<void> {
    if (alert.status === AlertStatus.RESOLVED) {
      if (!(await this.#ledger.resolve(alert.dedupeKey, alert.atMs))) return;
      await this.#deliver(alert, "open");
      return;
    }
    const opened = await this.#ledger.open(incidentOf(alert));
    if (opened) await this.#deliver(alert, "released");
  }

  async #deliver(alert: Alert, undo: "open" | "released"): Promise<void> {
    try {
      await this.#sink.raise(alert);
    } catch (error) {
      await this.#ledger.revert(alert.dedupeKey, undo).catch(() => undefined);
      throw error;
    }
  }
}

/** Delivers every alert to each sink; one failing sink does not stop the others. */
export class FanOutAlertSink implements AlertSink {
  constructor(private readonly sinks: readonly AlertSink[]) {}

  /** @throws AlertDeliveryError listing the sinks that failed, after every sink was tried */
  async raise(alert: Alert): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.raise(alert)));
    const failures = results.flatMap((r, i) => (r.status === "rejected" ? [{ sink: this.sinks[i]!.constructor.name, error: r.reason as unknown }] : []));
    if (failures.length) throw new AlertDeliveryError(alert.id, failures);
  }
}

/** The open incident a raised alert starts in the ledger. */
export function incidentOf(alert: Alert): Incident {
  return {
    dedupeKey: alert.dedupeKey,
    type: alert.type,
    severity: alert.severity,
    ...(alert.proposalId !== undefined && { proposalId: alert.proposalId }),
    ...(alert.network !== undefined && { network: alert.network }),
    alertId: alert.id,
    status: "open",
    openedAtMs: alert.atMs,
    message: alert.message,
    ...(alert.evidence !== undefined && { evidence: alert.evidence }),
    runbook: alert.runbook,
  };
}
