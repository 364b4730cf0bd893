/**
 * Live progress of a proposal per network: state, batch k/n, countdown to the activation time and the
 * latest transaction. On a terminal the block of lines is redrawn in place; elsewhere (a pipe, CI) one
 * plain line is printed per change, so logs stay readable.
 */
import type { AuditEntryView, ProposalView, RunView } from "../api-client.js";

/** Where the display writes. */
export interface ProgressOutput {
  write(text: string): void;
  /** Redraw in place (a TTY) or print plain lines. */
  isTTY: boolean;
}

/** What one network's line says. */
export interface NetworkLine {
  network: string;
  state: string;
  batches: string;
  countdown: string;
  lastTx?: string;
}

/** The line of one run at `nowMs`, with its latest transaction from the audit trail. */
export function networkLine(run: RunView, entries: readonly AuditEntryView[], nowMs: number): NetworkLine {
  const lastTx = [...entries].reverse().find((e) => e.network === run.network && e.txHash)?.txHash;
  const at = run.activateAtMs ?? run.etaMs;
  const countdown =
    run.state === "ACTIVATED" || at === undefined ? "" : at > nowMs ? `activates in ${Math.ceil((at - nowMs) / 1000)} s` : `activation due ${Math.floor((nowMs - at) / 1000)} s ago`;
  const batches = run.batchCount > 0 ? `${run.batchesApplied}/${run.batchCount}` : "";
  return { network: run.network, state: run.failure ? `${run.state} (${run.failure.code})` : run.state, batches, countdown, ...(lastTx && { lastTx }) };
}

/** The display of one proposal. */
export class ProgressDisplay {
  #drawn = 0;
  readonly #printed = new Map<string, string>();

  constructor(private readonly out: ProgressOutput) {}

  /** Shows the proposal's state now. */
  update(view: ProposalView, entries: readonly AuditEntryView[], nowMs = Date.now()): void {
    const lines = view.runs.map((run) => networkLine(run, entries, nowMs));
    if (this.out.isTTY) return this.#redraw(lines);
    for (const line of lines) {
      // Plain mode prints changes only (the countdown alone is not a change).
      const key = `${line.state} ${line.batches} ${line.lastTx ?? ""}`;
      if (this.#printed.get(line.network) === key) continue;
      this.#printed.set(line.network, key);
      this.out.write(`${clock(nowMs)} ${format(line, width(lines))}\n`);
    }
  }

  /** Prints a message above the live block (an alert, a retried step). */
  note(message: string, nowMs = Date.now()): void {
    if (this.out.isTTY && this.#drawn > 0) {
      this.out.write(`\x1b[${this.#drawn}A\x1b[0J`);
      this.#drawn = 0;
    }
    this.out.write(`${clock(nowMs)} ${message}\n`);
  }

  #redraw(lines: NetworkLine[]): void {
    const text = lines.map((l) => `  ${format(l, width(lines))}`);
    this.out.write((this.#drawn > 0 ? `\x1b[${this.#drawn}A` : "") + text.map((t) => `\x1b[2K${t}\n`).join(""));
    this.#drawn = text.length;
  }
}

function width(lines: readonly NetworkLine[]): number {
  return Math.max(...lines.map((l) => l.network.length));
}

function format(line: NetworkLine, networkWidth: number): string {
  const parts = [line.network.padEnd(networkWidth), line.state.padEnd(10), line.batches.padEnd(7), line.countdown.padEnd(24)];
  if (line.lastTx) parts.push(`tx ${line.lastTx}`);
  return parts.join(" ").trimEnd();
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
