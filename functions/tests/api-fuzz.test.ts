/**
 * Property-based fuzz of the HTTP API handler against the real DynamoDB Local (issue 13, defect 3):
 * random methods, paths over every route (ids with unicode, percent-escapes, `#`, huge lengths, trailing
 * slashes), headers (none, hostile, wrong content types), bodies (deep nesting, huge strings, wrong types,
 * near-valid proposals and approvals, base64 of raw bytes or of nothing), `limit`s JavaScript parses oddly
 * (`1e309`, `0x10`, `-1`) and list cursors (garbage and forged keys).
 * Whatever arrives, the API answers a status below 500 with a JSON body, every 4xx carries
 * `{ error: { code, message } }`, and a 4xx writes nothing (the whole table is compared before and after).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { serializeManifest, type Manifest } from "@payrox/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiOverTable, counterManifest, HARNESS_NETWORKS, tableSnapshot, type RequestParts } from "./support/api-harness.js";

const TABLE = "payrox-functions-api-fuzz";
/** Requests per run of the property: a few seconds against DynamoDB Local. */
const RUNS = 300;

let db: DynamoDbLocal;
let api: Awaited<ReturnType<typeof apiOverTable>>;
let manifest: Manifest;
let existingId: string;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  db = await startDynamoDbLocal();
  api = await apiOverTable(db.client as DynamoDBClient, TABLE);
  manifest = await counterManifest();
  const created = await api.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: ["base"], earliestCommitAt: "2030-01-01T00:00:00Z" }) });
  expect(created.status).toBe(201);
  existingId = created.body.id;
});

afterAll(async () => {
  await db?.stop();
});

/** Strings a hostile client sends: unicode, control characters, escapes, separators, huge ones. */
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom("", " ", "#", "PROPOSAL#x", "%", "%zz", "%E0%A4%A", "%00", "%2F", "%23", "..", "\u0000", "\uD800", "🦄", "null", "[]", "{}") },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("a", "é", "%41", "🦄", "#"), fc.integer({ min: 100, max: 5_000 })).map(([s, n]) => s.repeat(n)) },
);

/** A path segment: ids that exist, random text, percent-escapes (valid or not). */
const segment = fc.oneof(
  hostileString,
  fc.constant("__existing__"),
  fc.uuid(),
  fc.array(fc.oneof(fc.constantFrom("%", "%E0", "%A4", "%zz", "%C3%A9", "%ff"), fc.string({ maxLength: 3 })), { maxLength: 6 }).map((parts) => parts.join("")),
);

/** Every route of the API (routes.ts), with hostile ids, and paths next to them. */
const path = fc.oneof(
  segment.map((id) => `/proposals/${id}`),
  segment.map((id) => `/proposals/${id}/audit`),
  segment.map((id) => `/proposals/${id}/cancel`),
  segment.map((id) => `/proposals/${id}/approvals`),
  segment.map((id) => `/proposals/${id}/review`),
  fc.tuple(segment, fc.constantFrom("audit", "cancel", "approvals", "review")).map(([id, tail]) => `/proposals/${id}/${tail}/`),
  fc.constantFrom("/proposals", "/proposals/", "/networks", "/networks/live", "/networks/live/", "/alerts", "/alerts/", "/", "", "//", "/proposals//audit", "/proposals//review", "/networks/x", "/policy", "/policy/", "/proposals//approvals"),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
);

/** JSON nested `depth` levels deep, as objects or arrays. */
const deepJson = fc.tuple(fc.integer({ min: 20, max: 20_000 }), fc.boolean()).map(([depth, arrays]) => (arrays ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`));

/** A body close to a valid proposal, with one part replaced by something hostile. */
const nearValidBody = fc
  .record({
    manifest: fc.oneof(fc.constant("valid"), fc.constant("text"), fc.jsonValue({ maxDepth: 4 }), hostileString, deepJson),
    networks: fc.oneof(fc.constant([...HARNESS_NETWORKS]), fc.array(hostileString, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
    earliestCommitAt: fc.option(fc.oneof(hostileString, fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer())),
    cutoverAt: fc.option(fc.oneof(hostileString, fc.constant("2030-01-01T00:00:00Z"))),
    extra: fc.option(fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })),
  })
  .map(({ manifest: m, networks, earliestCommitAt, cutoverAt, extra }) => {
    const manifestValue = m === "valid" ? JSON.parse(serializeManifest(manifest)) : m === "text" ? serializeManifest(manifest) : m;
    const parts = [`"manifest":${typeof manifestValue === "string" && manifestValue.startsWith("[") ? manifestValue : JSON.stringify(manifestValue)}`, `"networks":${JSON.stringify(networks)}`];
    if (earliestCommitAt !== null) parts.push(`"earliestCommitAt":${JSON.stringify(earliestCommitAt)}`);
    if (cutoverAt !== null) parts.push(`"cutoverAt":${JSON.stringify(cutoverAt)}`);
    for (const [k, v] of Object.entries(extra ?? {})) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    return `{${parts.join(",")}}`;
  });

/** A body close to a signed approval (POST /proposals/{id}/approvals), with hostile fields. */
const approvalBody = fc
  .record(
    {
      action: fc.oneof(fc.constantFrom("Approve", "Reject", "Withdraw"), hostileString, fc.integer()),
      nonce: fc.oneof(fc.nat({ max: 3 }), fc.integer(), fc.double(), hostileString, fc.constant(1e309)),
      signature: fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 70 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
        fc.constantFrom(`0x${"00".repeat(65)}`, `0x${"ff".repeat(65)}`, `0x${"ff".repeat(64)}`, `0x${"11".repeat(64)}1b`, `0x${"ab".repeat(9_000)}`),
        hostileString,
      ),
      approver: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString("hex")}`), hostileString),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((r) => JSON.stringify(r).replace("1e+309", "1e309"));

