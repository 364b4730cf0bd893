/**
 * The KMS client the signer uses when it is not handed one: the AWS SDK's own client with adaptive retry
 * (client-side rate limiting when KMS throttles) and request timeouts. The endpoint, region and credentials
 * come from the SDK's normal configuration chain (`AWS_REGION`, `AWS_ENDPOINT_URL_KMS`, profiles, roles).
 */
import { KMSClient, type KMSClientConfig } from "@aws-sdk/client-kms";

/**
 * Timeouts applied when the caller configures none. Without them the SDK waits for an unresponsive endpoint
 * forever (its `requestTimeout` only warns unless `throwOnRequestTimeout` is set).
 */
export const KMS_REQUEST_TIMEOUTS = {
  /** Milliseconds to establish the TCP/TLS connection. */
  connectionTimeout: 3_000,
  /** Milliseconds for the whole request and response. */
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
} as const;

/** Retry settings applied when the caller configures none. */
export const KMS_RETRY_DEFAULTS = {
  /** The SDK's adaptive mode: standard retries plus a client-side token bucket that slows down when throttled. */
  retryMode: "adaptive",
  /** Attempts per call, the first included. */
  maxAttempts: 5,
} as const;

/**
 * A `KMSClient` with {@link KMS_RETRY_DEFAULTS} and {@link KMS_REQUEST_TIMEOUTS} under `config`. Handler
 * options given as a plain object are merged over the timeouts; a handler instance is used as is.
 *
 * @example
 * const client = createKmsClient({ region: "eu-west-1", requestHandler: { requestTimeout: 5_000 } });
 */
export function createKmsClient(config: KMSClientConfig = {}): KMSClient {
  return new KMSClient({ ...KMS_RETRY_DEFAULTS, ...config, requestHandler: withTimeouts(config.requestHandler) });
}

function withTimeouts(handler: KMSClientConfig["requestHandler"]): KMSClientConfig["requestHandler"] {
  if (handler === undefined) return { ...KMS_REQUEST_TIMEOUTS };
  if (typeof (handler as { handle?: unknown }).handle === "function") return handler;
  return { ...KMS_REQUEST_TIMEOUTS, ...(handler as Record<string, unknown>) };
}
