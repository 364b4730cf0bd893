/**
 * A local S3 endpoint for tests: an HTTP server on 127.0.0.1 speaking enough of the S3 REST protocol
 * (path-style) for the audit anchor store — PutObject (with `If-None-Match: *`, Object Lock headers and
 * flexible checksums), GetObject, ListObjectsV2, DeleteObject — with S3's XML errors, so the unmodified
 * `@aws-sdk/client-s3` reaches it with `endpoint` + `forcePathStyle`.
 *
 * Like a bucket with Object Lock: an object under retention can't be deleted or overwritten (versioning
 * is not modelled: a second PutObject of a key is refused while the first is retained).
 * DEVELOPMENT ONLY: objects live in memory; SigV4 signatures must be present but are not verified.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One stored object. */
export interface LocalS3Object {
  key: string;
  body: Buffer;
  etag: string;
  lastModifiedMs: number;
  /** Object Lock retention from the request or the bucket's default. */
  lockMode?: "GOVERNANCE" | "COMPLIANCE";
  retainUntilMs?: number;
}

/** One request as the server saw it (for assertions on what an adapter sends). */
export interface LocalS3Request {
  method: string;
  bucket: string;
  key?: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  status: number;
}

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /** Buckets that exist, with their default Object Lock retention (if any). */
  buckets: Record<string, { defaultRetention?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number } }>;
  /** @default 0 (a free port) */
  port?: number;
  /** Time source for retention. @default Date.now */
  now?: () => number;
}

/** A running local S3 server. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`: the S3 client's `endpoint` (with `forcePathStyle: true`). */
  url: string;
  /** Objects by bucket, then key (tests may tamper with them directly, as a privileged attacker could not). */
  objects: Map<string, Map<string, LocalS3Object>>;
  /** Every request answered, in order. */
  requests: LocalS3Request[];
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/s3\/aws4_request,\s*SignedHeaders=[a-z0-9;.-]+,\s*Signature=[0-9a-f]{64}$/;

