/**
 * Bounded retries with full jitter for optimistic writes that lose a race (a conditional put that found
 * the slot taken). Losers back off a random time, so 20 concurrent writers spread out instead of
 * colliding again in lock-step.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** How hard an adapter retries a write that collided with a concurrent one. */
export interface CollisionRetryOptions {
  /**
   * Attempts before giving up (each attempt re-reads, then writes conditionally).
   * @default 60
   */
  maxAttempts?: number;
  /**
   * First back-off ceiling; doubles per attempt up to `maxDelayMs`.
   * @default 4
   */
  baseDelayMs?: number;
  /**
   * Largest back-off ceiling; the actual wait is uniform in [0, ceiling].
   * @default 100
   */
  maxDelayMs?: number;
}

/** One try: `done` with the result, or `collided` to try again after a back-off. */
export type CollisionAttempt<T> = { done: true; value: T } | { done: false };

/**
 * Runs `attempt` until it is done or `maxAttempts` tries collided.
 * @returns the value, or `{ exhausted: attempts }` when every try collided.
 */
export async function retryOnCollision<T>(options: CollisionRetryOptions | undefined, attempt: (n: number) => Promise<CollisionAttempt<T>>): Promise<{ value: T } | { exhausted: number }> {
  const maxAttempts = options?.maxAttempts ?? 60;
  const base = options?.baseDelayMs ?? 4;
  const cap = options?.maxDelayMs ?? 100;
  for (let n = 1; n <= maxAttempts; n++) {
    const result = await attempt(n);
    if (result.done) return { value: result.value };
    if (n < maxAttempts) await sleep(Math.random() * Math.min(cap, base * 2 ** (n - 1)));
  }
  return { exhausted: maxAttempts };
}
