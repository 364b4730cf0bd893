import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/dynamo/list-cursor.js";
import { InvalidCursorError } from "../../src/index.js";

const ATTRIBUTES = ["PK", "SK"] as const;
const accept = (): boolean => true;

describe("list cursor", () => {
  it("decodes what it encoded", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (PK, SK) => {
        expect(decodeCursor(encodeCursor({ PK, SK }), ATTRIBUTES, accept)).toEqual({ PK, SK });
      }),
    );
  });

  it("refuses garbage, other shapes, and keys the caller does not accept", () => {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
    expect(() => decodeCursor("%%%", ATTRIBUTES, accept)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode([1, 2]), ATTRIBUTES, accept)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a" }), ATTRIBUTES, accept)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a", SK: 1 }), ATTRIBUTES, accept)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a", SK: "b", X: "c" }), ATTRIBUTES, accept)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encode({ PK: "a", SK: "b" }), ATTRIBUTES, (k) => k.PK === "z")).toThrow(InvalidCursorError);
  });
});
