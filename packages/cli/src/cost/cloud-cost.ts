/**
 * What the metered devnet upgrade would cost in AWS: each invocation's duration as a Lambda would run
 * it (the handler's own time plus the blocks a real network makes it wait, instead of the devnet's 1 s
 * blocks), and every billable quantity priced from `prices.ts`. Pure arithmetic: no clock, no I/O.
 */
import type { Network } from "@payrox/core";
import type { BilledFunction, InvocationUsage, ScheduledUsage } from "./usage-meter.js";
import { HOURS_PER_MONTH, type PriceTable } from "./prices.js";

/** How long before its ETA the activation is scheduled (core's ACTIVATION_LEAD_MS). */
export const ACTIVATION_LEAD_MS = 60_000;
/** Jobs due within this many ms go through the SQS delay queue, later ones through EventBridge Scheduler (RoutingScheduler). */
export const SQS_NEAR_MS = 900_000;
/** SQS requests one delay-queue message costs: SendMessage, the Lambda poller's ReceiveMessage, its DeleteMessage. */
export const SQS_REQUESTS_PER_MESSAGE = 3;
/**
 * Lambda's SQS event source polls an idle queue with long polls: AWS starts with five pollers
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), each a 20 s ReceiveMessage.
 * An estimate: AWS does not publish the idle poller count as a price.
 */
export const IDLE_SQS_RECEIVES_PER_MINUTE = 5 * (60 / 20);
/** Bytes of the START, END and REPORT lines the Lambda runtime logs per invocation (measured on AWS logs: ~90 + ~60 + ~200). */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 350;
/** Minutes in a billing month. */
export const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;

/** A chain's timing as the confirmation wait sees it. */
export interface ChainTiming {
  blockTimeSeconds: number;
  confirmations: number;
}

/** What the cloud figures assume besides the metered usage. */
export interface CloudProfile {
  /** Memory (MB) of each function, as the stacks deploy it. */
  memoryMb: Record<BilledFunction, number>;
  /** The real network a devnet network stands for. */
  networkFor(devnetNetwork: string): Pick<Network, "id" | "blockTimeSeconds" | "confirmations">;
  /** The devnet's chains (what the metered sends waited for) and its gateway's confirmation poll. */
  devnetChain: ChainTiming & { pollMs: number };
  /** The functions' confirmation poll in AWS (the chain gateway's default). */
  cloudPollMs: number;
  /** The dispatchers' activation delay in AWS: decides how the activation is scheduled. */
  timelockSeconds: number;
  /** The activation's hand-off, when the code makes one and the cloud's scheduler is precise enough for it. @default none */
  activationHandoff?: ActivationHandoff;
}

/**
 * Mean time from a transaction's submission until it has `confirmations`: half a block to the next
 * block (it lands there), then one block per further confirmation, then half a poll to notice.
 */
export function expectedConfirmationMs(chain: ChainTiming, pollMs: number): number {
  return chain.blockTimeSeconds * 1000 * (0.5 + Math.max(0, chain.confirmations - 1)) + pollMs / 2;
}

/** The activation step's hand-off to a second-precise transport (core's ACTIVATION_HANDOFF). */
export interface ActivationHandoff {
  minWaitMs: number;
  leadMs: number;
}

/**
 * Mean activation hold: the step is scheduled a minute before the ETA; EventBridge Scheduler fires it
 * anywhere in that minute (woken W ~ U(0, 60 s) early), the SQS delay queue on the second (W = 60 s).
 * Without a hand-off the invocation sleeps W. With one (the code's, when the scheduler is second-precise),
 * a wake more than `minWaitMs` plus a block early reschedules itself `leadMs` plus up to a block (mean
 * half a block) before the ETA and that invocation sleeps the rest. Then the hold waits for the first
 * block at or after the ETA (half a block) and notices it within half a poll.
 */
