/**
 * Opaque list cursors: the DynamoDB key to continue after, as base64url JSON. Decoding checks the shape,
 * so a forged or foreign cursor is refused with {@link InvalidCursorError} instead of reaching DynamoDB.
 */
import { InvalidCursorError } from "../errors.js";

/** Encodes the key of the last item of a page. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/**
 * Decodes a cursor made by {@link encodeCursor}; it must hold exactly `attributes`, all strings, and
 * pass `accept`.
 * @throws InvalidCursorError otherwise.
 */
export function decodeCursor(cursor: string, attributes: readonly string[], accept: (key: Record<string, string>) => boolean): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw new InvalidCursorError(cursor, { cause: error });
  }
  const valid =
    typeof key === "object" &&
    key !== null &&
    !Array.isArray(key) &&
    Object.keys(key).length === attributes.length &&
    attributes.every((name) => typeof (key as Record<string, unknown>)[name] === "string") &&
    accept(key as Record<string, string>);
  if (!valid) throw new InvalidCursorError(cursor);
  return key as Record<string, string>;
}
