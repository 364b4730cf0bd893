/**
 * `#/proposals/{id}`: the proposal's swimlanes, approvals k/M and links to its review and audit. Redrawn
 * when a poll finds the proposal, its audit trail or its approvals changed; the clocks (countdowns and
 * the now-line) move every second without a request.
 */
import type { ApiClient } from "../api-client.js";
import type { ApprovalsAnswer, AuditAnswer, NetworkEntry, ProposalSummary, RunView } from "../api-types.js";
import { h, replace } from "../dom.js";
import { gas, relative, short, time } from "../format.js";
import { stateBadge } from "./badges.js";
import { buildLanes, type Lane } from "./lanes.js";
import type { View, ViewContext } from "./view.js";

type ProposalAnswer = { proposal: ProposalSummary; runs: RunView[] };
type Incident = { type: string; severity: string; status: string; proposalId?: string; network?: string; message?: string; openedAtMs: number };

/** Network registry, read once per page (it changes with a deployment, not during an upgrade). */
let registry: Promise<Map<string, NetworkEntry>> | undefined;
function networksOf(api: ApiClient): Promise<Map<string, NetworkEntry>> {
  registry ??= api.get<{ networks: NetworkEntry[] }>("/networks").then(({ data }) => new Map(data.networks.map((n) => [n.id, n])));
  return registry;
}

