/** `#/proposals?state=…`: every proposal with its networks, state and approvals k/M, filterable by state. */
import type { ApprovalsAnswer, ProposalSummary } from "../api-types.js";
import { h, replace } from "../dom.js";
import { short, time } from "../format.js";
import { stateBadge } from "./badges.js";
import type { View, ViewContext } from "./view.js";

const FILTERS = ["all", "AWAITING_APPROVAL", "APPROVED", "REJECTED", "UNGOVERNED"] as const;

/** Proposals whose approvals k/M are read (one request each, revalidated by ETag on every poll). */
const COUNTED = 25;

/** The proposals list. */
export function proposalsView({ api, root, params }: ViewContext): View {
  const filter = params.state ?? "all";
  const table = h("div", { "aria-live": "polite" });
  const select = h("select", { id: "state-filter", onchange: (e: Event) => (location.hash = `#/proposals?state=${(e.target as HTMLSelectElement).value}`) }, ...FILTERS.map((f) => h("option", { value: f, selected: f === filter }, f === "UNGOVERNED" ? "no approval policy" : f.replace("_", " ").toLowerCase())));
  replace(root, h("h1", null, "Proposals"), h("p", null, h("label", { for: "state-filter" }, "Approval state "), select), table);
  // A view's first poll draws even when the answer is cached from another view (a 304).
  let drawn = false;
  return {
    async poll() {
      const { data, changed } = await api.get<{ proposals: ProposalSummary[] }>("/proposals?limit=100");
      const shown = data.proposals.filter((p) => filter === "all" || (filter === "UNGOVERNED" ? !p.approval : p.approval?.status === filter));
      if (changed || !drawn) draw(shown);
      drawn = true;
      await countApprovals(shown.filter((p) => p.approval).slice(0, COUNTED));
    },
  };

  /** Fills each governed proposal's approval cell with its state and k/M. */
  async function countApprovals(governed: ProposalSummary[]): Promise<void> {
    const counts = await Promise.all(governed.map((p) => api.get<ApprovalsAnswer>(`/proposals/${encodeURIComponent(p.id)}/approvals`).catch(() => undefined)));
    counts.forEach((answer, i) => {
      const cell = table.querySelector(`[data-approval="${CSS.escape(governed[i]!.id)}"]`);
      if (answer && cell && (answer.changed || !cell.querySelector("[data-count]"))) replace(cell, stateBadge(answer.data.status), h("span", { "data-count": "" }, ` ${answer.data.approved}/${answer.data.threshold}`));
    });
  }

  function draw(shown: ProposalSummary[]): void {
    replace(
      table,
      shown.length === 0
        ? h("p", null, "No proposals match.")
        : h(
            "table",
            null,
            h("caption", { class: "sr-only" }, "Proposals, newest first"),
            h("thead", null, h("tr", null, ...["Name", "Root", "Networks", "Approval", "Proposer", "Created"].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              null,
              ...shown.map((p) =>
                h(
                  "tr",
                  null,
                  h("td", null, h("a", { href: `#/proposals/${encodeURIComponent(p.id)}` }, p.name || p.id)),
                  h("td", null, h("code", { title: p.root }, short(p.root))),
                  h("td", null, `${p.networks.length}: ${p.networks.slice(0, 4).join(", ")}${p.networks.length > 4 ? "…" : ""}`),
                  h("td", { "data-approval": p.id }, p.approval ? stateBadge(p.approval.status) : "—"),
                  h("td", null, p.proposer),
                  h("td", null, time(p.createdAtMs)),
                ),
              ),
            ),
          ),
    );
  }
}
