/**
 * One JSON-RPC endpoint of a failover provider: its transport (fetch with a timeout, every answer
 * validated with zod) and its health (consecutive failures, exponential backoff, last known head).
 */
import * as z from "zod";

/** A JSON-RPC request as the failover provider forwards it. */
export interface RpcRequest {
  method: string;
  params: unknown[];
}

/** A well-formed JSON-RPC answer: a result (possibly null) or a node's error. */
export type RpcAnswer = { result: unknown } | { error: { code: number; message: string; data?: unknown } };

const RpcErrorSchema = z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() });
const RpcResponseSchema = z.object({
  jsonrpc: z.literal("2.0").optional(),
  id: z.union([z.number(), z.string(), z.null()]),
  result: z.unknown().optional(),
  error: RpcErrorSchema.optional(),
});

/** The endpoint did not give a usable answer: down, too slow, not JSON-RPC, rate-limited. */
export class EndpointFailedError extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = "EndpointFailedError";
  }
}

/** What the provider reports about one endpoint. */
export interface EndpointHealth {
  /** Position in the configured list (0 = most preferred). */
  priority: number;
  /** The URL's origin (its path and query may hold an API key). */
  endpoint: string;
  /** `down`: in backoff after a failure, or a request unanswered past `straggleAfterMs`; `lagging`: its head is behind the others'; `wrong-chain`: never used. */
  state: "healthy" | "down" | "lagging" | "wrong-chain";
  /** Failures in a row (0 once it answers again). */
  failures: number;
  /** When it may be tried again (ms since the epoch), while down. */
  retryAt?: number;
  lastError?: string;
  /** Its latest block number, as last seen. */
  head?: number;
  /** Quorum reads it answered differently from the agreed answer. */
  disagreements: number;
}

/** Backoff and transport settings shared by a provider's endpoints. */
export interface EndpointSettings {
  timeoutMs: number;
  /** A request unanswered this long makes the endpoint a straggler (see {@link RpcEndpoint.straggling}). */
  straggleAfterMs: number;
  backoffMs: number;
  maxBackoffMs: number;
  now: () => number;
}

let nextRequestId = 1;
let nextCallToken = 1;

/** One endpoint with its health. Not exported from the package: the provider owns its endpoints. */
export class RpcEndpoint {
  readonly label: string;
  failures = 0;
  retryAt = 0;
  lastError?: string;
  head?: number;
  lagging = false;
  wrongChain = false;
  chainVerified = false;
  disagreements = 0;
  /** When each unanswered request was sent, by call. */
  readonly #pendingSince = new Map<number, number>();

  constructor(
    readonly url: string,
    readonly priority: number,
    private readonly settings: EndpointSettings,
  ) {
    this.label = `#${priority} ${originOf(url)}`;
  }

  /** Not in backoff (its retry time has come), not straggling, and on the right chain. */
  get available(): boolean {
    return !this.wrongChain && this.retryAt <= this.settings.now() && !this.straggling;
  }

  /**
   * Has left a request unanswered for `straggleAfterMs` or longer (an overloaded or black-holed provider
   * that takes connections but does not answer). It is passed over like one in backoff until that request
   * is answered or times out (which starts its backoff), so no read waits on it meanwhile.
   */
  get straggling(): boolean {
    const now = this.settings.now();
    for (const since of this.#pendingSince.values()) if (now - since >= this.settings.straggleAfterMs) return true;
    return false;
  }

  /**
   * Sends one request. Resolves with the node's answer (a result or its JSON-RPC error); a rate limit,
   * transport failure or malformed body is recorded (backoff) and thrown as {@link EndpointFailedError}.
   */
  async call(request: RpcRequest): Promise<RpcAnswer> {
    const token = nextCallToken++;
    this.#pendingSince.set(token, this.settings.now());
    try {
      const answer = await this.#post(request);
      if ("error" in answer && isRateLimit(answer.error)) throw new EndpointFailedError(`rate-limited: ${answer.error.message}`);
      this.succeeded();
      return answer;
    } catch (error) {
      const failure = error instanceof EndpointFailedError ? error : new EndpointFailedError(reasonOf(error, this.settings.timeoutMs), { cause: error });
      this.failed(failure.reason);
      throw failure;
    } finally {
      this.#pendingSince.delete(token);
    }
  }

  /** Records a failure: backoff doubles with each one in a row, up to the maximum. */
  failed(reason: string): void {
    this.failures += 1;
    this.lastError = reason;
    const delay = Math.min(this.settings.backoffMs * 2 ** Math.min(this.failures - 1, 30), this.settings.maxBackoffMs);
    this.retryAt = this.settings.now() + delay;
  }

  /** Records an answer: the failure streak and backoff end. */
  succeeded(): void {
    this.failures = 0;
    this.retryAt = 0;
  }

  /** The endpoint's health as the provider reports it. */
  health(): EndpointHealth {
    const backingOff = this.retryAt > this.settings.now();
    const straggling = this.straggling;
    const state = this.wrongChain ? "wrong-chain" : backingOff || straggling ? "down" : this.lagging ? "lagging" : "healthy";
    const lastError = straggling ? `no answer for ${this.settings.straggleAfterMs} ms or more (a request is still waiting)` : this.lastError;
    return {
      priority: this.priority,
      endpoint: this.label,
      state,
      failures: this.failures,
      ...(backingOff && { retryAt: this.retryAt }),
      ...(lastError !== undefined && { lastError }),
      ...(this.head !== undefined && { head: this.head }),
      disagreements: this.disagreements,
    };
  }

  async #post(request: RpcRequest): Promise<RpcAnswer> {
    const id = nextRequestId++;
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id, method: request.method, params: request.params }),
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    if (response.status === 429) throw new EndpointFailedError("rate-limited: HTTP 429");
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new EndpointFailedError(`HTTP ${response.status}, not JSON`);
    }
    const parsed = RpcResponseSchema.safeParse(body);
    if (!parsed.success || parsed.data.id !== id) throw new EndpointFailedError(`HTTP ${response.status}, not a JSON-RPC response to request ${id}`);
    const hasResult = Object.hasOwn(body as object, "result");
    if (parsed.data.error && !hasResult) return { error: parsed.data.error };
    if (hasResult && !parsed.data.error && response.ok) return { result: parsed.data.result };
    throw new EndpointFailedError(`HTTP ${response.status}, neither a result nor an error`);
  }
}

/** `scheme://host[:port]`, plus `/…` when the URL has a path (which may hold an API key). */
export function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.length > 1 || parsed.search ? "/…" : ""}`;
  } catch {
    return "(malformed URL)";
  }
}

/** Providers' ways of saying "slow down": EIP-1474's limit-exceeded code, or the words. */
function isRateLimit(error: { code: number; message: string }): boolean {
  return error.code === -32005 || /rate limit|too many requests|exceeded .*(quota|limit)/i.test(error.message);
}

function reasonOf(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