/** The proposal view. */
export function proposalView({ api, root, params }: ViewContext): View {
  const id = params.id!;
  const path = `/proposals/${encodeURIComponent(id)}`;
  const header = h("div");
  const approvals = h("section", { "aria-labelledby": "approvals-h" });
  const lanesRegion = h("section", { "aria-labelledby": "lanes-h" });
  replace(root, header, approvals, lanesRegion);
  let state: { proposal: ProposalAnswer; audit: AuditAnswer; approvals?: ApprovalsAnswer; incidents: Incident[] } | undefined;
  let axis = { startMs: 0, endMs: 1 };

  function draw(networks: Map<string, NetworkEntry>): void {
    const { proposal: p, audit, approvals: a } = state!;
    const windows = new Map((a?.subject.targets ?? []).map((t) => [t.network, t.expiryWindowSeconds]));
    const lanes = buildLanes(p.runs, audit.entries, networks, windows, Date.now());
    axis = axisOf(p.proposal, lanes);
    replace(
      header,
      h("h1", null, p.proposal.name || id),
      h("p", null, h("code", { title: p.proposal.root }, `root ${short(p.proposal.root, 10)}`), ` · proposed by ${p.proposal.proposer} at ${time(p.proposal.createdAtMs)}`),
      h("nav", { "aria-label": "Proposal" }, h("a", { href: `#${path}/review` }, "Review and approve"), " · ", h("a", { href: `#${path}/audit` }, "Audit trail")),
    );
    replace(approvals, h("h2", { id: "approvals-h" }, "Approvals"), a ? h("p", { id: "approval-count" }, stateBadge(a.status), ` ${a.approved}/${a.threshold} approvals · deadline ${a.deadline}`) : h("p", null, "No approval policy: commits were scheduled when it was proposed."));
    const activated = lanes.filter((l) => l.state === "ACTIVATED").length;
    replace(
      lanesRegion,
      h("h2", { id: "lanes-h" }, `Networks (${activated}/${lanes.length} activated)`),
      h("p", { class: "legend" }, h("span", { class: "mk commit" }), " commit ", h("span", { class: "mk apply" }), " apply batch ", h("span", { class: "mk eta" }), " ETA ", h("span", { class: "mk activate" }), " activation ", h("span", { class: "mk cutover" }), " cut-over ", h("span", { class: "mk now" }), " now"),
      h("ol", { class: "lanes" }, ...lanes.map((lane) => laneRow(lane, p.proposal.cutoverAtMs, state!.incidents.filter((i) => i.network === lane.network)))),
    );
    tick();
    document.documentElement.dataset.swimlanes = "drawn";
    performance.mark("payrox:swimlanes-drawn");
  }

  function pos(ms: number): string {
    return `${Math.min(100, Math.max(0, ((ms - axis.startMs) / (axis.endMs - axis.startMs)) * 100)).toFixed(2)}%`;
  }

  function laneRow(lane: Lane, cutoverAtMs: number | undefined, incidents: Incident[]): HTMLElement {
    const marker = (cls: string, ms: number, label: string) => h("span", { class: `mk ${cls}`, title: `${label} ${time(ms)}`, style: { left: pos(ms) } });
    const track = h(
      "div",
      { class: "track", role: "img", "aria-label": `${lane.network}: ${lane.status}` },
      ...lane.steps.filter((s) => s.kind !== "failed").map((s) => marker(s.kind, s.atMs, s.label)),
      lane.etaMs !== undefined && marker("eta", lane.etaMs, "ETA"),
      cutoverAtMs !== undefined && marker("cutover", cutoverAtMs, "cut-over"),
      lane.expiresAtMs !== undefined && lane.expiresAtMs <= axis.endMs && marker("expiry", lane.expiresAtMs, "expiry"),
      h("span", { class: "mk now", "data-now": "" }),
    );
    const due = lane.activateAtMs ?? lane.etaMs;
    return h(
      "li",
      { class: `lane ${lane.alert?.tone ?? ""}`, "data-network": lane.network, "data-state": lane.state },
      h("div", { class: "lane-head" }, h("strong", null, lane.network), " ", stateBadge(lane.alert?.code === "late" ? "LATE" : lane.state, lane.alert?.code === "late" ? `LATE · ${lane.state}` : lane.state)),
      track,
      h(
        "div",
        { class: "lane-info" },
        h("span", null, lane.status),
        due !== undefined && lane.state !== "ACTIVATED" && !lane.alert && h("span", { class: "countdown", "data-due": String(due) }, countdown(due - Date.now())),
        lane.expiresAtMs !== undefined && lane.state !== "ACTIVATED" && ` · expires ${time(lane.expiresAtMs)}`,
      ),
      lane.alert && h("div", { class: `alert ${lane.alert.tone}`, role: "alert" }, h("strong", null, `${lane.alert.tone === "bad" ? "✕" : "⚠"} ${lane.alert.code}: `), lane.alert.message, lane.alert.evidence.length > 0 && h("dl", null, ...lane.alert.evidence.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, h("code", null, v))]))),
      incidents.length > 0 && h("ul", { class: "lane-incidents" }, ...incidents.map((i) => h("li", null, `${i.status === "open" ? "⚠" : "✓"} alert ${i.type} (${i.severity}, ${i.status}, ${time(i.openedAtMs)})${i.message ? `: ${i.message}` : ""} `, h("a", { href: "#/alerts" }, "all alerts")))),
      h(
        "details",
        { open: lane.alert?.tone === "bad" },
        h("summary", null, `Transactions (${lane.steps.filter((s) => s.txHash).length}) · relay ${lane.relay}`),
        h(
          "table",
          null,
          h("thead", null, h("tr", null, ...["Step", "Time", "Transaction", "Gas"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, ...lane.steps.map((s) => h("tr", null, h("td", null, s.label), h("td", null, time(s.atMs)), h("td", null, s.txHash ? h("code", { title: s.txHash }, short(s.txHash, 8)) : "—"), h("td", null, gas(s.gasUsed))))),
        ),
      ),
    );
  }

  function tick(): void {
    const now = Date.now();
    if (now > axis.endMs) axis = { ...axis, endMs: now + (now - axis.startMs) * 0.1 };
    for (const el of root.querySelectorAll<HTMLElement>("[data-now]")) el.style.left = pos(now);
    for (const el of root.querySelectorAll<HTMLElement>("[data-due]")) el.textContent = countdown(Number(el.dataset.due) - now);
  }

  return {
    async poll() {
      const [networks, proposal, audit, alerts] = await Promise.all([networksOf(api), api.get<ProposalAnswer>(path), api.get<AuditAnswer>(`${path}/audit`), api.get<{ alerts: Incident[] }>("/alerts?limit=100")]);
      const governed = proposal.data.proposal.approval !== undefined;
      const approvalsAnswer = governed ? await api.get<ApprovalsAnswer>(`${path}/approvals`) : undefined;
      if (state && !proposal.changed && !audit.changed && !approvalsAnswer?.changed && !alerts.changed) return;
      const incidents = alerts.data.alerts.filter((i) => i.proposalId === id);
      state = { proposal: proposal.data, audit: audit.data, incidents, ...(approvalsAnswer && { approvals: approvalsAnswer.data }) };
      draw(networks);
    },
    tick,
  };
}

/** The live countdown to a lane's activation time (its ETA, or the cut-over). */
function countdown(deltaMs: number): string {
  return deltaMs >= 0 ? ` · activates ${relative(deltaMs)}` : ` · activation due ${relative(deltaMs)}`;
}

/** The time axis: from the proposal's creation to a little after its latest ETA, activation or now. */
function axisOf(proposal: ProposalSummary, lanes: Lane[]): { startMs: number; endMs: number } {
  const startMs = proposal.createdAtMs;
  const times = lanes.flatMap((l) => [l.etaMs, l.activateAtMs, ...l.steps.map((s) => s.atMs)]).filter((t): t is number => t !== undefined);
  const latest = Math.max(Date.now(), proposal.cutoverAtMs ?? 0, ...times);
  return { startMs, endMs: latest + Math.max(5_000, (latest - startMs) * 0.1) };
}
