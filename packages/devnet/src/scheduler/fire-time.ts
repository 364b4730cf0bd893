/**
 * When a scheduled job fires. EventBridge Scheduler has 60-second precision: a schedule for 1:00:45 fires
 * somewhere in [1:00:00, 1:01:00) — up to 59 s early or 14 s late. The local scheduler reproduces that on
 * request, so the activation step's hold (wait until the next block's timestamp ≥ ETA) is exercised.
 */

/** How far the local scheduler shifts a job's fire time from its `runAtMs`. */
export type JitterOption =
  /** Fire at `runAtMs` exactly (the first poll at or after it). */
  | { mode: "none" }
  /** Fire at a uniformly random moment of `runAtMs`'s minute, like EventBridge Scheduler. */
  | { mode: "eventbridge" };

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

const MINUTE_MS = 60_000;

/** The start of the UTC minute containing `ms`. */
export function minuteFloor(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * The moment a job due at `runAtMs` fires under `jitter`: `runAtMs`, or (eventbridge) a whole millisecond
 * drawn uniformly from [minuteFloor(runAtMs), minuteFloor(runAtMs) + 60 s).
 */
export function fireTimeFor(runAtMs: number, jitter: JitterOption, random: RandomSource): number {
  if (jitter.mode === "none") return runAtMs;
  const draw = random();
  if (!(draw >= 0 && draw < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${draw}`);
  return minuteFloor(runAtMs) + Math.floor(draw * MINUTE_MS);
}

/** A deterministic random source (mulberry32) for reproducible jitter in tests and demos. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Back-off before retry number `attempt` (1-based count of failed attempts): base · 2^(attempt−1), capped. */
export function retryDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}
