/** Units of the API's input parsing: the nesting-depth check that runs before any parser. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/responses.js";
import { jsonNestingDepth, MAX_JSON_DEPTH, parseJsonBody } from "../src/api/schemas.js";

/** Nesting depth of a parsed value, computed the obvious (recursive) way. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe("jsonNestingDepth", () => {
  it("equals the depth of the parsed value, brackets and escapes inside strings ignored", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 2), (value, indent) => {
        expect(jsonNestingDepth(JSON.stringify(value, null, indent))).toBe(depthOf(value));
      }),
      { numRuns: 500 },
    );
    expect(jsonNestingDepth(String.raw`{"a":"[[{\"\\"}"}`)).toBe(1);
  });

  it("stops counting past the limit on input nested far deeper", () => {
    expect(jsonNestingDepth("[".repeat(1_000_000), 32)).toBe(33);
  });
});

describe("parseJsonBody", () => {
  it(`refuses a body nested deeper than ${MAX_JSON_DEPTH} levels with 400 body-too-deep, and parses one at the limit`, () => {
    // Prepare
    const atLimit = `${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`;
    // Act
    const refused = (() => {
      try {
        return parseJsonBody(`[${atLimit}]`, false);
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, code: "body-too-deep" });
    expect(depthOf(parseJsonBody(atLimit, false))).toBe(MAX_JSON_DEPTH);
  });
});
