/**
 * One HTTP delivery of an alert with short in-call retries: what the native destinations share. 2xx is
 * delivery; 408, 429, 5xx and network errors are worth retrying; any other status is a refusal of the
 * alert itself (permanent). Longer outages are the delivery ledger's business: the watchdog retries.
 */
import type { Clock, DeliveryOutcome } from "@payrox/core/runs";

/** In-call retries of one delivery. */
export interface HttpRetryOptions {
  /** Attempts in one call, the first included. @default 3 */
  maxAttempts?: number;
  /** Wait before the second attempt; doubles per attempt. @default 500 */
  baseDelayMs?: number;
  /** Longest wait (a `Retry-After` is honoured up to it). @default 4_000 */
  maxDelayMs?: number;
  /** Total time of the call, waits included; no attempt starts after it. @default 15_000 */
  budgetMs?: number;
  /** Timeout of one request. @default 5_000 */
  requestTimeoutMs?: number;
}

/** Defaults of {@link HttpRetryOptions}: within the delivery ledger's default 60 s lease. */
export const HTTP_RETRY_DEFAULTS = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 4_000, budgetMs: 15_000, requestTimeoutMs: 5_000 } as const satisfies Required<HttpRetryOptions>;

/** One request to make (built per attempt, so a signature can carry that attempt's time). */
export interface HttpDeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What {@link postWithRetry} needs besides the request. */
export interface HttpDeliveryContext {
  retry?: HttpRetryOptions;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
}

type Attempt = DeliveryOutcome & { retryAfterMs?: number };

/** POSTs the request until it is accepted, refused for good, or the attempts or budget run out. */
export async function postWithRetry(request: () => HttpDeliveryRequest, context: HttpDeliveryContext): Promise<DeliveryOutcome> {
  const { maxAttempts, baseDelayMs, maxDelayMs, budgetMs, requestTimeoutMs } = { ...HTTP_RETRY_DEFAULTS, ...context.retry };
  const started = context.clock.now();
  let last: Attempt = { ok: false, permanent: false, error: "no attempt" };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    last = await postOnce(request(), requestTimeoutMs);
    if (last.ok || last.permanent || attempt === maxAttempts) break;
    const delay = Math.min(maxDelayMs, Math.max(baseDelayMs * 2 ** (attempt - 1), last.retryAfterMs ?? 0));
    if (context.clock.now() + delay - started > budgetMs) break;
    await context.sleep(delay);
  }
  const { retryAfterMs: _, ...outcome } = last;
  return outcome;
}

async function postOnce(request: HttpDeliveryRequest, timeoutMs: number): Promise<Attempt> {
  try {
    const response = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text().catch(() => "");
    if (response.ok) return { ok: true, status: response.status };
    const retry = response.status === 408 || response.status === 429 || response.status >= 500;
    const retryAfter = Number(response.headers.get("retry-after"));
    return {
      ok: false,
      permanent: !retry,
      status: response.status,
      // The receiver's own words help (PagerDuty lists the invalid fields, Slack names the problem); bounded.
      error: `HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ""}`,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 && { retryAfterMs: retryAfter * 1000 }),
    };
  } catch (error) {
    return { ok: false, permanent: false, error: error instanceof Error ? `${error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}` : String(error) };
  }
}

/** The system clock and setTimeout, unless given. */
export function deliveryContext(options: { retry?: HttpRetryOptions; clock?: Clock; sleep?: (ms: number) => Promise<void> }): HttpDeliveryContext {
  return {
    ...(options.retry && { retry: options.retry }),
    clock: options.clock ?? { now: () => Date.now() },
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}