export function activationHoldMs(blockTimeSeconds: number, viaEventBridge: boolean, handoff?: ActivationHandoff): number {
  const blockMs = blockTimeSeconds * 1000;
  const pollMs = Math.min(1_000, Math.max(100, blockTimeSeconds * 250));
  const afterEta = blockMs / 2 + pollMs / 2;
  const threshold = handoff ? handoff.minWaitMs + blockMs : Number.POSITIVE_INFINITY;
  const handedOff = handoff ? handoff.leadMs + blockMs / 2 : 0;
  if (!viaEventBridge) return (ACTIVATION_LEAD_MS > threshold ? handedOff : ACTIVATION_LEAD_MS) + afterEta;
  if (threshold >= ACTIVATION_LEAD_MS) return ACTIVATION_LEAD_MS / 2 + afterEta;
  // E[W; W ≤ threshold] + P(W > threshold) · handedOff, W uniform over the minute.
  return (threshold ** 2 / 2 + (ACTIVATION_LEAD_MS - threshold) * handedOff) / ACTIVATION_LEAD_MS + afterEta;
}

/** The chance an activation hands off (one more invocation and one more delay-queue message), by the same model as {@link activationHoldMs}. */
export function handoffProbability(blockTimeSeconds: number, viaEventBridge: boolean, handoff?: ActivationHandoff): number {
  if (!handoff) return 0;
  const threshold = handoff.minWaitMs + blockTimeSeconds * 1000;
  if (threshold >= ACTIVATION_LEAD_MS) return 0;
  return viaEventBridge ? (ACTIVATION_LEAD_MS - threshold) / ACTIVATION_LEAD_MS : 1;
}

/**
 * The hand-off invocations the cloud would add beyond those the devnet made (its wake-ups need not
 * match the cloud's): each a Lambda request at the activations' mean own time and a delay-queue message.
 */
export function handoffLines(usages: readonly InvocationUsage[], profile: CloudProfile, prices: PriceTable): CostLine[] {
  const activations = usages.filter((u) => u.fn === "activate" && u.sends > 0 && u.network !== undefined);
  if (!profile.activationHandoff || activations.length === 0) return [];
  const via = activationViaEventBridge(profile.timelockSeconds);
  const expected = activations.reduce((s, u) => s + handoffProbability(profile.networkFor(u.network!).blockTimeSeconds, via, profile.activationHandoff), 0);
  const measured = usages.filter((u) => u.fn === "activate" && u.sends === 0 && u.scheduled.some((j) => j.step === "activate")).length;
  const extra = Math.max(0, expected - measured);
  const ownMs = activations.reduce((s, u) => s + Math.max(0, u.wallMs - u.sendMs - u.holdMs), 0) / activations.length;
  const gbSeconds = extra * (ownMs / 1000) * (profile.memoryMb.activate / 1024);
  return [
    { service: "Lambda", item: "activate hand-offs, modelled (requests)", quantity: extra, unit: "requests", usd: extra * prices.lambdaPerRequest },
    { service: "Lambda", item: "activate hand-offs, modelled (duration)", quantity: gbSeconds, unit: "GB-s", usd: gbSeconds * prices.lambdaArmPerGbSecond },
    { service: "SQS", item: "activate hand-offs, modelled (× 3 requests)", quantity: extra * SQS_REQUESTS_PER_MESSAGE, unit: "requests", usd: extra * SQS_REQUESTS_PER_MESSAGE * prices.sqsPerRequest },
  ];
}

/** Whether the activation goes through EventBridge Scheduler (due later than the delay queue's reach). */
export function activationViaEventBridge(timelockSeconds: number): boolean {
  return timelockSeconds * 1000 - ACTIVATION_LEAD_MS > SQS_NEAR_MS;
}

/**
 * An invocation's billed duration in AWS: its own time (handler minus sends minus hold), plus each
 * send's own work (its time minus the devnet's expected confirmation wait), plus the real network's
 * confirmation wait per send, plus the real activation hold when the activation sent.
 */
export function cloudDurationMs(usage: InvocationUsage, profile: CloudProfile): number {
  const own = Math.max(0, usage.wallMs - usage.sendMs - usage.holdMs);
  if (usage.network === undefined || usage.sends === 0) return Math.ceil(own);
  const devnetWait = expectedConfirmationMs(profile.devnetChain, profile.devnetChain.pollMs);
  const sendWork = Math.max(0, usage.sendMs - usage.sends * devnetWait);
  const network = profile.networkFor(usage.network);
  const chainWait = usage.sends * expectedConfirmationMs(network, profile.cloudPollMs);
  const hold = usage.fn === "activate" ? activationHoldMs(network.blockTimeSeconds, activationViaEventBridge(profile.timelockSeconds), profile.activationHandoff) : 0;
  return Math.ceil(own + sendWork + chainWait + hold);
}

