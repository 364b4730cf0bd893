/** `#/networks`: the registry as the API serves it, with whether this deployment configures each network. */
import type { NetworkEntry } from "../api-types.js";
import { h, replace } from "../dom.js";
import { gas } from "../format.js";
import type { View, ViewContext } from "./view.js";

/** The networks view. */
export function networksView({ api, root }: ViewContext): View {
  const region = h("div");
  replace(root, h("h1", null, "Networks"), region);
  // A view's first poll draws even when the answer is cached from another view (a 304).
  let drawn = false;
  return {
    async poll() {
      const { data, changed } = await api.get<{ networks: NetworkEntry[] }>("/networks");
      if (!changed && drawn) return;
      drawn = true;
      replace(
        region,
        h(
          "table",
          null,
          h("thead", null, h("tr", null, ...["Network", "Chain id", "Kind", "Configured", "Grace", "Confirmations", "Relay", "Max gas / tx"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, ...data.networks.map((n) => h("tr", null, h("th", { scope: "row" }, `${n.name ?? n.id} (${n.id})`), h("td", null, String(n.chainId)), h("td", null, n.kind), h("td", null, n.configured ? "✓ yes" : "— no"), h("td", null, `${n.graceSeconds} s`), h("td", null, String(n.confirmations)), h("td", null, n.relay.preferred.join(" → ")), h("td", null, gas(n.maxTxGas))))),
        ),
      );
    },
  };
}
