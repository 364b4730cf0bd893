/**
 * The shared body of the devnet's alert receivers: a node:http server on 127.0.0.1 (a free port by
 * default) that reads each POST's body, keeps every request it answered, and can be told to answer the
 * next deliveries with an error status (to exercise the sender's retries).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./receiver.js";

/** One request a receiver answered. */
export interface ReceivedRequest {
  status: number;
  /** Why it was refused, when it was (the schema's first issue, or the injected failure). */
  refused?: string;
}

/** How a receiver answers one well-formed request. */
export interface ReceiverAnswer {
  status: number;
  contentType: string;
  body: string;
  refused?: string;
}

/** A running receiver. */
export interface RunningReceiver {
  url: string;
  /** Every request answered, in order. */
  readonly requests: ReceivedRequest[];
  /** Answers the next `times` requests with `status` (and `retryAfterSeconds` as `Retry-After`). */
  failNext(status: number, times?: number, retryAfterSeconds?: number): void;
  stop(): Promise<void>;
}

/** Starts a receiver whose `answer` decides each POST (after any injected failure). */
export async function startHttpReceiver(path: string, port: number | undefined, answer: (body: string) => ReceiverAnswer): Promise<RunningReceiver> {
  const requests: ReceivedRequest[] = [];
  let failure = { status: 0, times: 0, retryAfterSeconds: 0 };
  const reply = (response: ServerResponse, a: ReceiverAnswer, extra: Record<string, string> = {}) => {
    requests.push({ status: a.status, ...(a.refused && { refused: a.refused }) });
    response.writeHead(a.status, { "content-type": a.contentType, ...extra }).end(a.body);
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    if (request.method !== "POST") return reply(response, { status: 405, contentType: "text/plain", body: "method_not_allowed", refused: "method" });
    if (failure.times > 0) {
      failure.times--;
      return reply(response, { status: failure.status, contentType: "text/plain", body: `injected ${failure.status}`, refused: "injected" }, failure.retryAfterSeconds ? { "retry-after": String(failure.retryAfterSeconds) } : {});
    }
    reply(response, answer(body));
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}${path}`,
    requests,
    failNext: (status, times = Number.POSITIVE_INFINITY, retryAfterSeconds = 0) => void (failure = { status, times, retryAfterSeconds }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Parses JSON, or undefined. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
