import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../../src/dynamo/list-cursor.js";
import { InvalidCursorError } from "../../src/index.js";

const KEY = z.strictObject({ PK: z.string(), SK: z.string() });

describe("list cursor", () => {
  it("decodes what it encoded", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (PK, SK) => {
        expect(decodeCursor(encodeCursor({ PK, SK }), KEY)).toEqual({ PK, SK });
      }),
    );
  });

  it("refuses garbage, other shapes, and keys the caller does not accept", () => {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
    expect(() => decodeCursor("%%%", KEY)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode([1, 2]), KEY)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a" }), KEY)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a", SK: 1 }), KEY)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a", SK: "b", X: "c" }), KEY)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a", SK: "b" }), KEY.refine((k) => k.PK === "z"))).toThrow(InvalidCursorError);
  });
});
