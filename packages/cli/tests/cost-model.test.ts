import { describe, expect, it } from "vitest";
import {
  activationHoldMs,
  activationViaEventBridge,
  cloudDurationMs,
  expectedConfirmationMs,
  handoffLines,
  handoffProbability,
  idleLines,
  inFlightWatchdogLines,
  itemBytes,
  metricHoursOf,
  PLATFORM_LOG_BYTES_PER_INVOCATION,
  transportOf,
  upgradeLines,
  type CloudProfile,
} from "../src/cost/cloud-cost.js";
import type { PriceTable } from "../src/cost/prices.js";
import { rateMinutes, readStackInventory, type TemplateJson } from "../src/cost/stack-inventory.js";
import { emptyUsage, s3RequestsOfPut, type BilledFunction, type InvocationUsage } from "../src/cost/usage-meter.js";

/** Round prices, so every expected figure below is checkable by hand. */
const ROUND: PriceTable = {
  lambdaPerRequest: 1,
  lambdaArmPerGbSecond: 10,
  dynamoPerWriteUnit: 100,
  dynamoPerReadUnit: 1_000,
  dynamoStoragePerGbMonth: 2,
  dynamoPitrPerGbMonth: 1,
  schedulerPerInvocation: 10_000,
  eventBridgePerEvent: 100_000,
  sqsPerRequest: 1_000_000,
  kmsPerKeyMonth: 7,
  kmsPerAsymmetricRequest: 3,
  cloudWatchPerMetricMonth: 730,
  cloudWatchPerAlarmMonth: 5,
  cloudWatchLogsPerGbIngested: 1e9,
  apiGatewayHttpPerRequest: 11,
  s3PerPutOrListRequest: 13,
  s3PerGetRequest: 17,
};

/** Ethereum-like: 12 s blocks, 3 confirmations; devnet: 1 s blocks, 1 confirmation, 250 ms polls. */
const profile: CloudProfile = {
  memoryMb: { commit: 512, apply: 1024, activate: 1024, watchdog: 512, anchor: 256, api: 512 },
  networkFor: () => ({ id: "ethereum", blockTimeSeconds: 12, confirmations: 3 }),
  devnetChain: { blockTimeSeconds: 1, confirmations: 1, pollMs: 250 },
  cloudPollMs: 1_000,
  timelockSeconds: 86_400,
};

function usage(fn: BilledFunction, fields: Partial<InvocationUsage> = {}): InvocationUsage {
  return { ...emptyUsage(fn, "upgrade"), ...fields };
}

describe("expectedConfirmationMs", () => {
  it("waits half a block to inclusion, a block per further confirmation, and half a poll", () => {
    // Act / Assess: 12 s × (0.5 + 2) + 500 ms; devnet 1 s × 0.5 + 125 ms
    expect(expectedConfirmationMs({ blockTimeSeconds: 12, confirmations: 3 }, 1_000)).toBe(30_500);
    expect(expectedConfirmationMs({ blockTimeSeconds: 1, confirmations: 1 }, 250)).toBe(625);
  });
});

