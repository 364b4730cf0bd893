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
  /** Invocations per month of each function a rule fires on a `rate(...)` (the watchdog; the anchorer where deployed). */
  scheduledPerMonth: Partial<Record<BilledFunction, number>>;
}

const FUNCTIONS: readonly BilledFunction[] = ["commit", "apply", "activate", "watchdog", "anchor", "api"];
/** Functions every deployment has (the anchorer is optional). */
const REQUIRED: readonly BilledFunction[] = ["commit", "apply", "activate", "watchdog", "api"];

/**
 * Reads the inventory from the app's templates. Functions are recognised by their names' `-<role>`
 * suffix (stacks/naming.ts); a scheduled rule's function by its target (`Fn::GetAtt` of the function).
 * @throws Error when a function, its memory or the watchdog's schedule is missing
 */
export function readStackInventory(templates: readonly TemplateJson[]): StackInventory {
  const entries = templates.flatMap((t) => Object.entries(t.Resources ?? {}));
  const resources = entries.map(([, r]) => r);
  const memoryMb = {} as Record<BilledFunction, number>;
  const architectures = new Set<string>();
  const byLogicalId = new Map<string, BilledFunction>();
  for (const [id, resource] of entries.filter(([, r]) => r.Type === "AWS::Lambda::Function")) {
    const name = resource.Properties?.FunctionName;
    const fn = typeof name === "string" ? FUNCTIONS.find((f) => name.endsWith(`-${f}`)) : undefined;
    if (!fn) continue;
    byLogicalId.set(id, fn);
    memoryMb[fn] = Number(resource.Properties?.MemorySize);
    for (const arch of (resource.Properties?.Architectures as string[] | undefined) ?? ["x86_64"]) architectures.add(arch);
  }
  for (const fn of REQUIRED) if (!(memoryMb[fn]! > 0)) throw new Error(`the templates hold no ${fn} function with a memory size`);
  const scheduledPerMonth: Partial<Record<BilledFunction, number>> = {};
  for (const rule of resources.filter((r) => r.Type === "AWS::Events::Rule" && typeof r.Properties?.ScheduleExpression === "string")) {
    const targets = (rule.Properties?.Targets as { Arn?: { "Fn::GetAtt"?: [string, string] } }[] | undefined) ?? [];
    for (const target of targets) {
      const fn = byLogicalId.get(target.Arn?.["Fn::GetAtt"]?.[0] ?? "");
      if (fn) scheduledPerMonth[fn] = (scheduledPerMonth[fn] ?? 0) + MINUTES_PER_MONTH / rateMinutes(rule.Properties!.ScheduleExpression as string);
    }
  }
  if (!scheduledPerMonth.watchdog) throw new Error("no scheduled rule targets the watchdog");
  return {
    memoryMb,
    architectures: [...architectures],
    alarms: resources.filter((r) => r.Type === "AWS::CloudWatch::Alarm").length,
    kmsKeys: resources.filter((r) => r.Type === "AWS::KMS::Key").length,
    scheduledPerMonth,
  };
}

/** Minutes between firings of `rate(N unit)`. */
export function rateMinutes(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) throw new Error(`not a rate expression: ${expression}`);
  const n = Number(match[1]);
  return match[2]!.startsWith("minute") ? n : match[2]!.startsWith("hour") ? n * 60 : n * 1440;
}
