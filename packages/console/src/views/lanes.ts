/**
 * One swimlane per network, built from the API's run, the audit entries of that network and the registry:
 * commit, each apply batch, ETA, activation, expiry, with each step's transaction, gas and relay. A lane
 * that failed or is late says why in words (the alert's code and evidence), not only in colour.
 */
import type { AuditEntry, NetworkEntry, RunView } from "../api-types.js";

/** A step drawn on a lane. */
export interface LaneStep {
  kind: "commit" | "apply" | "activate" | "failed";
  label: string;
  atMs: number;
  txHash?: string;
  gasUsed?: string;
}

/** Why a lane is flagged (late, failed, expired…), in words. */
export interface LaneAlert {
  tone: "bad" | "warn";
  code: string;
  message: string;
  evidence: [string, string][];
}

/** One network's lane. */
export interface Lane {
  network: string;
  state: string;
  status: string;
  relay: string;
  steps: LaneStep[];
  etaMs?: number;
  activateAtMs?: number;
  expiresAtMs?: number;
  alert?: LaneAlert;
}

const TERMINAL = new Set(["ACTIVATED", "FAILED", "CANCELLED", "EXPIRED"]);

/** Builds the lanes of a proposal's runs. `expiryWindowSeconds` per network comes from the approval subject when known. */
export function buildLanes(runs: RunView[], entries: AuditEntry[], networks: Map<string, NetworkEntry>, expiryWindows: Map<string, number>, nowMs: number): Lane[] {
  return runs.map((run) => {
    const mine = entries.filter((e) => e.network === run.network);
    const steps: LaneStep[] = [];
    for (const e of mine) {
      if (e.event === "commit.confirmed") steps.push({ kind: "commit", label: "commit", atMs: e.atMs, txHash: e.txHash, gasUsed: e.gasUsed });
      else if (e.event === "apply.confirmed") steps.push({ kind: "apply", label: `apply batch ${Number(e.details?.batch ?? 0) + 1}/${e.details?.batchCount ?? run.batchCount}`, atMs: e.atMs, txHash: e.txHash, gasUsed: e.gasUsed });
      else if (e.event === "run.activated") steps.push({ kind: "activate", label: "activation", atMs: e.atMs, txHash: e.txHash, gasUsed: e.gasUsed });
      else if (e.event === "run.failed") steps.push({ kind: "failed", label: `failed: ${String(e.details?.code ?? run.failure?.code ?? "")}`, atMs: e.atMs });
    }
    const network = networks.get(run.network);
    const window = expiryWindows.get(run.network);
    const lane: Lane = {
      network: run.network,
      state: run.state,
      status: run.status,
      relay: network ? relayText(network) : "—",
      steps,
      ...(run.etaMs !== undefined && { etaMs: run.etaMs }),
      ...(run.activateAtMs !== undefined && { activateAtMs: run.activateAtMs }),
      ...(run.etaMs !== undefined && window !== undefined && { expiresAtMs: run.etaMs + window * 1000 }),
    };
    const alert = laneAlert(run, mine, network, nowMs);
    return alert ? { ...lane, alert } : lane;
  });
}

function relayText(n: NetworkEntry): string {
  return n.relay.preferred.join(" → ") + (n.relay.allowPublicFallback ? " (public fallback)" : "");
}

function laneAlert(run: RunView, entries: AuditEntry[], network: NetworkEntry | undefined, nowMs: number): LaneAlert | undefined {
  if (run.state === "FAILED" || run.state === "EXPIRED") {
    const failed = [...entries].reverse().find((e) => e.event === "run.failed" || e.event === "run.expired");
    const { code, message, ...rest } = (failed?.details ?? {}) as Record<string, unknown>;
    const evidence = Object.entries(rest).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as [string, string]);
    return { tone: "bad", code: String(code ?? run.failure?.code ?? run.state.toLowerCase()), message: String(message ?? run.failure?.message ?? run.status), evidence };
  }
  const due = run.activateAtMs ?? run.etaMs;
  if (due === undefined || !network) return undefined;
  const activated = entries.find((e) => e.event === "run.activated");
  const lateness = activated ? Number(activated.details?.latenessSeconds ?? 0) : TERMINAL.has(run.state) ? 0 : (nowMs - due) / 1000;
  if (lateness <= network.graceSeconds) return undefined;
  const evidence: [string, string][] = [["due", new Date(due).toISOString()], ["grace", `${network.graceSeconds} s`], ["late by", `${Math.round(lateness)} s`]];
  return { tone: "warn", code: activated ? "late-activation" : "late", message: activated ? `activated ${Math.round(lateness)} s after its time, over the ${network.graceSeconds} s grace` : `not activated ${Math.round(lateness)} s after its time (grace ${network.graceSeconds} s); the watchdog alerts after grace + 300 s`, evidence };
}