describe("activationHoldMs", () => {
  it("holds 30 s on average behind EventBridge Scheduler's minute and the full 60 s behind the delay queue, plus half a block and half a poll", () => {
    // Act / Assess: 12 s blocks poll every 1 s (capped)
    expect(activationHoldMs(12, true)).toBe(30_000 + 6_000 + 500);
    expect(activationHoldMs(12, false)).toBe(60_000 + 6_000 + 500);
    // 0.25 s blocks poll every 100 ms (floor)
    expect(activationHoldMs(0.25, true)).toBe(30_000 + 125 + 50);
  });

  it("with the hand-off, sleeps the wake-ups under the threshold and lead plus half a block for the rest", () => {
    // Prepare: the code's hand-off (15 s minimum wait, 5 s lead)
    const handoff = { minWaitMs: 15_000, leadMs: 5_000 };

    // Act / Assess: 12 s blocks, EventBridge: threshold 27 s; (27² / 2 + 33 × 11) / 60 s = 12.125 s, + 6.5 s after the ETA
    expect(activationHoldMs(12, true, handoff)).toBe(12_125 + 6_500);
    // 2 s blocks through the delay queue: woken 60 s early, always handed off: 5 s + 1 s, + 1.25 s after the ETA
    expect(activationHoldMs(2, false, handoff)).toBe(6_000 + 1_250);
    // 50 s blocks: the threshold passes the minute, never handed off
    expect(activationHoldMs(50, true, handoff)).toBe(activationHoldMs(50, true));
  });

  it("adds the hand-offs the cloud would make beyond those the devnet measured, at the activations' mean own time", () => {
    // Prepare: two Ethereum activations (p = 33 / 60 each through EventBridge Scheduler), own time 1 s each; one hand-off measured
    const handoffProfile: CloudProfile = { ...profile, activationHandoff: { minWaitMs: 15_000, leadMs: 5_000 } };
    const sent = usage("activate", { network: "devnet-1", wallMs: 2_000, sendMs: 1_000, sends: 1 });
    const measured = usage("activate", { network: "devnet-1", wallMs: 300, scheduled: [{ step: "activate", delayMs: 50_000 }] });

    // Act
    const lines = handoffLines([sent, sent, measured], handoffProfile, ROUND);

    // Assess: 1.1 − 1 = 0.1 more, each 1 s at 1 GB and 3 SQS requests
    expect(lines.map((l) => l.quantity)).toEqual([expect.closeTo(0.1), expect.closeTo(0.1), expect.closeTo(0.3)]);
    expect(handoffProbability(12, true, handoffProfile.activationHandoff)).toBeCloseTo(33 / 60);
    expect(handoffProbability(2, false, handoffProfile.activationHandoff)).toBe(1);
    expect(handoffLines([sent], profile, ROUND)).toEqual([]);
  });

  it("goes through EventBridge Scheduler only when the activation is due beyond the delay queue's 15 minutes", () => {
    expect(activationViaEventBridge(86_400)).toBe(true);
    expect(activationViaEventBridge(960)).toBe(false);
    expect(activationViaEventBridge(961)).toBe(true);
  });
});

describe("cloudDurationMs", () => {
  it("replaces the devnet's confirmation wait of each send by the real network's, keeping the handler's own time", () => {
    // Prepare: 2 s handler, of which 1.4 s in two sends (each 625 ms expected devnet wait → 150 ms own send work)
    const apply = usage("apply", { network: "devnet-1", wallMs: 2_000, sendMs: 1_400, sends: 2 });

    // Act
    const ms = cloudDurationMs(apply, profile);

    // Assess: 600 own + 150 send work + 2 × 30,500
    expect(ms).toBe(600 + 150 + 61_000);
  });

  it("replaces the devnet's activation hold by the modelled one, and adds nothing for an invocation that sent nothing", () => {
    // Prepare
    const activate = usage("activate", { network: "devnet-1", wallMs: 20_800, sendMs: 700, sends: 1, holdMs: 20_000 });
    const watchdog = usage("watchdog", { wallMs: 180.2 });

    // Act / Assess: 100 own + 75 send work + 30,500 + 36,500 hold; the watchdog only rounds up
    expect(cloudDurationMs(activate, profile)).toBe(100 + 75 + 30_500 + 36_500);
    expect(cloudDurationMs(watchdog, profile)).toBe(181);
  });
});

describe("transportOf", () => {
  it("sends near jobs to the delay queue and an apply's activation, due a timelock later, to EventBridge Scheduler", () => {
    expect(transportOf({ step: "apply", delayMs: 5_000 }, "apply", 86_400)).toBe("sqs");
    expect(transportOf({ step: "activate", delayMs: 0 }, "apply", 86_400)).toBe("scheduler");
    expect(transportOf({ step: "activate", delayMs: 0 }, "apply", 600)).toBe("sqs");
    // An activation rescheduling itself keeps its own delay.
    expect(transportOf({ step: "activate", delayMs: 1_000_000 }, "activate", 600)).toBe("scheduler");
  });
});

describe("upgradeLines", () => {
  it("prices every metered quantity with the table's prices", () => {
    // Prepare: one commit (1 s own time, no send) and one API call
    const usages = [
      usage("commit", { network: "devnet-1", wallMs: 1_000, readUnits: 2, writeUnits: 3, conditionFailedWrites: 1, kms: { Sign: 2 }, scheduled: [{ step: "apply", delayMs: 0 }, { step: "activate", delayMs: 0 }], busEvents: 1, metrics: ["PayRox/a|", "PayRox/b|"], logBytes: 650 }),
      usage("api", { route: "POST /proposals", wallMs: 100 }),
    ];

    // Act
    const lines = upgradeLines(usages, profile, ROUND);
    const usd = (item: string) => lines.find((l) => l.item === item)!.usd;

    // Assess
    expect(usd("commit requests")).toBe(1);
    expect(usd("commit duration (512 MB)")).toBeCloseTo(0.5 * 10); // 1 s × 0.5 GB
    expect(usd("read request units")).toBe(2_000);
    expect(usd("write request units")).toBe(300);
    expect(usd("refused conditional writes (≥ 1 WRU each)")).toBe(100);
    expect(usd("scheduled invocations")).toBe(0); // both jobs are near (the activation was scheduled by a commit, with no delay)
    expect(usd("delay-queue messages × 3 requests")).toBe(6 * 1_000_000);
    expect(usd("requests (Sign 2)")).toBe(6);
    expect(usd("alert events on the bus")).toBe(100_000);
    expect(usd("custom metrics (metric-hours)")).toBe(2); // 2 metric-hours × 730 / 730
    expect(usd("logs ingested (incl. EMF)")).toBeCloseTo(650 + 2 * PLATFORM_LOG_BYTES_PER_INVOCATION);
    expect(usd("HTTP API requests")).toBe(11);
  });
});

