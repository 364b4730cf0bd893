/**
 * `#/networks`: the registry as the API serves it, whether this deployment configures each network, and
 * each configured dispatcher's live state (address, active epoch and root, pending root, pause). The live
 * state reads every chain, so it is read when the view opens and on "Read again", not polled.
 */
import type { NetworkEntry } from "../api-types.js";
import { h, replace } from "../dom.js";
import { gas, short, time } from "../format.js";
import type { View, ViewContext } from "./view.js";

type LiveNetwork =
  | { network: string; ok: true; dispatcher?: string; activeEpoch: number; activeRoot: string; pendingRoot: string; pendingEpoch: number; pendingEta: number; paused: boolean; cancelling: boolean }
  | { network: string; ok: false; error: { code: string; message: string } };

const ZERO = "0x" + "0".repeat(64);

/** The networks view. */
export function networksView({ api, root }: ViewContext): View {
  const liveRegion = h("section", { "aria-labelledby": "live-h", "aria-busy": "true" }, h("h2", { id: "live-h" }, "Dispatchers, live"), h("p", null, "Reading every configured network…"));
  const region = h("section", { "aria-labelledby": "registry-h" });
  replace(root, h("h1", null, "Networks"), liveRegion, region);

  async function readLive(): Promise<void> {
    liveRegion.setAttribute("aria-busy", "true");
    try {
      const { data } = await api.get<{ readAtMs: number; networks: LiveNetwork[] }>("/networks/live");
      replace(
        liveRegion,
        h("h2", { id: "live-h" }, "Dispatchers, live"),
        h("p", null, `Read at ${time(data.readAtMs)} `, h("button", { type: "button", onclick: () => void readLive() }, "Read again")),
        h(
          "table",
          null,
          h("thead", null, h("tr", null, ...["Network", "Dispatcher", "Active epoch", "Active root", "Pending", "Paused"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            null,
            ...data.networks.map((n) =>
              n.ok
                ? h("tr", { "data-live": n.network }, h("th", { scope: "row" }, n.network), h("td", null, h("code", { title: n.dispatcher ?? "" }, short(n.dispatcher))), h("td", { "data-epoch": "" }, String(n.activeEpoch)), h("td", null, h("code", { title: n.activeRoot }, short(n.activeRoot))), h("td", null, n.pendingRoot === ZERO ? "none" : `epoch ${n.pendingEpoch}, ETA ${time(n.pendingEta * 1000)}${n.cancelling ? ", cancelling" : ""}`), h("td", null, n.paused ? "⏸ paused" : "no"))
                : h("tr", { "data-live": n.network }, h("th", { scope: "row" }, n.network), h("td", { colspan: "5" }, `✕ ${n.error.code}: ${n.error.message}`)),
            ),
          ),
        ),
      );
    } catch (error) {
      replace(liveRegion, h("h2", { id: "live-h" }, "Dispatchers, live"), h("p", { role: "alert" }, `✕ ${(error as Error).message}`));
    }
    liveRegion.setAttribute("aria-busy", "false");
  }

  void readLive();
  // A view's first poll draws even when the answer is cached from another view (a 304).
  let drawn = false;
  return {
    async poll() {
      const { data, changed } = await api.get<{ networks: NetworkEntry[] }>("/networks");
      if (!changed && drawn) return;
      drawn = true;
      replace(
        region,
        h("h2", { id: "registry-h" }, "Registry"),
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
