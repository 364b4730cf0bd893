/**
 * The webhook signature (pure, node:crypto): `X-PayRox-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 * with `X-PayRox-Timestamp: <unix seconds>`. The timestamp is signed with the body, so a receiver that
 * also bounds its age refuses replays of old deliveries. See packages/core/WEBHOOKS.md for a receiver.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { WebhookSignatureError } from "../errors.js";

/** Header names of a webhook delivery (lower-case, as Node's http module reports them). */
export const WEBHOOK_HEADERS = {
  SIGNATURE: "x-payrox-signature",
  TIMESTAMP: "x-payrox-timestamp",
  /** The alert's id: receivers dedupe by it (retries carry the same id). */
  ALERT_ID: "x-payrox-alert-id",
} as const;

/** Version prefix of the signature value. */
const SCHEME = "v1=";

/** The `X-PayRox-Signature` value of `body` sent at `timestampSeconds`. */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `${SCHEME}${createHmac("sha256", secret).update(`${timestampSeconds}.${body}`, "utf8").digest("hex")}`;
}

/** Input of {@link verifyWebhookSignature}. */
export interface VerifyWebhookParameters {
  secret: string;
  /** The raw request body, exactly as received. */
  body: string;
  /** `X-PayRox-Signature`. */
  signature: string | undefined;
  /** `X-PayRox-Timestamp`. */
  timestamp: string | undefined;
  /** The receiver's clock (unix ms). */
  nowMs: number;
  /** Oldest (and furthest in the future) a delivery may be. @default 300 */
  toleranceSeconds?: number;
}

/**
 * Checks a delivery's signature in constant time.
 * @throws {WebhookSignatureError} when a header is missing or malformed, the timestamp is outside the tolerance, or the HMAC differs
 * @example verifyWebhookSignature({ secret, body, signature: req.headers["x-payrox-signature"], timestamp: req.headers["x-payrox-timestamp"], nowMs: Date.now() })
 */
export function verifyWebhookSignature(input: VerifyWebhookParameters): void {
  const { secret, body, signature, timestamp, nowMs, toleranceSeconds = 300 } = input;
  if (!signature || !timestamp) throw new WebhookSignatureError("missing", "send X-PayRox-Signature and X-PayRox-Timestamp");
  if (!/^\d{1,12}$/.test(timestamp) || !/^v1=[0-9a-f]{64}$/.test(signature)) throw new WebhookSignatureError("malformed", "expected a unix-seconds timestamp and v1=<64 hex>");
  const ageSeconds = Math.abs(nowMs / 1000 - Number(timestamp));
  if (ageSeconds > toleranceSeconds) throw new WebhookSignatureError("stale", `timestamp is ${Math.round(ageSeconds)} s from now (tolerance ${toleranceSeconds} s)`);
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body), "utf8");
  const actual = Buffer.from(signature, "utf8");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new WebhookSignatureError("mismatch", "the HMAC over timestamp and body differs (wrong secret or altered body)");
}
