/**
 * {@link AlertSink} that POSTs each alert as JSON to every configured endpoint, signed with the
 * endpoint's secret (`X-PayRox-Signature`, see core's webhook-signature.ts), retrying with exponential
 * back-off inside a bounded budget; an alert an endpoint never accepted becomes a dead letter. Receivers
 * dedupe by `X-PayRox-Alert-Id` (the alert's id): retries carry the same id and body.
 */
import { signWebhook, WEBHOOK_HEADERS, type Alert, type AlertDeadLetters, type AlertSink, type Clock } from "@payrox/core/runs";
import { WebhookConfigError } from "../errors.js";

/** One receiver of alerts. */
export interface WebhookEndpoint {
  /** Names the endpoint in dead letters and logs (no `#`). */
  id: string;
  url: string;
  /** HMAC key shared with the receiver; never logged or stored in dead letters. */
  secret: string;
}

/** How hard delivery tries before dead-lettering. */
export interface WebhookRetryOptions {
  /** Attempts per endpoint, the first included. @default 6 */
  maxAttempts?: number;
  /** Wait before the second attempt; doubles per attempt. @default 500 */
  baseDelayMs?: number;
  /** Longest wait between attempts. @default 8_000 */
  maxDelayMs?: number;
  /** Total time per endpoint, waits included; no attempt starts after it. @default 30_000 */
  budgetMs?: number;
  /** Timeout of one request. @default 5_000 */
  requestTimeoutMs?: number;
}

/** Options of {@link WebhookAlertSink}. */
export interface WebhookAlertSinkOptions {
  endpoints: readonly WebhookEndpoint[];
  /** Where alerts no endpoint accepted go. */
  deadLetters: AlertDeadLetters;
  retry?: WebhookRetryOptions;
  /** @default the system clock */
  clock?: Clock;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** Defaults of {@link WebhookRetryOptions}. */
export const WEBHOOK_RETRY_DEFAULTS = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8_000, budgetMs: 30_000, requestTimeoutMs: 5_000 } as const satisfies Required<WebhookRetryOptions>;

type AttemptResult = { ok: true } | { ok: false; retry: boolean; status?: number; error: string };

/** Signed webhook delivery with retries and a dead letter. */
export class WebhookAlertSink implements AlertSink {
  readonly #endpoints: readonly WebhookEndpoint[];
  readonly #deadLetters: AlertDeadLetters;
  readonly #retry: Required<WebhookRetryOptions>;
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: WebhookAlertSinkOptions) {
    for (const [i, e] of options.endpoints.entries()) {
      if (!/^https?:\/\//.test(e.url)) throw new WebhookConfigError(`endpoints[${i}].url`, `must be an http(s) URL, got ${JSON.stringify(e.url)}`);
      if (!e.secret) throw new WebhookConfigError(`endpoints[${i}].secret`, "must be a non-empty secret shared with the receiver");
      if (!e.id || e.id.includes("#")) throw new WebhookConfigError(`endpoints[${i}].id`, "must be a non-empty name without #");
    }
    this.#endpoints = options.endpoints;
    this.#deadLetters = options.deadLetters;
    this.#retry = { ...WEBHOOK_RETRY_DEFAULTS, ...options.retry };
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Delivers to every endpoint; one that never accepts gets a dead letter. @throws only if a dead letter can't be stored */
  async raise(alert: Alert): Promise<void> {
    const body = JSON.stringify(alert);
    await Promise.all(this.#endpoints.map((endpoint) => this.#deliver(alert, body, endpoint)));
  }

  async #deliver(alert: Alert, body: string, endpoint: WebhookEndpoint): Promise<void> {
    const { maxAttempts, baseDelayMs, maxDelayMs, budgetMs } = this.#retry;
    const started = this.#clock.now();
    let last: AttemptResult = { ok: false, retry: false, error: "no attempt" };
    let attempts = 0;
    while (attempts < maxAttempts) {
      attempts++;
      last = await this.#attempt(alert, body, endpoint);
      if (last.ok || !last.retry) break;
      const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
      if (attempts >= maxAttempts || this.#clock.now() + delay - started > budgetMs) break;
      await this.#sleep(delay);
    }
    if (last.ok) return;
    await this.#deadLetters.put({ alert, endpoint: endpoint.id, attempts, ...(last.status !== undefined && { lastStatus: last.status }), lastError: last.error, atMs: this.#clock.now() });
  }

  async #attempt(alert: Alert, body: string, endpoint: WebhookEndpoint): Promise<AttemptResult> {
    const timestamp = Math.floor(this.#clock.now() / 1000);
    try {
      const response = await fetch(endpoint.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [WEBHOOK_HEADERS.TIMESTAMP]: String(timestamp),
          [WEBHOOK_HEADERS.SIGNATURE]: signWebhook(endpoint.secret, timestamp, body),
          [WEBHOOK_HEADERS.ALERT_ID]: alert.id,
        },
        body,
        signal: AbortSignal.timeout(this.#retry.requestTimeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true };
      // Timeouts, throttling and server errors may pass; other client errors will not.
      const retry = response.status === 408 || response.status === 429 || response.status >= 500;
      return { ok: false, retry, status: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, retry: true, error: error instanceof Error ? `${error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}` : String(error) };
    }
  }
}
