/**
 * The devnet's webhook receiver: a local HTTP server that accepts PayRox alert deliveries, verifies each
 * one's `X-PayRox-Signature` with the endpoint secret (core's `verifyWebhookSignature`), and keeps each
 * alert once by its id — what a real receiver does. It can be told to answer with an error status, to
 * exercise the sender's retries and dead letter.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhookSignature, WEBHOOK_HEADERS, WebhookSignatureError, type Alert } from "@payrox/core";

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The endpoint's shared secret. */
  secret: string;
  /** Port on 127.0.0.1. @default 0 (a free port) */
  port?: number;
  /** Oldest delivery accepted, in seconds. @default 300 */
  toleranceSeconds?: number;
  /** Called with each new, verified alert (e.g. to print it). */
  onAlert?: (alert: Alert) => void;
}

/** One request the receiver answered. */
export interface WebhookDelivery {
  alertId: string | undefined;
  status: number;
  /** Why the signature was refused, when it was. */
  refused?: WebhookSignatureError["problem"];
}

/** A running receiver. */
export interface WebhookReceiver {
  /** Where to POST alerts. */
  url: string;
  /** Verified alerts, each once, in arrival order. */
  readonly alerts: Alert[];
  /** Every request, duplicates and refusals included. */
  readonly deliveries: WebhookDelivery[];
  /** Answers the next `times` valid deliveries with `status` instead of accepting them. */
  failNext(status: number, times?: number): void;
  stop(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1.
 * @example const receiver = await startWebhookReceiver({ secret }); // POST alerts to receiver.url
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const alerts: Alert[] = [];
  const deliveries: WebhookDelivery[] = [];
  const seen = new Set<string>();
  let failure = { status: 0, times: 0 };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const header = (name: string) => (typeof request.headers[name] === "string" ? (request.headers[name] as string) : undefined);
    const alertId = header(WEBHOOK_HEADERS.ALERT_ID);
    const answer = (status: number, refused?: WebhookSignatureError["problem"]) => {
      deliveries.push({ alertId, status, ...(refused && { refused }) });
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ status }));
    };
    if (request.method !== "POST") return answer(405);
    try {
      verifyWebhookSignature({ secret: options.secret, body, signature: header(WEBHOOK_HEADERS.SIGNATURE), timestamp: header(WEBHOOK_HEADERS.TIMESTAMP), nowMs: Date.now(), toleranceSeconds: options.toleranceSeconds });
    } catch (error) {
      if (error instanceof WebhookSignatureError) return answer(401, error.problem);
      throw error;
    }
    if (failure.times > 0) {
      failure.times--;
      return answer(failure.status);
    }
    const alert = JSON.parse(body) as Alert;
    // Retries carry the same id: keep the first, acknowledge the rest.
    if (!seen.has(alert.id)) {
      seen.add(alert.id);
      alerts.push(alert);
      options.onAlert?.(alert);
    }
    answer(200);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(400).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    alerts,
    deliveries,
    failNext: (status, times = Number.POSITIVE_INFINITY) => void (failure = { status, times }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The whole body of a request, as UTF-8 text. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