describe("metricHoursOf", () => {
  it("bills a metric once in the hour of the commits and applies and once more in the hour of the activations", () => {
    // Prepare
    const usages = [usage("apply", { metrics: ["m|x", "m|y"] }), usage("apply", { metrics: ["m|x"] }), usage("activate", { metrics: ["m|x", "n|"] })];

    // Act / Assess: {m|x, m|y} + {m|x, n|}
    expect(metricHoursOf(usages)).toBe(4);
  });
});

describe("idleLines", () => {
  it("scales the mean idle sweep to a month and adds alarms, keys, metrics, the queue's polls and storage", () => {
    // Prepare: two sweeps of 1 s and 3 s, 4 and 2 read units, one metric
    const sweeps = [usage("watchdog", { phase: "idle", wallMs: 1_000, readUnits: 4, metrics: ["w|"] }), usage("watchdog", { phase: "idle", wallMs: 3_000, readUnits: 2, metrics: ["w|"] })];

    // Act
    const lines = idleLines({ watchdog: { idle: sweeps, perMonth: 100 }, alarms: 3, kmsKeys: 2, tableBytes: 2e9 }, profile, ROUND);
    const line = (item: string) => lines.find((l) => l.item === item)!;

    // Assess: 100 sweeps of mean 2 s at 0.5 GB = 100 GB-s; 100 × 3 RRU
    expect(line("watchdog requests").quantity).toBe(100);
    expect(line("watchdog duration (512 MB)").quantity).toBeCloseTo(100);
    expect(line("watchdog: read request units")).toMatchObject({ quantity: 300, usd: 300_000 });
    expect(line("watchdog metrics, sent every hour").usd).toBe(730);
    expect(line("alarms").usd).toBe(15);
    expect(line("keys").usd).toBe(14);
    expect(line("storage + point-in-time recovery").usd).toBeCloseTo(2 * 3);
    expect(line("delay queue's idle long polls (estimate)").quantity).toBe(15 * 43_800);
  });

  it("adds the anchorer's month with its S3 requests when it is deployed", () => {
    // Prepare: one idle tick of 2 s listing once and reading once, 50 ticks a month
    const tick = usage("anchor", { phase: "idle", wallMs: 2_000, s3: { LIST: 1, GET: 1 }, metrics: ["a|"] });

    // Act
    const lines = idleLines({ watchdog: { idle: [usage("watchdog", { phase: "idle" })], perMonth: 1 }, anchor: { idle: [tick], perMonth: 50 }, alarms: 0, kmsKeys: 0, tableBytes: 0 }, profile, ROUND);
    const line = (item: string) => lines.find((l) => l.item === item)!;

    // Assess: 50 × 2 s × 0.25 GB = 25 GB-s; 50 LIST at 13, 50 GET at 17
    expect(line("anchor duration (256 MB)").quantity).toBeCloseTo(25);
    expect(line("anchor store: PUT and LIST requests").usd).toBe(50 * 13);
    expect(line("anchor store: GET requests").usd).toBe(50 * 17);
    expect(line("anchor metrics, sent every hour").usd).toBe(730);
  });

  it("refuses to price an idle month without a metered sweep", () => {
    expect(() => idleLines({ watchdog: { idle: [], perMonth: 1 }, alarms: 0, kmsKeys: 0, tableBytes: 0 }, profile, ROUND)).toThrow(/no idle watchdog invocation/);
  });
});

