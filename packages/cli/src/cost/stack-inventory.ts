/**
 * What the deployed stacks hold that a bill depends on, read from their synthesised CloudFormation
 * templates (not restated here): each function's memory and architecture, the alarms, the KMS keys, and
 * how often the watchdog's rule fires.
 */
import type { BilledFunction } from "./usage-meter.js";
import { MINUTES_PER_MONTH } from "./cloud-cost.js";

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** The billable shape of a deployment. */
export interface StackInventory {
  memoryMb: Record<BilledFunction, number>;
  /** Architecture of every PayRox function (the prices assume `arm64`). */
  architectures: string[];
  alarms: number;
  kmsKeys: number;
  /** Watchdog invocations per month, from its rule's `rate(...)`. */
  watchdogSweepsPerMonth: number;
}

const FUNCTIONS: readonly BilledFunction[] = ["commit", "apply", "activate", "watchdog", "api"];

/**
 * Reads the inventory from the app's templates. Functions are recognised by their names' `-<role>`
 * suffix (stacks/naming.ts); the watchdog's rule is the one rule with a `rate(...)` schedule.
 * @throws Error when a function, its memory or the watchdog's schedule is missing
 */
export function readStackInventory(templates: readonly TemplateJson[]): StackInventory {
  const resources = templates.flatMap((t) => Object.values(t.Resources ?? {}));
  const memoryMb = {} as Record<BilledFunction, number>;
  const architectures = new Set<string>();
  for (const resource of resources.filter((r) => r.Type === "AWS::Lambda::Function")) {
    const name = resource.Properties?.FunctionName;
    const fn = typeof name === "string" ? FUNCTIONS.find((f) => name.endsWith(`-${f}`)) : undefined;
    if (!fn) continue;
    memoryMb[fn] = Number(resource.Properties?.MemorySize);
    for (const arch of (resource.Properties?.Architectures as string[] | undefined) ?? ["x86_64"]) architectures.add(arch);
  }
  for (const fn of FUNCTIONS) if (!(memoryMb[fn]! > 0)) throw new Error(`the templates hold no ${fn} function with a memory size`);
  const rates = resources.flatMap((r) => (r.Type === "AWS::Events::Rule" && typeof r.Properties?.ScheduleExpression === "string" ? [r.Properties.ScheduleExpression] : []));
  if (rates.length !== 1) throw new Error(`expected one scheduled rule (the watchdog's), found ${rates.length}`);
  return {
    memoryMb,
    architectures: [...architectures],
    alarms: resources.filter((r) => r.Type === "AWS::CloudWatch::Alarm").length,
    kmsKeys: resources.filter((r) => r.Type === "AWS::KMS::Key").length,
    watchdogSweepsPerMonth: MINUTES_PER_MONTH / rateMinutes(rates[0]!),
  };
}

/** Minutes between firings of `rate(N unit)`. */
export function rateMinutes(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) throw new Error(`not a rate expression: ${expression}`);
  const n = Number(match[1]);
  return match[2]!.startsWith("minute") ? n : match[2]!.startsWith("hour") ? n * 60 : n * 1440;
}