const body = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: nearValidBody },
    { weight: 2, arbitrary: approvalBody },
    { weight: 2, arbitrary: fc.json({ maxDepth: 5 }) },
    { weight: 2, arbitrary: deepJson.map((deep) => `{"manifest":${deep},"networks":["base"]}`) },
    { weight: 1, arbitrary: deepJson },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 1, max: 1_200_000 }), fc.integer({ min: 1_048_000, max: 1_100_000 })).map((n) => JSON.stringify({ manifest: "x".repeat(n), networks: ["base"] })) },
  ),
  { nil: undefined },
);

/** List cursors: garbage, key-shaped JSON with hostile values, and the real shape with forged keys. */
const cursor = fc.oneof(
  hostileString,
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
  fc.record({ PK: hostileString, SK: fc.oneof(fc.constant("PROPOSAL"), hostileString), GSI1PK: fc.oneof(fc.constant("PROPOSALS"), hostileString), GSI1SK: hostileString }).map((k) => Buffer.from(JSON.stringify(k)).toString("base64url")),
  fc.tuple(hostileString, fc.integer({ min: 0, max: 999_999_999_999_999 })).map(([id, at]) =>
    Buffer.from(JSON.stringify({ PK: `PROPOSAL#${id}`, SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: `${String(at).padStart(15, "0")}#${id}` })).toString("base64url"),
  ),
);

/** `limit` values: hostile text, numbers around the bounds, and numbers JavaScript parses oddly. */
const limit = fc.oneof(
  hostileString,
  fc.integer({ min: -5, max: 200 }).map(String),
  fc.constantFrom("1e309", "-1e309", "1e2", "0x10", "0b1", "Infinity", "NaN", "1.5", " 3", "3 ", "", "-0", "+5", "5,5", "00000000000000000000001", String(2 ** 53 + 1)),
);

const query = fc.option(
  fc.record({ limit: fc.option(limit, { nil: undefined }), cursor: fc.option(cursor, { nil: undefined }), other: fc.option(hostileString, { nil: undefined }) }, { requiredKeys: [] }),
  { nil: undefined },
);

const anyRequest: fc.Arbitrary<RequestParts> = fc
  .record({
    method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom("GET", "POST") }, { weight: 1, arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", "") }),
    path,
    body,
    isBase64Encoded: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    /** A base64 body that is not base64 of text: raw bytes (not UTF-8), or characters outside the alphabet. */
    rawBase64: fc.option(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("base64")), hostileString), { nil: undefined }),
    query,
    headers: fc.option(fc.oneof(fc.dictionary(hostileString, hostileString, { maxKeys: 4 }), fc.constant(null), fc.constantFrom<Record<string, string>>({ "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }, { "content-type": "multipart/form-data; boundary=x" }, { "content-encoding": "gzip", "content-type": "application/json" })), { nil: undefined }),
  })
  .map(({ rawBase64, ...r }) => ({
    ...r,
    path: r.path.replaceAll("__existing__", existingId),
    ...(r.body !== undefined && r.isBase64Encoded && { body: rawBase64 ?? Buffer.from(r.body).toString("base64") }),
    query: r.query === undefined ? undefined : (Object.fromEntries(Object.entries(r.query).filter(([, v]) => v !== undefined)) as Record<string, string>),
  }))
  .map(({ query: q, headers, body: b, ...rest }) => ({ ...rest, ...(q && { query: q }), ...(headers !== undefined && { headers }), ...(b !== undefined && { body: b }) }));

/** Most requests go to the routes that take the richest input: POST /proposals, GET /proposals and POST approvals. */
const request: fc.Arbitrary<RequestParts> = fc.oneof(
  { weight: 3, arbitrary: anyRequest },
  { weight: 2, arbitrary: nearValidBody.map((b): RequestParts => ({ method: "POST", path: "/proposals", body: b })) },
  { weight: 1, arbitrary: approvalBody.map((b): RequestParts => ({ method: "POST", path: `/proposals/${existingId}/approvals`, body: b })) },
  { weight: 1, arbitrary: fc.record({ limit: fc.option(fc.integer({ min: 1, max: 3 }).map(String), { nil: undefined }), cursor }, { requiredKeys: ["cursor"] }).map((q): RequestParts => ({ method: "GET", path: "/proposals", query: JSON.parse(JSON.stringify(q)) })) },
);

describe("api handler (fuzzed against DynamoDB Local)", () => {
  it("answers every request below 500, with an error body on a 4xx, and writes nothing on a 4xx", async () => {
    // Prepare
    const statuses = new Map<number, number>();
    // Act + Assess
    await fc.assert(
      fc.asyncProperty(request, async (parts) => {
        const before = await tableSnapshot(db.client as DynamoDBClient, TABLE);
        const response = await api.call(parts);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, `${parts.method} ${parts.path.slice(0, 200)}: ${JSON.stringify(response.body).slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
          expect(await tableSnapshot(db.client as DynamoDBClient, TABLE)).toEqual(before);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? RUNS) },
    );
    // The fuzz reached the routes, not only the router: refusals of several kinds and some successes.
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(3);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect(api.chainCalls()).toBe(0);
    if (process.env.FUZZ_REPORT) console.log(JSON.stringify([...statuses].sort()));
  });
});
