/**
 * The devnet's HTTP API: a node:http server on 127.0.0.1 that hands each request to the API Lambda's
 * handler as an API Gateway HTTP API (payload v2) event, and writes back its structured result — the
 * same handler that runs behind API Gateway in AWS. It also serves the built web console on the same
 * origin, and — having no login — refuses any request whose `Host` or `Origin` is not its own.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** A handler with the API Lambda's signature. */
export type ApiLambdaHandler = (event: APIGatewayProxyEventV2, context?: { awsRequestId: string }) => Promise<APIGatewayProxyStructuredResultV2>;

/** Options of {@link startLocalApi}. */
export interface LocalApiOptions {
  handler: ApiLambdaHandler;
  /** @default a free port */
  port?: number;
  /**
   * Stands in for the IAM principal API Gateway would put in `requestContext.authorizer.iam.userArn`
   * (the audit trail's actor). The server binds 127.0.0.1 only.
   * @default "devnet:local"
   */
  principal?: string;
  /** Largest request body read, in bytes; API Gateway's own limit is 10 MB. @default 10 MiB */
  maxBodyBytes?: number;
  /**
   * The built console (`packages/console/dist`): `GET /` serves its `index.html`, `GET /config.json` its
   * configuration and `GET /assets/<file>` its files, on the API's own origin. @default no console
   */
  consoleDir?: string;
}

/** A running local API. */
export interface LocalApi {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Closes the server (open connections included). Idempotent. */
  stop(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const principal = options.principal ?? "devnet:local";
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  let requests = 0;
  let port = 0;
  const server = createServer((req, res) => {
    const requestId = `local-${process.pid}-${++requests}`;
    void serve(req, res, requestId).catch((error: unknown) => {
      if (!res.headersSent) writeJson(res, 500, { error: { code: "internal", message: `local API failure (${String(error)}); request ${requestId}` } });
      else res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const refusal = foreignRequest(req, port);
    if (refusal) return writeJson(res, 403, { error: refusal });
    if (options.consoleDir && (await serveConsole(req, res, options.consoleDir))) return;
    const body = await readBody(req, maxBody);
    if (body === undefined) return writeJson(res, 413, { error: { code: "body-too-large", message: `request body over ${maxBody} bytes` } });
    const result = await options.handler(toEvent(req, body, requestId, principal), { awsRequestId: requestId });
    res.writeHead(result.statusCode ?? 200, stringHeaders(result.headers));
    res.end(result.isBase64Encoded && result.body ? Buffer.from(result.body, "base64") : result.body ?? "");
  }

  // Longer than clients' idle keep-alive (undici: 4 s), so a reused connection is never closed under a request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/**
 * Why a request is not this server's own, or undefined. With no login on 127.0.0.1, a web page in the
 * same browser could otherwise POST here (cross-site request: its `Origin` is another site), or a
 * hostile DNS name resolved to 127.0.0.1 could read answers (DNS rebinding: its `Host` is that name).
 */
export function foreignRequest(req: Pick<IncomingMessage, "headers">, port: number): { code: string; message: string } | undefined {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = req.headers.host ?? "";
  if (!own.includes(host.toLowerCase())) return { code: "forbidden-host", message: `Host ${JSON.stringify(host.slice(0, 100))} is not this devnet API (${own.join(" or ")}); use http://127.0.0.1:${port}` };
  const origin = req.headers.origin;
  if (origin !== undefined && !own.some((o) => origin.toLowerCase() === `http://${o}`)) return { code: "forbidden-origin", message: `requests from ${JSON.stringify(origin.slice(0, 100))} are refused: only pages served by this devnet API (http://127.0.0.1:${port}) may call it` };
  return undefined;
}

const CONTENT_TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml" };

/** The console's headers: scripts and styles only from this origin (no inline script), no framing. */
const CONSOLE_HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** Serves `/`, `/config.json` and `/assets/<file>` of the built console; false for any other path (the API's). */
async function serveConsole(req: IncomingMessage, res: ServerResponse, dir: string): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = requestUrl(req).pathname;
  const asset = /^\/assets\/([A-Za-z0-9_-]+\.(?:js|css|svg))$/.exec(path)?.[1];
  const file = path === "/" || path === "/index.html" ? "index.html" : path === "/config.json" ? "config.json" : asset ? `assets/${asset}` : undefined;
  if (!file) return false;
  const content = await readFile(`${dir}/${file}`).catch(() => undefined);
  if (!content) {
    writeJson(res, 404, { error: { code: file === "index.html" ? "console-not-built" : "asset-not-found", message: `${file} is not in ${dir}; run npm run build` } });
    return true;
  }
  const type = CONTENT_TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";
  // Hashed asset names never change content; index.html names the current ones, so it is revalidated.
  res.writeHead(200, { ...CONSOLE_HEADERS, "content-type": type, "cache-control": asset ? "public, max-age=31536000, immutable" : "no-cache" });
  res.end(req.method === "HEAD" ? undefined : content);
  return true;
}

/** The payload-v2 event API Gateway would build for this request. */
function toEvent(req: IncomingMessage, body: Buffer, requestId: string, principal: string): APIGatewayProxyEventV2 {
  const url = requestUrl(req);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const method = req.method ?? "GET";
  const now = Date.now();
  const event = {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search && { queryStringParameters: query }),
    requestContext: {
      accountId: "000000000000",
      apiId: "devnet",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: "devnet",
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? "127.0.0.1", userAgent: headers["user-agent"] ?? "" },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: new Date(now).toISOString(),
      timeEpoch: now,
      authorizer: { iam: { userArn: principal } },
    },
    ...(body.length > 0 && { body: body.toString("utf8") }),
    isBase64Encoded: false,
  };
  return event as APIGatewayProxyEventV2;
}

/**
 * The request's target on this server. A path is always a path: `//host/…` is not resolved as another
 * authority (which would route `//proposals/x` to `/x`, and throw on `//[`); an absolute-form target
 * (`http://host/path`, a proxy's) keeps its path and query.
 */
function requestUrl(req: Pick<IncomingMessage, "url">): URL {
  const target = req.url ?? "/";
  if (target.startsWith("/")) return new URL(`http://127.0.0.1${target}`);
  try {
    const absolute = new URL(target);
    return new URL(`http://127.0.0.1${absolute.pathname}${absolute.search}`);
  } catch {
    return new URL(`http://127.0.0.1/${target}`);
  }
}

/** The body, or undefined when it exceeds `max` bytes (the rest is not read). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function stringHeaders(headers: APIGatewayProxyStructuredResultV2["headers"]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
