/// <reference lib="dom" />
/**
 * The console's OIDC sign-in (`config.json` auth `oidc`) in Chromium against a stand-in issuer on
 * 127.0.0.1 (discovery, an authorize endpoint that signs the user in at once, a token endpoint that checks
 * the PKCE verifier): the page signs in, comes back to the view it was opened on, and every API request
 * carries the bearer token. Skips, saying why, only when Chromium is not installed.
 */
import { createHash, randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalApi, type LocalApi } from "@payrox/devnet";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole, DIST } from "../../scripts/build.js";
import { CHROMIUM, collectPageErrors, hasChromium, launch } from "./browser.js";

if (!hasChromium) console.warn(`SKIPPED the console OIDC browser test: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);

describe.skipIf(!hasChromium)("the console's OIDC sign-in in Chromium", () => {
  let issuer: Server;
  let issuerUrl: string;
  let api: LocalApi;
  let browser: Browser;
  const seenAuthorization: string[] = [];
  const codes = new Map<string, string>();
  const TOKEN = `token-${randomUUID()}`;

  beforeAll(async () => {
    await buildConsole();
    issuer = createServer((req, res) => {
      const url = new URL(req.url ?? "/", issuerUrl);
      const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "content-type" };
      if (url.pathname === "/.well-known/openid-configuration") {
        res.writeHead(200, { "content-type": "application/json", ...cors });
        return res.end(JSON.stringify({ issuer: issuerUrl, authorization_endpoint: `${issuerUrl}/authorize`, token_endpoint: `${issuerUrl}/token` }));
      }
      if (url.pathname === "/authorize") {
        // Signs the user in at once: a code bound to the PKCE challenge, back to the redirect URI with the state.
        const code = randomUUID();
        codes.set(code, url.searchParams.get("code_challenge")!);
        const back = new URL(url.searchParams.get("redirect_uri")!);
        back.searchParams.set("code", code);
        back.searchParams.set("state", url.searchParams.get("state")!);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (url.pathname === "/token" && req.method === "OPTIONS") {
        res.writeHead(204, { ...cors, "access-control-allow-methods": "POST" });
        return res.end();
      }
      if (url.pathname === "/token") {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          const form = new URLSearchParams(body);
          const challenge = codes.get(form.get("code") ?? "");
          const verified = challenge !== undefined && createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url") === challenge && form.get("client_id") === "console-client";
          res.writeHead(verified ? 200 : 400, { "content-type": "application/json", ...cors });
          res.end(JSON.stringify(verified ? { access_token: TOKEN, token_type: "Bearer", expires_in: 3600 } : { error: "invalid_grant" }));
        });
        return;
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => issuer.listen(0, "127.0.0.1", resolve));
    issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
    const consoleDir = mkdtempSync(join(tmpdir(), "payrox-console-oidc-"));
    cpSync(DIST, consoleDir, { recursive: true });
    writeFileSync(join(consoleDir, "config.json"), JSON.stringify({ apiUrl: "", auth: { kind: "oidc", issuer: issuerUrl, clientId: "console-client" } }));
    api = await startLocalApi({
      consoleDir,
      handler: async (event) => {
        seenAuthorization.push(event.headers.authorization ?? "");
        return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ networks: [] }) };
      },
    });
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await new Promise((resolve) => issuer?.close(resolve));
  });

  it("signs in with the authorization code and PKCE, returns to the view it was opened on, and sends the token to the API", async () => {
    // Prepare
    // The devnet's CSP allows only its own origin (connect-src 'self'); a deployment's lists the issuer
    // too (packages/console/README.md). The stand-in issuer is another origin, so CSP is off here.
    const page = await browser.newPage({ bypassCSP: true });
    const errors = collectPageErrors(page);
    // Act
    await page.goto(`${api.url}/#/networks`);
    await page.getByRole("heading", { name: "Registry" }).waitFor({ timeout: 30_000 }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; page errors: ${errors.join(" | ")}; at ${page.url()}`);
    });
    // Assess
    expect(new URL(page.url()).search).toBe("");
    expect(new URL(page.url()).hash).toBe("#/networks");
    expect(seenAuthorization.length).toBeGreaterThan(0);
    expect(new Set(seenAuthorization)).toEqual(new Set([`Bearer ${TOKEN}`]));
    expect(errors).toEqual([]);
  });
});
