/// <reference lib="dom" />
/**
 * The console in a real browser, as a person uses it, against a real devnet upgrade on 3 networks (anvil
 * nodes, DynamoDB Local, the local KMS server, the real API and step handlers): open the proposal,
 * approve with an injected DEVELOPMENT wallet and see it counted, watch every swimlane advance without a
 * reload, see the network whose facet code was swapped turn red with its alert, verify the audit trail.
 * Accessibility (axe-core, WCAG 2.1 AA; keyboard) and console errors are checked on every view.
 * Skips, saying why, only when Chromium is not installed (`.ci/run` installs it).
 */
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { JsonRpcProvider, Wallet } from "ethers";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../../cli/src/api-client.js";
import { approveAsDevnet } from "../../../cli/src/devnet/approve.js";
import { DEVNET_ONLY_APPROVER_KEYS } from "../../../cli/src/devnet/approvers.js";
import { exampleManifest } from "../../../cli/src/devnet/example-manifest.js";
import { startLocalPayRox, type LocalPayRox } from "../../../cli/src/devnet/local-payrox.js";
import { startDevnetServices, type DevnetServices } from "../../../cli/src/devnet/services.js";
import { buildConsole, DIST } from "../../scripts/build.js";
import { axeViolations, CHROMIUM, collectPageErrors, hasChromium, injectWallet, launch, screenshot } from "./browser.js";

