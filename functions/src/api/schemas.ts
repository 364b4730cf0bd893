/** zod schemas of the HTTP API's inputs, and the parsing of a raw body into them. */
import * as z from "zod";
import { MAX_PROPOSAL_PAGE_SIZE } from "@payrox/aws";
import { ApiError } from "./responses.js";

/** Largest request body accepted (bytes, after base64 decoding). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of objects and arrays accepted in a body. A manifest is 4 levels deep; the body's
 * values are later walked recursively (`JSON.stringify`, zod), which overflows the stack at a few
 * thousand levels, so depth is checked on the raw text before anything parses it.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Longest proposal id accepted in a path, in characters. Ids are UUIDs (36); the bound keeps the key
 * `PROPOSAL#<id>` far inside DynamoDB's key-size limits.
 */
export const MAX_PROPOSAL_ID_LENGTH = 128;

/** A proposal id from a path, after percent-decoding: what a stored id can be. */
export const ProposalIdSchema = z
  .string()
  .min(1, "the proposal id is empty")
  .max(MAX_PROPOSAL_ID_LENGTH, `a proposal id has at most ${MAX_PROPOSAL_ID_LENGTH} characters (ids are UUIDs)`)
  // `#` separates key parts in the table; control characters never occur in an id.
  .regex(/^[^#\p{Cc}]+$/u, "a proposal id contains no `#` and no control characters (ids are UUIDs)");

const isoTime = (field: string) => z.iso.datetime({ offset: true, error: `${field} must be an ISO 8601 date-time, e.g. 2030-01-01T12:00:00Z` });

/** Body of `POST /proposals`. */
export const ProposeBodySchema = z.strictObject({
  manifest: z.union([z.string().min(1), z.record(z.string(), z.unknown())], { error: "manifest is required: the manifest file as an object or as its JSON text" }),
  networks: z.array(z.string(), { error: "networks is required: an array of network ids (GET /networks lists them)" }),
  earliestCommitAt: isoTime("earliestCommitAt").optional(),
  cutoverAt: isoTime("cutoverAt").optional(),
});

/** Parsed body of `POST /proposals`. */
export type ProposeBody = z.infer<typeof ProposeBodySchema>;

/** Query of `GET /proposals`. */
export const ListQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be an integer").min(1, "limit must be at least 1").max(MAX_PROPOSAL_PAGE_SIZE, `limit must be at most ${MAX_PROPOSAL_PAGE_SIZE}`).optional(),
  cursor: z.string().min(1, "cursor must not be empty").optional(),
});

/** `GET /alerts?limit=1..100` (default 50). */
export const AlertsQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be an integer").min(1, "limit must be at least 1").max(100, "limit must be at most 100").default(50),
});

/**
 * Decodes and parses a JSON body, enforcing {@link MAX_BODY_BYTES} and {@link MAX_JSON_DEPTH}.
 * @throws {ApiError} 413 body-too-large, 400 body-too-deep, 400 malformed-json
 */
export function parseJsonBody(body: string | undefined, isBase64Encoded: boolean): unknown {
  const raw = Buffer.from(body ?? "", isBase64Encoded ? "base64" : "utf8");
  if (raw.byteLength > MAX_BODY_BYTES) throw new ApiError(413, "body-too-large", `the body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES} — split the upgrade into smaller manifests`);
  const text = raw.toString("utf8");
  const depth = jsonNestingDepth(text, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) throw new ApiError(400, "body-too-deep", `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; a manifest needs 4`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "malformed-json", `the body is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Validates `value` with `schema`.
 * @throws {ApiError} 400 invalid-body (or invalid-query) listing every problem with its path
 */
export function validate<T>(schema: z.ZodType<T>, value: unknown, code = "invalid-body"): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message));
  throw new ApiError(400, code, problems.join("; "));
}

/**
 * Deepest `{`/`[` nesting of JSON text (brackets inside strings ignored), counting no further than
 * `limit + 1`. Linear and iterative, so it is safe on any input, valid JSON or not.
 */
export function jsonNestingDepth(text: string, limit = Number.MAX_SAFE_INTEGER): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      deepest = Math.max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
