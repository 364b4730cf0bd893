/**
 * A local AWS KMS endpoint for the devnet and tests: an HTTP server on 127.0.0.1 speaking the KMS wire
 * protocol (AWS JSON 1.1: `POST /`, `X-Amz-Target: TrentService.<Op>`, base64 blobs, errors as
 * `{"__type": ...}`), so the unmodified AWS SDK reaches it through `AWS_ENDPOINT_URL_KMS`.
 *
 * DEVELOPMENT ONLY: keys are kept in plain text in the key file. SigV4 signatures are required to be present
 * and well-formed but are not verified.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KmsKeyFile } from "./key-file.js";
import type { HighSPolicy } from "./key-material.js";
import { KMS_OPERATIONS, KmsOperations, type KmsOperationName } from "./kms-operations.js";
import { KmsExceptionType, KmsServiceError } from "./kms-service-error.js";

/** Options of {@link startKmsServer}. */
export interface KmsServerOptions {
  /** Path of the JSON key file; created (mode 0600) when absent, reused across restarts. */
  keyFile: string;
  /**
   * TCP port on 127.0.0.1.
   * @default 0 (a free port chosen by the OS)
   */
  port?: number;
  /**
   * Region of the key ARNs; requests must be SigV4-scoped to it, as with a real regional endpoint.
   * @default "us-east-1"
   */
  region?: string;
  /**
   * Account id of the key ARNs.
   * @default "111122223333"
   */
  accountId?: string;
  /**
   * Whether signatures carry the high s (n − s): like real KMS, "random" returns either half of the time.
   * @default "random"
   */
  highS?: HighSPolicy;
  /**
   * Access key ids whose requests are answered with `AccessDeniedException`, as if IAM denied them.
   * @default []
   */
  deniedAccessKeyIds?: readonly string[];
}

/** A running local KMS server, owned by this process. */
export interface KmsServer {
  /** `http://127.0.0.1:<port>`: the value for `AWS_ENDPOINT_URL_KMS`. */
  url: string;
  port: number;
  /** Region the server's keys live in. */
  region: string;
  /** Path of the key file. */
  keyFile: string;
  /** Closes the listener and every open connection; resolves once closed. Idempotent. */
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_CONTENT_TYPE = "application/x-amz-json-1.1";
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;.-]+),\s*Signature=([0-9a-f]{64})$/;

/** Starts a local KMS server on 127.0.0.1 and resolves once it listens. */
export async function startKmsServer(options: KmsServerOptions): Promise<KmsServer> {
  const region = options.region ?? "us-east-1";
  const operations = new KmsOperations(KmsKeyFile.open(options.keyFile), {
    region,
    accountId: options.accountId ?? "111122223333",
    highS: options.highS ?? "random",
  });
  const denied = new Set(options.deniedAccessKeyIds ?? []);
  const server = createServer((request, response) => {
    void answer(request, response, (operation, accessKeyId, body) => {
      if (denied.has(accessKeyId)) throw accessDenied(operation, accessKeyId, options.accountId ?? "111122223333");
      return operations.handle(operation, body);
    }, region);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return { url: `http://127.0.0.1:${port}`, port, region, keyFile: options.keyFile, stop };
}

type Dispatch = (operation: KmsOperationName, accessKeyId: string, body: unknown) => object;

/** Checks the envelope (method, path, SigV4 header, content type, target), runs the operation, writes the answer. */
async function answer(request: IncomingMessage, response: ServerResponse, dispatch: Dispatch, region: string): Promise<void> {
  try {
    if (request.method !== "POST" || request.url !== "/") {
      throw new KmsServiceError(KmsExceptionType.UnknownOperation, `${request.method} ${request.url} is not a KMS operation; use POST /.`, 404);
    }
    const accessKeyId = checkAuthorization(request.headers.authorization, region);
    const operation = operationOf(request);
    const body = parseJson(await readBody(request));
    respond(response, 200, dispatch(operation, accessKeyId, body));
  } catch (error) {
    const failure = error instanceof KmsServiceError ? error : internalError(error);
    response.setHeader("x-amzn-ErrorType", failure.type);
    respond(response, failure.status, { __type: failure.type, message: failure.message });
  }
}

/** The access key id of a well-formed SigV4 Authorization header scoped to this region and to kms. */
function checkAuthorization(header: string | undefined, region: string): string {
  if (!header) throw new KmsServiceError(KmsExceptionType.MissingAuthenticationToken, "Missing Authentication Token");
  const match = SIGV4.exec(header);
  if (!match) {
    throw new KmsServiceError(KmsExceptionType.IncompleteSignature, "Authorization header requires a SigV4 Credential, SignedHeaders and Signature.");
  }
  const [, accessKeyId, , scopeRegion, service] = match;
  if (scopeRegion !== region) {
    throw new KmsServiceError(KmsExceptionType.InvalidSignature, `Credential should be scoped to a valid region, not '${scopeRegion}'. This endpoint serves '${region}'.`);
  }
  if (service !== "kms") {
    throw new KmsServiceError(KmsExceptionType.InvalidSignature, `Credential should be scoped to correct service: 'kms', not '${service}'.`);
  }
  return accessKeyId!;
}

function operationOf(request: IncomingMessage): KmsOperationName {
  const contentType = request.headers["content-type"] ?? "";
  if (!contentType.toLowerCase().startsWith(JSON_CONTENT_TYPE)) {
    throw new KmsServiceError(KmsExceptionType.Serialization, `Content-Type must be ${JSON_CONTENT_TYPE}, not '${contentType}'.`);
  }
  const target = request.headers["x-amz-target"];
  const operation = typeof target === "string" && target.startsWith("TrentService.") ? target.slice("TrentService.".length) : undefined;
  if (!operation || !(KMS_OPERATIONS as readonly string[]).includes(operation)) {
    throw new KmsServiceError(KmsExceptionType.UnknownOperation, `Unknown or unsupported operation '${String(target)}'.`);
  }
  return operation as KmsOperationName;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new KmsServiceError(KmsExceptionType.Validation, `Request body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The JSON object of the body; an empty body reads as `{}`, as AWS services accept. */
function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KmsServiceError(KmsExceptionType.Serialization, "The request body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new KmsServiceError(KmsExceptionType.Serialization, "The request body must be a JSON object.");
  }
  return value;
}

function respond(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": JSON_CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
    "x-amzn-RequestId": randomUUID(),
  });
  response.end(text);
}

function accessDenied(operation: string, accessKeyId: string, accountId: string): KmsServiceError {
  return new KmsServiceError(
    KmsExceptionType.AccessDenied,
    `User: arn:aws:iam::${accountId}:user/${accessKeyId} is not authorized to perform: kms:${operation} because no identity-based policy allows the kms:${operation} action`,
  );
}

function internalError(error: unknown): KmsServiceError {
  const detail = error instanceof Error ? error.message : String(error);
  return new KmsServiceError(KmsExceptionType.Internal, `The devnet KMS server failed: ${detail}`, 500);
}
