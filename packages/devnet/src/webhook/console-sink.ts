/** {@link AlertSink} of the devnet terminal: one line per alert (and per resolution). */
import type { Alert, AlertSink } from "@payrox/core";

/** Prints alerts as `[ALERT critical] codehash-mismatch devnet-1 …` lines. */
export class ConsoleAlertSink implements AlertSink {
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  /** Prints one line. */
  async raise(alert: Alert): Promise<void> {
    const tag = alert.status === "resolved" ? "RESOLVED" : `ALERT ${alert.severity}`;
    const where = [alert.network, alert.proposalId].filter(Boolean).join(" ");
    this.write(`[${tag}] ${alert.type}${where ? ` ${where}` : ""}: ${alert.message}${alert.evidence?.txHash ? ` (tx ${alert.evidence.txHash})` : ""}`);
  }
}
