/**
 * `npm run bench:console`: how fast the console's proposal view shows a 21-network proposal with 40 apply
 * batches per network, in the test browser (Debian's Chromium via playwright-core). The data is real API
 * answers: the API Lambda's handler over DynamoDB Local, served with the built console by the devnet's
 * local API server, the proposal and its 882 audit entries written through the real store. Each of 10
 * loads is a fresh browser context (no HTTP cache); `firstViewMs` is the time from navigation start to the
 * mark the page sets when the swimlanes are drawn from API data. Prints a table, then
 * `{ "firstViewMs", "jsGzipBytes" }` (median firstViewMs) as its last line.
 */
import { createTable } from "@payrox/aws";
import { startDynamoDbLocal } from "@payrox/aws/testing";
import { listNetworks, type AuditEventInput, type Proposal, type Run } from "@payrox/core";
import { startLocalApi } from "@payrox/devnet";
import { hasChromium, launch, screenshot, CHROMIUM } from "../tests/e2e/browser.js";
import { buildConsole, DIST } from "./build.js";

const NETWORKS = 21;
const BATCHES = 40;
const LOADS = 10;
const TABLE = "payrox-bench-console";

if (!hasChromium) {
  console.error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set PAYROX_CHROMIUM)`);
  process.exit(1);
}
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
// Imported after the variables above: Powertools reads them when the functions' modules load.
const { buildDeps } = await import("../../../functions/src/composition.js");
const { createApiHandler } = await import("../../../functions/src/api.js");
const { ENV, readEnv } = await import("../../../functions/src/env.js");
type Deps = ReturnType<typeof buildDeps>;

const { jsGzipBytes } = await buildConsole();
const db = await startDynamoDbLocal();
const stops: (() => Promise<unknown>)[] = [() => db.stop()];
try {
  await createTable(db.client, TABLE);
  const env = readEnv({
    [ENV.TABLE_NAME]: TABLE,
    [ENV.SCHEDULER_GROUP]: "payrox",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
    [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
    [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
    [ENV.EVENT_BUS_NAME]: "payrox",
    [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
    [ENV.DEPLOYMENT_ID]: "payrox-bench",
  });
  const deps = buildDeps(env, { dynamoClient: db.client, alerts: { raise: async () => {} } });
  const id = await seed(deps.store, deps.audit);
  const api = await startLocalApi({ handler: createApiHandler(() => deps), consoleDir: DIST });
  stops.unshift(() => api.stop());
  const browser = await launch();
  stops.unshift(() => browser.close());

  const rows: { load: number; firstViewMs: number; lanes: number }[] = [];
  for (let load = 1; load <= LOADS; load++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${api.url}/#/proposals/${id}`);
    await page.waitForFunction(() => document.documentElement.dataset.swimlanes === "drawn", undefined, { timeout: 30_000 });
    const firstViewMs = await page.evaluate(() => performance.getEntriesByName("payrox:swimlanes-drawn")[0]!.startTime);
    const lanes = await page.locator(".lane").count();
    if (load === LOADS) await screenshot(page, `bench-${NETWORKS}x${BATCHES}`);
    rows.push({ load, firstViewMs: Math.round(firstViewMs), lanes });
    await context.close();
  }
  console.log("| load | first view (ms) | lanes drawn |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.load} | ${r.firstViewMs} | ${r.lanes} |`);
  const sorted = rows.map((r) => r.firstViewMs).sort((a, b) => a - b);
  const median = Math.round((sorted[(LOADS - 1) >> 1]! + sorted[LOADS >> 1]!) / 2);
  console.log(`${NETWORKS} networks × ${BATCHES} apply batches, ${LOADS} loads in fresh contexts; median ${median} ms (budget 1000), JavaScript ${jsGzipBytes} B gzip (budget 153600)`);
  console.log(JSON.stringify({ firstViewMs: median, jsGzipBytes }));
} finally {
  for (const stop of stops) await stop().catch(() => {});
}

/** Writes a 21-network proposal with 40 confirmed apply batches per network through the real store. */
async function seed(store: Deps["store"], audit: Deps["audit"]): Promise<string> {
  const now = Date.now();
  const networks = listNetworks().filter((n) => n.kind !== "devnet").slice(0, NETWORKS).map((n) => n.id);
  const id = `bench-${now}`;
  const proposal: Proposal = { id, manifestJson: "{}", root: "0x" + "ab".repeat(32), name: `bench ${NETWORKS}×${BATCHES}`, networks, createdAtMs: now - 600_000, proposer: "bench" };
  const runs: Run[] = networks.map((network, i) => ({ proposalId: id, network, state: i % 3 === 0 ? "ACTIVATED" : "APPLYING", batchesApplied: i % 3 === 0 ? BATCHES : 20 + i, batchCount: BATCHES, etaMs: now - 60_000 + i * 5_000, activateAtMs: now - 60_000 + i * 5_000, committedEpoch: 1, version: 1, updatedAtMs: now }) as Run);
  await store.createProposal(proposal, runs);
  const entries: AuditEventInput[] = [];
  networks.forEach((network, i) => {
    const t0 = now - 560_000 + i * 1_000;
    const tx = (k: number) => "0x" + (i * 1000 + k).toString(16).padStart(64, "0");
    entries.push({ proposalId: id, actor: "scheduler", event: "commit.confirmed", network, txHash: tx(0), gasUsed: "96171", atMs: t0, details: { epoch: 1 } });
    const applied = runs[i]!.batchesApplied;
    for (let b = 0; b < applied; b++) entries.push({ proposalId: id, actor: "scheduler", event: "apply.confirmed", network, txHash: tx(b + 1), gasUsed: "4100000", atMs: t0 + 10_000 + b * 12_000, details: { batch: b, batchCount: BATCHES } });
    if (runs[i]!.state === "ACTIVATED") entries.push({ proposalId: id, actor: "scheduler", event: "run.activated", network, txHash: tx(99), gasUsed: "120000", atMs: runs[i]!.etaMs! + 1_000, details: { latenessSeconds: 1 } });
  });
  for (const e of entries) await audit.append(e);
  return id;
}
