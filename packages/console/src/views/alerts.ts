/** `#/alerts`: open and resolved incidents, newest first, each with its evidence and runbook. */
import { h, replace } from "../dom.js";
import { time } from "../format.js";
import type { View, ViewContext } from "./view.js";

interface IncidentView {
  dedupeKey: string;
  type: string;
  severity: string;
  status: string;
  proposalId?: string;
  network?: string;
  openedAtMs: number;
  resolvedAtMs?: number;
  message?: string;
  evidence?: { values?: Record<string, unknown> } & Record<string, unknown>;
  runbook?: string;
}

/** The alerts view. */
export function alertsView({ api, root }: ViewContext): View {
  const region = h("div");
  replace(root, h("h1", null, "Alerts"), region);
  let drawn = false;
  return {
    async poll() {
      const { data, changed } = await api.get<{ alerts: IncidentView[] }>("/alerts?limit=100");
      if (!changed && drawn) return;
      drawn = true;
      const open = data.alerts.filter((a) => a.status === "open");
      const closed = data.alerts.filter((a) => a.status !== "open");
      replace(region, h("h2", null, `Open (${open.length})`), list(open), h("h2", null, `Resolved (${closed.length})`), list(closed));
    },
  };
}

function list(incidents: IncidentView[]): HTMLElement {
  if (incidents.length === 0) return h("p", null, "None.");
  return h(
    "ul",
    { class: "incidents" },
    ...incidents.map((a) => {
      const bad = a.severity === "critical" && a.status === "open";
      const values = Object.entries(a.evidence?.values ?? {});
      return h(
        "li",
        { class: `alert ${a.status === "open" ? (bad ? "bad" : "warn") : "muted"}`, "data-type": a.type },
        h("strong", null, `${a.status === "open" ? (bad ? "✕" : "⚠") : "✓"} ${a.type}`),
        ` · ${a.severity} · ${a.status}`,
        a.network && ` · ${a.network}`,
        a.proposalId && [" · ", h("a", { href: `#/proposals/${encodeURIComponent(a.proposalId)}` }, a.proposalId)],
        ` · opened ${time(a.openedAtMs)}`,
        a.resolvedAtMs !== undefined && ` · resolved ${time(a.resolvedAtMs)}`,
        a.message && h("p", null, a.message),
        values.length > 0 && h("dl", null, ...values.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, h("code", null, typeof v === "string" ? v : JSON.stringify(v)))])),
        a.runbook && h("p", null, "Runbook: ", a.runbook.startsWith("https://") ? h("a", { href: a.runbook, rel: "noreferrer" }, a.runbook) : h("code", null, a.runbook)),
      );
    }),
  );
}
