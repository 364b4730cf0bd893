/**
 * Opaque list cursors: the DynamoDB key to continue after, as base64url JSON. Decoding validates the key
 * with the listing's zod schema, so a forged or foreign cursor (empty key strings, oversized keys, another
 * item's key) is refused with {@link InvalidCursorError} instead of reaching DynamoDB.
 */
import type { z } from "zod";
import { InvalidCursorError } from "../errors.js";

/** Encodes the key of the last item of a page. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/**
 * Decodes a cursor made by {@link encodeCursor}; its key must match `schema` (the listing's key shape).
 * @throws InvalidCursorError otherwise.
 */
export function decodeCursor<T extends Record<string, string>>(cursor: string, schema: z.ZodType<T>): T {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw new InvalidCursorError(cursor, { cause: error });
  }
  const parsed = schema.safeParse(key);
  if (!parsed.success) throw new InvalidCursorError(cursor, { cause: parsed.error });
  return parsed.data;
}
