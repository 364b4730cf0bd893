/**
 * Bounds every AWS SDK client PayRox builds: without them the SDK waits for an endpoint that accepted the
 * connection but never answers (DynamoDB paused, a network partition) forever — its `requestTimeout`
 * only logs a warning unless `throwOnRequestTimeout` is set. With them a call fails within about
 * `maxAttempts × (requestTimeoutMs + backoff)`, and {@link isServiceUnavailable} recognises the failure.
 */

/** How long one AWS call may take, and how often it is tried. */
export interface AwsClientBounds {
  /**
   * Milliseconds to establish the TCP (and TLS) connection.
   * @default 1000
   */
  connectionTimeoutMs: number;
  /**
   * Milliseconds for one attempt, from sending the request to the end of the response.
   * @default 2000
   */
  requestTimeoutMs: number;
  /**
   * Attempts per call, the first included (the SDK's standard retry: throttling, 5xx, timeouts).
   * @default 2
   */
  maxAttempts: number;
}

/**
 * The bounds used when none are configured: an API request over an unreachable table answers within
 * about 4.5 s (two 2 s attempts and the SDK's backoff), well inside API Gateway's 30 s. DynamoDB answers
 * in milliseconds, so 2 s only ends calls to an endpoint that is not answering.
 */
export const AWS_CLIENT_BOUNDS: Readonly<AwsClientBounds> = { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxAttempts: 2 };

/** The part of an SDK client's configuration that applies {@link AwsClientBounds}. */
export interface BoundedClientConfig {
  maxAttempts: number;
  /** Options of the SDK's NodeHttpHandler (the SDK builds the handler from them). */
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
}

/**
 * SDK client configuration with `bounds` (each field defaulting to {@link AWS_CLIENT_BOUNDS}); spread it
 * into the client's constructor options.
 * @example const client = new DynamoDBClient({ ...boundedClientConfig(), endpoint })
 */
export function boundedClientConfig(bounds: Partial<AwsClientBounds> = {}): BoundedClientConfig {
  const b = { ...AWS_CLIENT_BOUNDS, ...bounds };
  return { maxAttempts: b.maxAttempts, requestHandler: { connectionTimeout: b.connectionTimeoutMs, requestTimeout: b.requestTimeoutMs, throwOnRequestTimeout: true } };
}

/** Error names of timeouts (the SDK's handler and retry classification) and of throttling. */
const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ThrottlingException",
  "Throttling",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServerError",
]);

/** Node's error codes of a connection that failed, was refused, reset or timed out. */
const NETWORK_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);

/**
 * Whether `error` (or an error in its `cause` chain, e.g. the SDK exception under a
 * `DynamoRequestError`) says the AWS service could not be reached, did not answer in time, was
 * throttled or failed on its side: the request may succeed later, so a caller answers "retry later"
 * (HTTP 503) rather than "internal error".
 */
export function isServiceUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current !== null && typeof current === "object" && depth < 8; depth++) {
    const e = current as { name?: unknown; code?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: unknown };
    if (typeof e.name === "string" && UNAVAILABLE_NAMES.has(e.name)) return true;
    if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
    if (e.$fault === "server" || (typeof e.$metadata?.httpStatusCode === "number" && e.$metadata.httpStatusCode >= 500)) return true;
    current = e.cause;
  }
  return false;
}