class S3Fault extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Starts the server on 127.0.0.1; resolves once it listens. */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const now = options.now ?? (() => Date.now());
  const objects = new Map(Object.keys(options.buckets).map((b) => [b, new Map<string, LocalS3Object>()]));
  const requests: LocalS3Request[] = [];
  const server = createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const [bucket = "", ...rest] = url.pathname.slice(1).split("/");
    const key = rest.length > 0 && rest.join("/") !== "" ? decodeURIComponent(rest.join("/")) : undefined;
    const query = Object.fromEntries(url.searchParams.entries());
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]));
    const seen: LocalS3Request = { method: request.method ?? "", bucket, ...(key !== undefined && { key }), query, headers, status: 0 };
    requests.push(seen);
    let status = 200;
    try {
      const body = await readBody(request);
      if (!SIGV4.test(headers.authorization ?? "")) throw new S3Fault(403, "AccessDenied", "missing or malformed SigV4 Authorization header");
      const store = objects.get(decodeURIComponent(bucket));
      if (!store) throw new S3Fault(404, "NoSuchBucket", `bucket ${bucket} does not exist`);
      const bucketName = decodeURIComponent(bucket);
      if (request.method === "PUT" && key !== undefined) {
        status = 200;
        const object = putObject(store, options.buckets[bucketName]!, key, decodeChunked(body, headers), headers);
        response.writeHead(200, { ETag: object.etag, "Content-Length": 0 }).end();
      } else if (request.method === "GET" && key !== undefined) {
        const object = store.get(key);
        if (!object) throw new S3Fault(404, "NoSuchKey", "The specified key does not exist.");
        response.writeHead(200, { "Content-Type": "application/json", "Content-Length": object.body.length, ETag: object.etag, "Last-Modified": new Date(object.lastModifiedMs).toUTCString() }).end(object.body);
      } else if (request.method === "GET" && query["list-type"] === "2") {
        const xml = listObjects(bucketName, store, query);
        response.writeHead(200, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(xml) }).end(xml);
      } else if (request.method === "DELETE" && key !== undefined) {
        const object = store.get(key);
        if (object?.retainUntilMs !== undefined && object.retainUntilMs > now()) throw new S3Fault(403, "AccessDenied", `${key} is under Object Lock retention (${object.lockMode}) until ${new Date(object.retainUntilMs).toISOString()}`);
        store.delete(key);
        status = 204;
        response.writeHead(204).end();
      } else {
        throw new S3Fault(501, "NotImplemented", `${request.method} ${url.pathname}${url.search} is not implemented by the local S3 server`);
      }
    } catch (error) {
      const fault = error instanceof S3Fault ? error : new S3Fault(500, "InternalError", (error as Error).message);
      status = fault.status;
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${escapeXml(fault.message)}</Message></Error>`;
      response.writeHead(fault.status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(xml) }).end(xml);
    }
    seen.status = status;
  }

  function putObject(store: Map<string, LocalS3Object>, bucket: S3ServerOptions["buckets"][string], key: string, body: Buffer, headers: Record<string, string>): LocalS3Object {
    const existing = store.get(key);
    if (headers["if-none-match"] === "*" && existing) throw new S3Fault(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    if (existing?.retainUntilMs !== undefined && existing.retainUntilMs > now()) throw new S3Fault(403, "AccessDenied", `${key} is under Object Lock retention`);
    checkIntegrity(body, headers, bucket.defaultRetention !== undefined);
    const mode = headers["x-amz-object-lock-mode"];
    const until = headers["x-amz-object-lock-retain-until-date"];
    if ((mode === undefined) !== (until === undefined)) throw new S3Fault(400, "InvalidRequest", "x-amz-object-lock-mode and x-amz-object-lock-retain-until-date go together");
    if (mode !== undefined && mode !== "GOVERNANCE" && mode !== "COMPLIANCE") throw new S3Fault(400, "InvalidArgument", `unknown object lock mode ${mode}`);
    const retention = mode !== undefined ? { lockMode: mode as "GOVERNANCE" | "COMPLIANCE", retainUntilMs: Date.parse(until!) } : bucket.defaultRetention && { lockMode: bucket.defaultRetention.mode, retainUntilMs: now() + bucket.defaultRetention.days * 86_400_000 };
    if (retention && !Number.isFinite(retention.retainUntilMs)) throw new S3Fault(400, "InvalidArgument", "x-amz-object-lock-retain-until-date is not a date");
    const object: LocalS3Object = { key, body, etag: `"${createHash("md5").update(body).digest("hex")}"`, lastModifiedMs: now(), ...retention };
    store.set(key, object);
    return object;
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** Like S3 for a PutObject into a bucket with Object Lock (default retention or the request's): a Content-MD5 or a flexible checksum is required, and checked. */
function checkIntegrity(body: Buffer, headers: Record<string, string>, bucketLocked: boolean): void {
  const md5 = headers["content-md5"];
  const sha256 = headers["x-amz-checksum-sha256"];
  const crc = Object.keys(headers).some((h) => h.startsWith("x-amz-checksum-") && h !== "x-amz-checksum-sha256" && h !== "x-amz-checksum-type");
  if (md5 !== undefined && md5 !== createHash("md5").update(body).digest("base64")) throw new S3Fault(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
  if (sha256 !== undefined && sha256 !== createHash("sha256").update(body).digest("base64")) throw new S3Fault(400, "BadDigest", "The x-amz-checksum-sha256 you specified did not match the calculated checksum.");
  const locked = bucketLocked || headers["x-amz-object-lock-mode"] !== undefined;
  if (locked && md5 === undefined && sha256 === undefined && !crc) throw new S3Fault(400, "InvalidRequest", "Content-MD5 or x-amz-checksum-* HTTP header is required for Put Object requests with Object Lock parameters");
}

/** The payload of an `aws-chunked` body (chunk-size;…\r\n data \r\n … 0\r\n trailers), or the body itself. */
function decodeChunked(body: Buffer, headers: Record<string, string>): Buffer {
  if (!(headers["content-encoding"] ?? "").includes("aws-chunked")) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) throw new S3Fault(400, "IncompleteBody", "malformed aws-chunked body");
    const size = parseInt(body.subarray(at, eol).toString("latin1").split(";")[0]!, 16);
    if (!Number.isFinite(size)) throw new S3Fault(400, "IncompleteBody", "malformed aws-chunked size");
    at = eol + 2;
    if (size === 0) break;
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
  // Trailing checksum headers (`x-amz-checksum-crc32:…`) follow the last chunk.
  for (const line of body.subarray(at).toString("latin1").split("\r\n")) {
    const [name, value] = line.split(":");
    if (name && value) headers[name.trim().toLowerCase()] = value.trim();
  }
  return Buffer.concat(parts);
}

function listObjects(bucket: string, store: Map<string, LocalS3Object>, query: Record<string, string>): string {
  const prefix = query.prefix ?? "";
  const maxKeys = Math.min(Number(query["max-keys"] ?? 1000) || 1000, 1000);
  const after = query["continuation-token"] ? Buffer.from(query["continuation-token"], "base64url").toString("utf8") : (query["start-after"] ?? "");
  const keys = [...store.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const contents = page
    .map((k) => store.get(k)!)
    .map((o) => `<Contents><Key>${escapeXml(o.key)}</Key><LastModified>${new Date(o.lastModifiedMs).toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
    .join("");
  const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!, "utf8").toString("base64url")}</NextContinuationToken>` : "";
  return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${next}${contents}</ListBucketResult>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new S3Fault(400, "EntityTooLarge", "body too large for the local S3 server");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