/** The transport AWS would use for a scheduled job; an apply's activation job is due a timelock later. */
export function transportOf(job: ScheduledUsage, scheduledBy: BilledFunction, timelockSeconds: number): "sqs" | "scheduler" {
  const delayMs = job.step === "activate" && scheduledBy === "apply" ? timelockSeconds * 1000 - ACTIVATION_LEAD_MS : job.delayMs;
  return delayMs <= SQS_NEAR_MS ? "sqs" : "scheduler";
}

/** One priced line of the bill. */
export interface CostLine {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

/** Lambda lines (requests, GB-s) of `usages`, one pair per function. */
export function lambdaLines(usages: readonly InvocationUsage[], profile: CloudProfile, prices: PriceTable): CostLine[] {
  const byFunction = new Map<BilledFunction, { requests: number; gbSeconds: number }>();
  for (const usage of usages) {
    const entry = byFunction.get(usage.fn) ?? { requests: 0, gbSeconds: 0 };
    entry.requests++;
    entry.gbSeconds += (cloudDurationMs(usage, profile) / 1000) * (profile.memoryMb[usage.fn] / 1024);
    byFunction.set(usage.fn, entry);
  }
  return [...byFunction].flatMap(([fn, { requests, gbSeconds }]) => [
    { service: "Lambda", item: `${fn} requests`, quantity: requests, unit: "requests", usd: requests * prices.lambdaPerRequest },
    { service: "Lambda", item: `${fn} duration (${profile.memoryMb[fn]} MB)`, quantity: gbSeconds, unit: "GB-s", usd: gbSeconds * prices.lambdaArmPerGbSecond },
  ]);
}

/** DynamoDB lines: units the service reported, and refused conditional writes at one unit each (their floor). */
export function dynamoLines(usages: readonly InvocationUsage[], prices: PriceTable): CostLine[] {
  const read = sum(usages, (u) => u.readUnits);
  const write = sum(usages, (u) => u.writeUnits);
  const refused = sum(usages, (u) => u.conditionFailedWrites);
  return [
    { service: "DynamoDB", item: "read request units", quantity: read, unit: "RRU", usd: read * prices.dynamoPerReadUnit },
    { service: "DynamoDB", item: "write request units", quantity: write, unit: "WRU", usd: write * prices.dynamoPerWriteUnit },
    { service: "DynamoDB", item: "refused conditional writes (≥ 1 WRU each)", quantity: refused, unit: "WRU", usd: refused * prices.dynamoPerWriteUnit },
  ];
}

/** Every per-upgrade line: Lambda, DynamoDB, scheduling, KMS, EventBridge, CloudWatch, API Gateway. */
export function upgradeLines(usages: readonly InvocationUsage[], profile: CloudProfile, prices: PriceTable): CostLine[] {
  const scheduled = usages.flatMap((u) => u.scheduled.map((job) => transportOf(job, u.fn, profile.timelockSeconds)));
  const sqsMessages = scheduled.filter((t) => t === "sqs").length;
  const schedules = scheduled.length - sqsMessages;
  const kmsCalls = sum(usages, (u) => sumValues(u.kms));
  const busEvents = sum(usages, (u) => u.busEvents);
  const metricHours = metricHoursOf(usages);
  const logGb = sum(usages, (u) => u.logBytes + PLATFORM_LOG_BYTES_PER_INVOCATION) / 1e9;
  const apiRequests = usages.filter((u) => u.fn === "api").length;
  return [
    ...lambdaLines(usages, profile, prices),
    ...handoffLines(usages, profile, prices),
    ...dynamoLines(usages, prices),
    { service: "EventBridge Scheduler", item: "scheduled invocations", quantity: schedules, unit: "invocations", usd: schedules * prices.schedulerPerInvocation },
    { service: "SQS", item: "delay-queue messages × 3 requests", quantity: sqsMessages * SQS_REQUESTS_PER_MESSAGE, unit: "requests", usd: sqsMessages * SQS_REQUESTS_PER_MESSAGE * prices.sqsPerRequest },
    { service: "KMS", item: `requests (${describeCounts(usages)})`, quantity: kmsCalls, unit: "requests", usd: kmsCalls * prices.kmsPerAsymmetricRequest },
    { service: "EventBridge", item: "alert events on the bus", quantity: busEvents, unit: "events", usd: busEvents * prices.eventBridgePerEvent },
    { service: "CloudWatch", item: "custom metrics (metric-hours)", quantity: metricHours, unit: "metric-hours", usd: (metricHours / HOURS_PER_MONTH) * prices.cloudWatchPerMetricMonth },
    { service: "CloudWatch", item: "logs ingested (incl. EMF)", quantity: logGb, unit: "GB", usd: logGb * prices.cloudWatchLogsPerGbIngested },
    { service: "API Gateway", item: "HTTP API requests", quantity: apiRequests, unit: "requests", usd: apiRequests * prices.apiGatewayHttpPerRequest },
  ];
}

/** S3 lines: the anchor store's requests. */
export function s3Lines(usages: readonly InvocationUsage[], prices: PriceTable, label = "anchor store"): CostLine[] {
  const putOrList = sum(usages, (u) => (u.s3.PUT ?? 0) + (u.s3.LIST ?? 0));
  const get = sum(usages, (u) => u.s3.GET ?? 0);
  return [
    { service: "S3", item: `${label}: PUT and LIST requests`, quantity: putOrList, unit: "requests", usd: putOrList * prices.s3PerPutOrListRequest },
    { service: "S3", item: `${label}: GET requests`, quantity: get, unit: "requests", usd: get * prices.s3PerGetRequest },
  ];
}

/**
 * Metric-hours an upgrade's EMF metrics are billed for: a metric is billed for each hour it is sent in.
 * The commit and apply steps (and the API) run within one hour; the activations, a timelock later, in
 * another: so distinct metrics of the first group plus distinct metrics of the activations.
 */
export function metricHoursOf(usages: readonly InvocationUsage[]): number {
  const early = new Set(usages.filter((u) => u.fn !== "activate").flatMap((u) => u.metrics));
  const late = new Set(usages.filter((u) => u.fn === "activate").flatMap((u) => u.metrics));
  return early.size + late.size;
}

/** One function that runs on a schedule whatever happens (the watchdog, the anchorer). */
export interface ScheduledFunctionIdle {
  /** Metered invocations with every run final (their mean is what every firing costs). */
  idle: readonly InvocationUsage[];
  /** Invocations per month (its rule's `rate(...)`). */
  perMonth: number;
}

/** What the deployment costs in a month with no upgrade. */
export interface IdleInputs {
  watchdog: ScheduledFunctionIdle;
  /** @default none (a deployment without the anchorer) */
  anchor?: ScheduledFunctionIdle;
  alarms: number;
  kmsKeys: number;
  /** Bytes the table holds. */
  tableBytes: number;
}

/** A scheduled function's month: its mean metered invocation times its firings, and its metrics sent every hour. */
export function scheduledFunctionLines(fn: "watchdog" | "anchor", inputs: ScheduledFunctionIdle, profile: CloudProfile, prices: PriceTable): CostLine[] {
  const n = inputs.idle.length;
  if (n === 0) throw new RangeError(`no idle ${fn} invocation was metered`);
  const scale = inputs.perMonth / n;
  const usages = inputs.idle.map((u) => ({ ...u, fn }));
  const perMonth = (lines: CostLine[]) => lines.map((l) => ({ ...l, quantity: l.quantity * scale, usd: l.usd * scale }));
  const metrics = new Set(usages.flatMap((u) => u.metrics)).size;
  const logGb = (sum(usages, (u) => u.logBytes + PLATFORM_LOG_BYTES_PER_INVOCATION) * scale) / 1e9;
  return [
    ...perMonth(lambdaLines(usages, profile, prices)),
    ...perMonth(dynamoLines(usages, prices).map((l) => ({ ...l, item: `${fn}: ${l.item}` }))),
    ...(fn === "anchor" ? perMonth(s3Lines(usages, prices)) : []),
    { service: "CloudWatch", item: `${fn} metrics, sent every hour`, quantity: metrics, unit: "metrics", usd: metrics * prices.cloudWatchPerMetricMonth },
    { service: "CloudWatch", item: `${fn} logs ingested`, quantity: logGb, unit: "GB", usd: logGb * prices.cloudWatchLogsPerGbIngested },
  ];
}

/** Idle-month lines: the watchdog and the anchorer, alarms, keys, the delay queue's pollers, storage. */
export function idleLines(inputs: IdleInputs, profile: CloudProfile, prices: PriceTable): CostLine[] {
  const receives = IDLE_SQS_RECEIVES_PER_MINUTE * MINUTES_PER_MONTH;
  const tableGb = inputs.tableBytes / 1e9;
  return [
    ...scheduledFunctionLines("watchdog", inputs.watchdog, profile, prices),
    ...(inputs.anchor ? scheduledFunctionLines("anchor", inputs.anchor, profile, prices) : []),
    { service: "CloudWatch", item: "alarms", quantity: inputs.alarms, unit: "alarms", usd: inputs.alarms * prices.cloudWatchPerAlarmMonth },
    { service: "KMS", item: "keys", quantity: inputs.kmsKeys, unit: "keys", usd: inputs.kmsKeys * prices.kmsPerKeyMonth },
    { service: "SQS", item: "delay queue's idle long polls (estimate)", quantity: receives, unit: "requests", usd: receives * prices.sqsPerRequest },
    { service: "DynamoDB", item: "storage + point-in-time recovery", quantity: tableGb, unit: "GB", usd: tableGb * (prices.dynamoStoragePerGbMonth + prices.dynamoPitrPerGbMonth) },
  ];
}

/** Sums `lines` by service, largest first. */
export function byService(lines: readonly CostLine[]): { service: string; usd: number }[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.service, (totals.get(line.service) ?? 0) + line.usd);
  return [...totals].map(([service, usd]) => ({ service, usd })).sort((a, b) => b.usd - a.usd);
}

