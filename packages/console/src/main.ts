/**
 * The console's entry: reads the configuration, routes `location.hash` to a view (every view has a URL to
 * share), and polls the current view every 2 s; a poll only redraws what the API says changed (ETags).
 */
import { ApiClient, loadConfig, type ApiAuth } from "./api-client.js";
import { forgetToken, signedInToken } from "./oidc.js";
import { h, replace } from "./dom.js";
import { alertsView } from "./views/alerts.js";
import { auditView } from "./views/audit.js";
import { networksView } from "./views/networks.js";
import { proposalView } from "./views/proposal.js";
import { proposalsView } from "./views/proposals.js";
import { reviewView } from "./views/review.js";
import type { View, ViewContext } from "./views/view.js";

const POLL_MS = 2_000;

const ROUTES: [RegExp, (ctx: ViewContext) => View][] = [
  [/^\/proposals\/(?<id>[^/]+)\/review$/, reviewView],
  [/^\/proposals\/(?<id>[^/]+)\/audit$/, auditView],
  [/^\/proposals\/(?<id>[^/]+)$/, proposalView],
  [/^\/networks$/, networksView],
  [/^\/alerts$/, alertsView],
  [/^\/(proposals)?$/, proposalsView],
];

async function start(): Promise<void> {
  const main = document.getElementById("main")!;
  const config = await loadConfig();
  let auth: ApiAuth | undefined;
  if (config.auth.kind === "oidc") {
    const settings = config.auth;
    // Signs in before the first view (a redirect to the issuer and back), then once per expired token.
    try {
      await signedInToken(settings);
    } catch (error) {
      replace(main, h("p", { role: "alert" }, `✕ ${(error as Error).message}`));
      return;
    }
    auth = { token: () => signedInToken(settings), refused: forgetToken };
  } else if (config.auth.kind !== "none") {
    replace(main, h("p", { role: "alert" }, `✕ config.json's auth kind "${(config.auth as { kind: string }).kind}" is not one this console knows ("none" or "oidc")`));
    return;
  }
  const api = new ApiClient(config, auth);
  let view: View | undefined;
  let generation = 0;

  async function poll(mine: number): Promise<void> {
    if (!view || mine !== generation) return;
    try {
      await view.poll();
      document.getElementById("conn")!.textContent = "";
    } catch (error) {
      if (mine === generation) document.getElementById("conn")!.textContent = `✕ ${(error as Error).message} (retrying)`;
    }
  }

  function route(): void {
    const [path = "/", query = ""] = location.hash.slice(1).split("?");
    const match = ROUTES.map(([re, make]) => ({ m: re.exec(path), make })).find((r) => r.m);
    const mine = ++generation;
    const params = { ...Object.fromEntries(new URLSearchParams(query)), ...Object.fromEntries(Object.entries(match?.m?.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])) };
    for (const a of document.querySelectorAll("header nav a")) a.toggleAttribute("aria-current", (a as HTMLAnchorElement).hash.slice(1) === path);
    if (!match) {
      view = undefined;
      replace(main, h("h1", null, "Not found"), h("p", null, `No view at ${path}. `, h("a", { href: "#/proposals" }, "Proposals")));
      return;
    }
    view = match.make({ api, root: main, params });
    void poll(mine);
  }

  window.addEventListener("hashchange", route);
  route();
  setInterval(() => void poll(generation), POLL_MS);
  setInterval(() => view?.tick?.(), 1_000);
}

void start();
