/** zod schemas of the HTTP API's inputs, and the parsing of a raw body into them. */
import { z } from "zod";
import { MAX_PROPOSAL_PAGE_SIZE } from "@payrox/aws";
import { ApiError } from "./responses.js";

/** Largest request body accepted (bytes, after base64 decoding). */
export const MAX_BODY_BYTES = 1024 * 1024;

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

/**
 * Decodes and parses a JSON body, enforcing {@link MAX_BODY_BYTES}.
 * @throws {ApiError} 413 body-too-large, 400 malformed-json
 */
export function parseJsonBody(body: string | undefined, isBase64Encoded: boolean): unknown {
  const raw = Buffer.from(body ?? "", isBase64Encoded ? "base64" : "utf8");
  if (raw.byteLength > MAX_BODY_BYTES) throw new ApiError(413, "body-too-large", `the body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES} — split the upgrade into smaller manifests`);
  try {
    return JSON.parse(raw.toString("utf8"));
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
