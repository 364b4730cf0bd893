/**
 * `npm run bench:cost -- --networks 21 --selectors 500`: what one upgrade costs in AWS. Runs the devnet
 * upgrade (the real handlers over DynamoDB Local, the local KMS server and the devnet's scheduler) with a
 * meter on every invocation — the DynamoDB units DynamoDB Local reports (ReturnConsumedCapacity), KMS
 * calls, jobs scheduled, alerts, EMF metrics and log bytes — then meters idle watchdog sweeps, reads the
 * deployment's memory sizes, alarms and keys from the synthesised stacks, and prices it all (prices.ts).
 * Each devnet network stands for a real one of the registry (its block time and confirmations replace
 * the devnet's 1 s blocks in the Lambdas' durations). Prints a table per service and, as the last stdout
 * line, one JSON object. Progress goes to stderr.
 */
import { parseArgs } from "node:util";
import { ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { createLocalDynamoClient } from "@payrox/aws/testing";
import { SQS_DELAY_PRECISION_MS } from "@payrox/aws";
import { ACTIVATION_HANDOFF, getNetwork, listNetworks, type Network } from "@payrox/core";
import { Template } from "aws-cdk-lib/assertions";
import { Stack } from "aws-cdk-lib";
import { byService, idleLines, inFlightWatchdogLines, itemBytes, s3Lines, total, upgradeLines, type CloudProfile, type CostLine } from "../src/cost/cloud-cost.js";
import { PRICES, PRICES_READ_ON, PRICES_REGION } from "../src/cost/prices.js";
import { readStackInventory, type TemplateJson } from "../src/cost/stack-inventory.js";
import { UsageMeter, type InvocationUsage } from "../src/cost/usage-meter.js";
import { devnetUp } from "../src/devnet/up.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// As in AWS: metrics on, INFO logs (the stacks set no level; Powertools' default is INFO). Both are metered, not shown.
process.env.POWERTOOLS_METRICS_DISABLED = "false";
process.env.POWERTOOLS_LOG_LEVEL = "INFO";

const { values } = parseArgs({
  options: {
    networks: { type: "string", default: "21" },
    selectors: { type: "string", default: "500" },
    delay: { type: "string", default: "60" },
    "batch-size": { type: "string", default: "300" },
    "timelock-hours": { type: "string", default: "24" },
    "idle-sweeps": { type: "string", default: "3" },
  },
});
const networks = Number(values.networks);
const selectors = Number(values.selectors);
const delaySeconds = Number(values.delay);
const maxBatchSize = Number(values["batch-size"]);
const timelockSeconds = Number(values["timelock-hours"]) * 3600;
const idleSweeps = Number(values["idle-sweeps"]);
for (const [flag, n] of Object.entries({ networks, selectors, delay: delaySeconds, "batch-size": maxBatchSize, "timelock-hours": timelockSeconds, "idle-sweeps": idleSweeps })) {
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${flag} must be a positive number`);
}
const WATCHDOG_INTERVAL_MS = 10_000;
const say = (text: string) => process.stderr.write(`${text}\n`);

// The deployment's shape, from the real stacks synthesised offline (before the devnet: it is CPU-heavy).
say("synthesising the stacks (memory sizes, alarms, keys, the watchdog's schedule)…");
const { synthesize } = await import("../../../stacks/test/synth.js");
const app = await synthesize("cost");
const templates = app.app.node.children.filter((c): c is Stack => Stack.isStack(c)).map((s) => Template.fromStack(s).toJSON() as TemplateJson);
const inventory = readStackInventory(templates);
if (inventory.architectures.some((a) => a !== "arm64")) throw new Error(`prices.ts prices Arm Lambdas; the stacks deploy ${inventory.architectures.join(", ")}`);

// Each devnet network plays one real network PayRox can upgrade (registry order, mainnets first).
const real = listNetworks().filter((n) => n.kind !== "devnet" && n.create2 === "canonical");
const playing = (devnet: string): Network => real[(Number(devnet.replace(/^devnet-/, "")) - 1) % real.length]!;
const devnet1 = getNetwork("devnet-1");
const profile: CloudProfile = {
  memoryMb: inventory.memoryMb,
  networkFor: playing,
  devnetChain: { blockTimeSeconds: devnet1.blockTimeSeconds, confirmations: devnet1.confirmations, pollMs: 250 },
  // The chain gateway's confirmation poll in the functions (TxSender's default).
  cloudPollMs: 1_000,
  timelockSeconds,
  // The activation hands off to the delay queue when it is precise enough (RoutingScheduler: SQS for ≤ 15 min).
  ...(SQS_DELAY_PRECISION_MS <= ACTIVATION_HANDOFF.maxPrecisionMs && { activationHandoff: ACTIVATION_HANDOFF }),
};

const meter = new UsageMeter();
const restoreStdout = meter.captureStdout();
const started = Date.now();
let devnet: Awaited<ReturnType<typeof devnetUp>> | undefined;
let tableBytes = 0;
try {
  devnet = await devnetUp({
    networks, delaySeconds, selectors, maxBatchSize, apiPort: 0, pollMs: 500,
    instrument: meter.instrumentation,
    watchdogIntervalMs: WATCHDOG_INTERVAL_MS,
    out: { isTTY: false, write: (text) => void process.stderr.write(text) },
  });
  meter.phase = "idle";
  say(`upgrade done in ${((Date.now() - started) / 1000).toFixed(0)} s; metering ${idleSweeps} idle watchdog sweep(s)…`);
  const idleCount = (fn: string) => meter.invocations.filter((u) => u.phase === "idle" && u.fn === fn).length;
  // The anchorer (where deployed) follows each sweep.
  const anchorDeployed = inventory.scheduledPerMonth.anchor !== undefined;
  while (idleCount("watchdog") < idleSweeps || (anchorDeployed && idleCount("anchor") < idleSweeps)) await new Promise((resolve) => setTimeout(resolve, 500));
  tableBytes = await storedBytes(devnet.state.dynamoEndpoint, devnet.state.tableName);
} finally {
  await devnet?.stop();
  restoreStdout();
}
const summary = devnet!.summaries[0]!;

const upgradePhase = meter.invocations.filter((u) => u.phase === "upgrade");
// The bench's own progress reads (GET) are not part of an upgrade; proposing is. The scheduled functions run anyway.
const upgrade = upgradePhase.filter((u) => u.fn !== "watchdog" && u.fn !== "anchor" && (u.fn !== "api" || !u.route?.startsWith("GET")));
const progressReads = upgradePhase.filter((u) => u.fn === "api" && u.route?.startsWith("GET")).length;
const idle = meter.invocations.filter((u) => u.phase === "idle" && u.fn === "watchdog");
const busySweeps = upgradePhase.filter((u) => u.fn === "watchdog");
const idleAnchors = meter.invocations.filter((u) => u.phase === "idle" && u.fn === "anchor");
// The anchors the upgrade's audit entries caused: the PUTs of the anchor ticks during the upgrade. An upper
// bound: the devnet's anchorer ticks with every 10 s sweep, AWS's every few minutes (fewer, larger anchors).
const anchorPuts = upgradePhase.filter((u) => u.fn === "anchor").map((u) => ({ ...u, s3: { PUT: u.s3.PUT ?? 0 } }));
const perUpgrade: CostLine[] = [
  ...upgradeLines(upgrade, profile, PRICES),
  ...inFlightWatchdogLines(busySweeps, idle, timelockSeconds / 60, PRICES),
  ...(anchorPuts.length > 0 ? s3Lines(anchorPuts, PRICES, "anchors of the upgrade (upper bound)").slice(0, 1) : []),
];
const perMonthIdle = idleLines(
  {
    watchdog: { idle, perMonth: inventory.scheduledPerMonth.watchdog! },
    ...(inventory.scheduledPerMonth.anchor !== undefined && { anchor: { idle: idleAnchors, perMonth: inventory.scheduledPerMonth.anchor } }),
    alarms: inventory.alarms,
    kmsKeys: inventory.kmsKeys,
    tableBytes,
  },
  profile,
  PRICES,
);

const usdPerUpgrade = total(perUpgrade);
// The same metered usage as if the activation still slept until its ETA (before the hand-off).
const { activationHandoff: _handoff, ...withoutHandoff } = profile;
const activateLine = (lines: readonly CostLine[]) => lines.filter((l) => l.item.startsWith("activate")).reduce((s, l) => s + l.usd, 0);
const perUpgradeWithoutHandoff = [...upgradeLines(upgrade, withoutHandoff, PRICES), ...inFlightWatchdogLines(busySweeps, idle, timelockSeconds / 60, PRICES)];
const usdPerMonthIdle = total(perMonthIdle);
printLines(`One upgrade: ${selectors} selectors on ${networks} networks (timelock ${values["timelock-hours"]} h)`, perUpgrade);
printLines("An idle month (no upgrade)", perMonthIdle);
const networkRows = [...new Set(upgrade.flatMap((u) => (u.network ? [u.network] : [])))].map((id) => {
  const own = upgrade.filter((u) => u.network === id);
  return { devnet: id, plays: playing(id).id, txs: own.reduce((s, u) => s + u.sends, 0), usd: total(upgradeLines(own, profile, PRICES)) };
});
printTable(["devnet network", "plays", "txs", "USD"], networkRows.map((r) => [r.devnet, r.plays, String(r.txs), usd(r.usd)]));
const largest = [...perUpgrade].sort((a, b) => b.usd - a.usd)[0]!;
const figures = {
  networks,
  selectors,
  timelockHours: Number(values["timelock-hours"]),
  pricesReadOn: PRICES_READ_ON,
  region: PRICES_REGION,
  usdPerUpgrade: round(usdPerUpgrade),
  usdPerNetwork: round(usdPerUpgrade / networks),
  usdPerMonthIdle: round(usdPerMonthIdle),
  usdPerUpgradeByService: Object.fromEntries(byService(perUpgrade).map((s) => [s.service, round(s.usd)])),
  usdPerMonthIdleByService: Object.fromEntries(byService(perMonthIdle).map((s) => [s.service, round(s.usd)])),
  usdPerUpgradeWithoutActivationHandoff: round(total(perUpgradeWithoutHandoff)),
  usdActivationsPerUpgrade: { withHandoff: round(activateLine(perUpgrade)), withoutHandoff: round(activateLine(perUpgradeWithoutHandoff)) },
  largestUpgradeLine: { item: `${largest.service} ${largest.item}`, usd: round(largest.usd) },
  lambdaGbSecondsPerUpgrade: round(perUpgrade.filter((l) => l.unit === "GB-s" && !l.item.startsWith("watchdog")).reduce((s, l) => s + l.quantity, 0)),
  invocationsPerUpgrade: upgrade.length,
  transactionsPerUpgrade: upgrade.reduce((s, u) => s + u.sends, 0),
  dynamoReadUnitsPerUpgrade: round(upgrade.reduce((s, u) => s + u.readUnits, 0)),
  dynamoWriteUnitsPerUpgrade: round(upgrade.reduce((s, u) => s + u.writeUnits, 0)),
  refusedConditionalWritesPerUpgrade: upgrade.reduce((s, u) => s + u.conditionFailedWrites, 0),
  kmsCallsPerUpgrade: upgrade.reduce((s, u) => s + Object.values(u.kms).reduce((a, b) => a + b, 0), 0),
  idleSweep: { meanMs: round(mean(idle, (u) => u.wallMs)), readUnits: round(mean(idle, (u) => u.readUnits)), writeUnits: round(mean(idle, (u) => u.writeUnits)) },
  idleAnchorTick: { meanMs: round(mean(idleAnchors, (u) => u.wallMs)), readUnits: round(mean(idleAnchors, (u) => u.readUnits)), s3Requests: round(mean(idleAnchors, (u) => Object.values(u.s3).reduce((a, b) => a + b, 0))) },
  tableBytes,
  alarms: inventory.alarms,
  kmsKeys: inventory.kmsKeys,
  memoryMb: inventory.memoryMb,
  progressReadsNotCounted: progressReads,
  unattributedDynamoUnits: round(meter.unattributed.readUnits + meter.unattributed.writeUnits),
  allActivated: summary.allActivated,
  wallSeconds: Math.round((Date.now() - started) / 1000),
};
console.log(JSON.stringify(figures));
process.exit(summary.allActivated ? 0 : 1);

/** Bytes of the items PayRox keeps (the devnet scheduler's jobs excluded: in AWS they are schedules). */
async function storedBytes(endpoint: string, tableName: string): Promise<number> {
  const client = createLocalDynamoClient(endpoint);
  let bytes = 0;
  let start: Record<string, AttributeValue> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) if (!item.PK?.S?.startsWith("JOB#")) bytes += itemBytes(item as never);
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return bytes;
}

function printLines(title: string, lines: readonly CostLine[]): void {
  console.log(`\n${title}: $${usd(total(lines))}`);
  const rows = [...lines].sort((a, b) => b.usd - a.usd).map((l) => [l.service, l.item, `${fmt(l.quantity)} ${l.unit}`, usd(l.usd)]);
  printTable(["service", "item", "quantity", "USD"], rows);
  printTable(["service", "USD"], byService(lines).map((s) => [s.service, usd(s.usd)]));
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((c, i) => (i === row.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  "));
  console.log("");
}

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n < 0.01 ? n.toExponential(2) : n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

function usd(n: number): string {
  return n.toFixed(6);
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

function mean(items: readonly InvocationUsage[], of: (u: InvocationUsage) => number): number {
  return items.length === 0 ? 0 : items.reduce((s, u) => s + of(u), 0) / items.length;
}