describe("inFlightWatchdogLines", () => {
  it("charges the extra units of sweeps with runs in flight over idle ones, per sweep of the timelock, never below zero", () => {
    // Prepare: busy sweeps read 5 units, idle ones 2; busy write less than idle
    const busy = [usage("watchdog", { readUnits: 5, writeUnits: 1 })];
    const idle = [usage("watchdog", { phase: "idle", readUnits: 2, writeUnits: 3 })];

    // Act
    const lines = inFlightWatchdogLines(busy, idle, 1_440, ROUND);

    // Assess
    expect(lines.find((l) => l.item.endsWith("read request units"))).toMatchObject({ quantity: 3 * 1_440, usd: 3 * 1_440 * 1_000 });
    expect(lines.find((l) => l.item.endsWith("write request units"))).toMatchObject({ quantity: 0, usd: 0 });
  });
});

describe("itemBytes", () => {
  it("counts attribute names and values the way DynamoDB sizes an item", () => {
    // Act / Assess: "PK"+"ab" = 4; "n"+ (12345 → 3+1) = 5; "m" + 3 + (1 + "k" + "v") = 7
    expect(itemBytes({ PK: { S: "ab" }, n: { N: "12345" }, m: { M: { k: { S: "v" } } } })).toBe(4 + 5 + 7);
  });
});

describe("readStackInventory", () => {
  it("reads memory sizes, architectures, alarms, keys and the watchdog's rate from templates", () => {
    // Prepare
    const fn = (name: string, memory: number) => ({ Type: "AWS::Lambda::Function", Properties: { FunctionName: `payrox-prod-${name}`, MemorySize: memory, Architectures: ["arm64"] } });
    const templates: TemplateJson[] = [
      { Resources: { a: fn("commit", 512), b: fn("apply", 1024), c: fn("activate", 1024), d: { Type: "AWS::KMS::Key" }, e: { Type: "AWS::KMS::Key" } } },
      { Resources: { f: fn("watchdog", 256), g: fn("api", 512), h: { Type: "AWS::CloudWatch::Alarm" }, i: { Type: "AWS::Events::Rule", Properties: { ScheduleExpression: "rate(5 minutes)", Targets: [{ Arn: { "Fn::GetAtt": ["f", "Arn"] }, Id: "t" }] } }, j: { Type: "AWS::Events::Rule", Properties: { EventPattern: {} } } } },
    ];

    // Act
    const inventory = readStackInventory(templates);

    // Assess
    expect(inventory).toEqual({ memoryMb: { commit: 512, apply: 1024, activate: 1024, watchdog: 256, api: 512 }, architectures: ["arm64"], alarms: 1, kmsKeys: 2, scheduledPerMonth: { watchdog: 43_800 / 5 } });
  });

  it("finds the anchorer and its rule's rate when it is deployed", () => {
    // Prepare
    const fn = (name: string, memory: number) => ({ Type: "AWS::Lambda::Function", Properties: { FunctionName: `payrox-prod-${name}`, MemorySize: memory, Architectures: ["arm64"] } });
    const rule = (target: string, rate: string) => ({ Type: "AWS::Events::Rule", Properties: { ScheduleExpression: rate, Targets: [{ Arn: { "Fn::GetAtt": [target, "Arn"] } }] } });
    const templates: TemplateJson[] = [{ Resources: { a: fn("commit", 512), b: fn("apply", 1024), c: fn("activate", 1024), w: fn("watchdog", 512), p: fn("api", 512), n: fn("anchor", 512), r1: rule("w", "rate(1 minute)"), r2: rule("n", "rate(5 minutes)") } }];

    // Act
    const inventory = readStackInventory(templates);

    // Assess
    expect(inventory.memoryMb.anchor).toBe(512);
    expect(inventory.scheduledPerMonth).toEqual({ watchdog: 43_800, anchor: 8_760 });
  });

  it("fails when a function is missing", () => {
    expect(() => readStackInventory([{ Resources: {} }])).toThrow(/no commit function/);
  });

  it("reads rate expressions in minutes, hours and days", () => {
    expect([rateMinutes("rate(1 minute)"), rateMinutes("rate(2 hours)"), rateMinutes("rate(1 day)")]).toEqual([1, 120, 1_440]);
    expect(() => rateMinutes("cron(0 * * * ? *)")).toThrow(/not a rate/);
  });
});

describe("s3RequestsOfPut", () => {
  it("counts the S3 anchor store's reads of the two previous anchors and its writes of the anchor, its heads and the previous heads again", () => {
    expect(s3RequestsOfPut(1, 3)).toEqual({ GET: 0, PUT: 4 });
    expect(s3RequestsOfPut(2, 3, 5)).toEqual({ GET: 1, PUT: 9 });
    expect(s3RequestsOfPut(7, 1, 2)).toEqual({ GET: 2, PUT: 4 });
  });
});