/** The total of `lines`. */
export function total(lines: readonly CostLine[]): number {
  return lines.reduce((s, l) => s + l.usd, 0);
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((s, item) => s + of(item), 0);
}

function sumValues(record: Record<string, number>): number {
  return Object.values(record).reduce((s, v) => s + v, 0);
}

function describeCounts(usages: readonly InvocationUsage[]): string {
  const counts: Record<string, number> = {};
  for (const u of usages) for (const [op, n] of Object.entries(u.kms)) counts[op] = (counts[op] ?? 0) + n;
  return Object.entries(counts).map(([op, n]) => `${op} ${n}`).join(", ") || "none";
}

/**
 * What the runs in flight add to the watchdog while an upgrade waits out its timelock: the DynamoDB units
 * of the metered sweeps during the upgrade minus those of idle sweeps, times the sweeps AWS makes in
 * that time (never below zero). Their extra duration is left out: in one devnet process a sweep's wall
 * time during the upgrade mostly measures the steps it shares the event loop with.
 */
export function inFlightWatchdogLines(upgradeSweeps: readonly InvocationUsage[], idleSweeps: readonly InvocationUsage[], sweeps: number, prices: PriceTable): CostLine[] {
  if (upgradeSweeps.length === 0 || idleSweeps.length === 0) return [];
  const perSweep = (usages: readonly InvocationUsage[]) => dynamoLines(usages, prices).map((l) => ({ ...l, quantity: l.quantity / usages.length, usd: l.usd / usages.length }));
  const idle = new Map(perSweep(idleSweeps).map((l) => [l.item, l]));
  return perSweep(upgradeSweeps).map((busy) => {
    const base = idle.get(busy.item)!;
    return {
      service: busy.service,
      item: `watchdog, runs in flight: ${busy.item}`,
      quantity: Math.max(0, busy.quantity - base.quantity) * sweeps,
      unit: busy.unit,
      usd: Math.max(0, busy.usd - base.usd) * sweeps,
    };
  });
}

/**
 * Approximate stored size of a DynamoDB item in its wire form (AWS's rules: attribute names plus values;
 * numbers ~1 byte per 2 digits + 1; lists and maps 3 bytes plus 1 per element).
 */
export function itemBytes(item: Record<string, AttributeValueLike>): number {
  return Object.entries(item).reduce((s, [name, value]) => s + Buffer.byteLength(name) + valueBytes(value), 0);
}

/** The subset of a DynamoDB AttributeValue {@link itemBytes} reads. */
export type AttributeValueLike = { S?: string; N?: string; B?: Uint8Array; BOOL?: boolean; NULL?: boolean; L?: AttributeValueLike[]; M?: Record<string, AttributeValueLike>; SS?: string[]; NS?: string[] };

function valueBytes(value: AttributeValueLike): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[^0-9]/g, "").length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((s, v) => s + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((s, [k, v]) => s + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
  if (value.SS !== undefined) return value.SS.reduce((s, v) => s + Buffer.byteLength(v), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, v) => s + Math.ceil(v.length / 2) + 1, 0);
  return 0;
}