if (!hasChromium) console.warn(`SKIPPED the console browser test: no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);

const MISMATCH_NETWORK = "devnet-3";

describe.skipIf(!hasChromium)("the console in Chromium during a devnet upgrade", () => {
  let services: DevnetServices;
  let payrox: LocalPayRox;
  let browser: Browser;
  let page: Page;
  let proposalId: string;
  let errors: string[];
  const walletRequests: { method: string; params?: unknown[] }[] = [];

  beforeAll(async () => {
    await buildConsole();
    services = await startDevnetServices({ networks: 3, activationDelaySeconds: 10 });
    payrox = await startLocalPayRox(services.state, { maxBatchSize: 24, apiPort: 0, consoleDir: DIST });
    const client = new ApiClient({ baseUrl: payrox.apiUrl, signer: "none" });
    const manifest = await exampleManifest(services.state, "console-e2e");
    proposalId = (await client.propose({ manifest, networks: services.state.networks.map((n) => n.id) })).id;
    // devnet-3's CounterFacetV1 gets other code after the proposal checked it: its apply must fail CodehashMismatch.
    const n3 = services.state.networks.find((n) => n.id === MISMATCH_NETWORK)!;
    const provider = new JsonRpcProvider(n3.rpcUrl, n3.chainId, { staticNetwork: true });
    await provider.send("anvil_setCode", [n3.facets.CounterFacetV1, loadArtifact("CounterFacetV2").deployedBytecode]);
    provider.destroy();
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectPageErrors(page);
    // DEVELOPMENT-only approver key #1 of the devnet's policy (public, local chains only).
    await injectWallet(page, new Wallet(DEVNET_ONLY_APPROVER_KEYS[0]!.privateKey), walletRequests);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await payrox?.stop();
    await services?.stop();
  });

  it("lists the proposal awaiting approval, and is accessible", async () => {
    // Act
    await page.goto(`${payrox.consoleUrl}#/proposals`);
    await page.locator(`[data-approval="${proposalId}"]`).getByText("0/2").waitFor();
    expect(await page.locator(`[data-approval="${proposalId}"]`).textContent()).toContain("AWAITING APPROVAL");
    await page.evaluate(() => ((window as unknown as { __loaded: number }).__loaded = 1));
    // Assess
    await screenshot(page, "1-proposals");
    expect(await axeViolations(page)).toEqual([]);
  });

  it("approves from the review with the injected wallet: signs the typed data it shows the digest of, and counts it 1/2", async () => {
    // Prepare
    await page.evaluate((id) => (location.hash = `#/proposals/${id}/review`), proposalId);
    await page.locator("#review-digest").waitFor({ timeout: 60_000 });
    expect(await page.locator("#digest-check").textContent()).toContain("✓ computed in this page");
    // Act: reach Approve by keyboard and press it
    let focused = "";
    for (let i = 0; i < 60 && focused !== "approve"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement?.id ?? "");
    }
    expect(focused).toBe("approve");
    await page.keyboard.press("Enter");
    await page.locator("#sign-status").getByText("1/2 approvals").waitFor({ timeout: 30_000 });
    // Assess: the wallet got typed data (not a hash) whose digest is the one the page shows
    const signed = walletRequests.find((r) => r.method === "eth_signTypedData_v4")!;
    const data = JSON.parse(String(signed.params![1])) as { primaryType: string; message: { proposalId: string; nonce: number } };
    expect(data).toMatchObject({ primaryType: "Approve", message: { proposalId, nonce: 0 } });
    expect(await page.locator("#digest-value").textContent()).toBe(await page.locator("#review-digest").textContent());
    await page.locator("#approval-count").getByText("1/2").waitFor();
    await screenshot(page, "2-review-approved-1of2");
    expect(await axeViolations(page)).toEqual([]);
  });

  it("shows every swimlane advance to ACTIVATED without a reload once a second approver signs, and the swapped network red with its alert", async () => {
    // Prepare: the second DEVELOPMENT approver signs through the API, as `payrox approve` would
    const client = new ApiClient({ baseUrl: payrox.apiUrl, signer: "none" });
    expect(await approveAsDevnet(client, proposalId, () => {})).toBe(true);
    await page.evaluate((id) => (location.hash = `#/proposals/${id}`), proposalId);
    await page.locator("#approval-count").getByText("2/2").waitFor({ timeout: 30_000 });
    await page.locator('.lane[data-state="APPLYING"], .lane[data-state="COMMITTED"]').first().waitFor({ timeout: 120_000 });
    await screenshot(page, "3-swimlanes-in-flight");
    // Act: wait while the page polls
    for (const network of ["devnet-1", "devnet-2"]) await page.locator(`.lane[data-network="${network}"][data-state="ACTIVATED"]`).waitFor({ timeout: 240_000 });
    const failed = page.locator(`.lane[data-network="${MISMATCH_NETWORK}"][data-state="FAILED"]`);
    await failed.waitFor({ timeout: 240_000 });
    // Assess
    expect(await page.evaluate(() => (window as unknown as { __loaded?: number }).__loaded)).toBe(1);
    expect(await failed.locator(".alert").textContent()).toMatch(/codehash-mismatch/i);
    expect(await failed.getAttribute("class")).toContain("bad");
    expect(await failed.locator(".badge").textContent()).toContain("FAILED");
    await failed.locator(".lane-incidents").getByText("alert codehash-mismatch (critical, open").waitFor({ timeout: 30_000 });
    const activated = page.locator('.lane[data-network="devnet-1"]');
    expect(await activated.locator("details tbody tr").count()).toBeGreaterThanOrEqual(5);
    await screenshot(page, "4-swimlanes-final");
    expect(await axeViolations(page)).toEqual([]);
  });

  it("verifies the audit trail in the page", async () => {
    // Act
    await page.evaluate((id) => (location.hash = `#/proposals/${id}/audit`), proposalId);
    const verdict = page.locator("#audit-verdict");
    await verdict.waitFor();
    // Assess
    expect(await verdict.textContent()).toMatch(/^✓ Verified: \d+ entries/);
    await screenshot(page, "5-audit");
    expect(await axeViolations(page)).toEqual([]);
  });

  it("lists the codehash-mismatch incident with its evidence among the open alerts", async () => {
    // Act
    await page.evaluate(() => (location.hash = "#/alerts"));
    const incident = page.locator('li[data-type="codehash-mismatch"]');
    await incident.waitFor({ timeout: 30_000 });
    // Assess
    const text = (await incident.textContent()) ?? "";
    expect(text).toContain(MISMATCH_NETWORK);
    expect(text).toMatch(/expected.*0x[0-9a-f]{64}/i);
    await screenshot(page, "6-alerts");
    expect(await axeViolations(page)).toEqual([]);
  });

  it("shows the networks with each dispatcher's live epoch, and logged no console error during the whole run", async () => {
    // Act
    await page.evaluate(() => (location.hash = "#/networks"));
    const live = page.locator('tr[data-live="devnet-1"] [data-epoch]');
    await live.waitFor({ timeout: 30_000 });
    // Assess
    expect(Number(await live.textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('tr[data-live="devnet-3"] [data-epoch]').textContent()).toBe("0");
    await screenshot(page, "7-networks");
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
