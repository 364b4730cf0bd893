/// <reference lib="dom" />
/**
 * The test browser: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`) driven by
 * playwright-core, with a DEVELOPMENT-only wallet injected as an EIP-1193 provider.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import type { Wallet } from "ethers";

/** Where the system Chromium is; the browser tests skip (saying so) when it is not installed. */
export const CHROMIUM = process.env.PAYROX_CHROMIUM ?? "/usr/bin/chromium";

/** Whether the test browser is installed. */
export const hasChromium = existsSync(CHROMIUM);

/** Screenshots of each stage (git-ignored: `.payrox/` is). */
export const SCREENSHOTS = fileURLToPath(new URL("../../../../.payrox/screenshots/", import.meta.url));

/** Launches headless Chromium. */
export async function launch(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** What went wrong in the page: console errors and uncaught exceptions. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(`console.error: ${m.text()}`)));
  page.on("pageerror", (e) => void errors.push(`uncaught: ${e.message}`));
  return errors;
}

/**
 * Adds `window.ethereum` to every page of `page`'s context: `eth_requestAccounts` answers `wallet`'s
 * address and `eth_signTypedData_v4` signs the JSON typed data it is given with it (in Node, through an
 * exposed function), as a browser wallet would. The key must be a DEVELOPMENT key.
 */
export async function injectWallet(page: Page, wallet: Wallet, requests: { method: string; params?: unknown[] }[]): Promise<void> {
  await page.exposeFunction("__payroxDevWallet", async (method: string, params: unknown[]) => {
    requests.push({ method, params });
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [wallet.address];
    if (method === "eth_signTypedData_v4") {
      const data = JSON.parse(String(params[1])) as { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; message: Record<string, unknown> };
      const { EIP712Domain: _domain, ...types } = data.types;
      return wallet.signTypedData(data.domain, types, data.message);
    }
    throw new Error(`test wallet: ${method} not supported`);
  });
  await page.addInitScript(() => {
    const call = (window as unknown as { __payroxDevWallet: (m: string, p: unknown[]) => Promise<unknown> }).__payroxDevWallet;
    (window as unknown as { ethereum: unknown }).ethereum = { isPayRoxDevWallet: true, request: ({ method, params = [] }: { method: string; params?: unknown[] }) => call(method, params) };
  });
}

/** Runs axe-core (WCAG 2 A and AA rules) in the page; returns its violations, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
  });
  return violations;
}

/** Saves a full-page screenshot of a stage. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
