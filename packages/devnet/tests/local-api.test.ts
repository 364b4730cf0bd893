/** The devnet's local API server: HTTP requests in, API Gateway payload-v2 events to the handler, its result out. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type LocalApi } from "../src/index.js";

let api: LocalApi;
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await startLocalApi({
    principal: "devnet:tester",
    maxBodyBytes: 1024,
    handler: async (event) => {
      seen.push(event);
      if (event.rawPath === "/boom") throw new Error("handler exploded");
      return { statusCode: event.rawPath === "/missing" ? 404 : 200, headers: { "content-type": "application/json", "x-echo": event.requestContext.http.method }, body: JSON.stringify({ path: event.rawPath, query: event.queryStringParameters ?? null, body: event.body ?? null }) };
    },
  });
});

afterAll(async () => {
  await api?.stop();
});

describe("startLocalApi", () => {
  it("hands the handler a payload-v2 event with method, path, query, headers, body and the configured principal", async () => {
    // Act
    const response = await fetch(`${api.url}/proposals/abc?limit=5&cursor=x`, { method: "POST", headers: { "content-type": "application/json", "x-trace": "t1" }, body: '{"a":1}' });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("x-echo")).toBe("POST");
    expect(await response.json()).toEqual({ path: "/proposals/abc", query: { limit: "5", cursor: "x" }, body: '{"a":1}' });
    const event = seen.at(-1)!;
    expect(event).toMatchObject({ version: "2.0", routeKey: "$default", rawQueryString: "limit=5&cursor=x", isBase64Encoded: false });
    expect(event.headers["x-trace"]).toBe("t1");
    expect(event.requestContext).toMatchObject({ stage: "$default", http: { method: "POST", path: "/proposals/abc" }, authorizer: { iam: { userArn: "devnet:tester" } } });
    expect(event.requestContext.requestId).toMatch(/^local-/);
  });

  it("passes the handler's status code through and omits an empty body and query", async () => {
    const response = await fetch(`${api.url}/missing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ path: "/missing", query: null, body: null });
  });

  it("refuses a body over the limit with 413 without calling the handler", async () => {
    const before = seen.length;
    const response = await fetch(`${api.url}/proposals`, { method: "POST", body: "x".repeat(2048) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("body-too-large");
    expect(seen).toHaveLength(before);
  });

  it("answers 500 with a JSON error when the handler throws", async () => {
    const response = await fetch(`${api.url}/boom`);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ code: "internal" });
  });

  it("binds 127.0.0.1 only", () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
