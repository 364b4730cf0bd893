/** `#/proposals/{id}/audit`: the audit trail and its verification (the first broken link named). */
import type { AuditAnswer } from "../api-types.js";
import { h, replace } from "../dom.js";
import { gas, short, time } from "../format.js";
import type { View, ViewContext } from "./view.js";

/** The audit view. */
export function auditView({ api, root, params }: ViewContext): View {
  const path = `/proposals/${encodeURIComponent(params.id!)}`;
  const region = h("div");
  replace(root, h("h1", null, "Audit trail of ", h("a", { href: `#${path}` }, params.id)), region);
  // A view's first poll draws even when the answer is cached from another view (a 304).
  let drawn = false;
  return {
    async poll() {
      const { data, changed } = await api.get<AuditAnswer>(`${path}/audit`);
      if (!changed && drawn) return;
      drawn = true;
      const v = data.verification;
      replace(
        region,
        h("p", { id: "audit-verdict", class: `alert ${v.ok ? "ok" : "bad"}`, role: "status" }, v.ok ? `✓ Verified: ${data.entries.length} entries, each chained to the one before` : `✕ Broken at entry #${v.brokenAt}: ${v.reason} — ${v.detail}`),
        data.anchoring.configured && h("p", null, data.anchoring.ok === false ? `✕ Anchors: ${data.anchoring.reason} — ${data.anchoring.detail}` : "✓ Matches every anchored head"),
        h(
          "table",
          null,
          h("thead", null, h("tr", null, ...["#", "Time", "Event", "Network", "Actor", "Transaction", "Gas", "Hash"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, ...data.entries.map((e) => h("tr", { class: !v.ok && v.brokenAt === e.seq ? "broken" : "" }, h("td", null, String(e.seq)), h("td", null, time(e.atMs)), h("td", null, e.event), h("td", null, e.network ?? "—"), h("td", null, e.actor), h("td", null, e.txHash ? h("code", { title: e.txHash }, short(e.txHash)) : "—"), h("td", null, gas(e.gasUsed)), h("td", null, h("code", { title: e.hash }, short(e.hash)))))),
        ),
      );
    },
  };
}
