/** The devnet's local API server: HTTP requests in, API Gateway payload-v2 events to the handler, its result out. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalApi, type LocalApi } from "../src/index.js";

let api: LocalApi;
const seen: APIGatewayProxyEventV2[] = [];

const consoleDir = mkdtempSync(join(tmpdir(), "payrox-console-"));
mkdirSync(join(consoleDir, "assets"));
writeFileSync(join(consoleDir, "index.html"), "<!doctype html><title>console</title>");
writeFileSync(join(consoleDir, "assets", "main-ABC123.js"), "console.log(1)");
writeFileSync(join(consoleDir, "config.json"), '{"apiUrl":"","auth":{"kind":"none"}}');
writeFileSync(join(consoleDir, "secret.txt"), "not served");

/** A raw request with exactly these headers (fetch would not let a test set Host). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: api.port, method, path, headers, setHost: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  api = await startLocalApi({
    consoleDir,
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

  it("hands a path that starts with // to the handler as that path (never as a host), and never answers 5xx for one that is no URL", async () => {
    // Prepare: an authority-looking path ("//host/…", an invalid host "//[", an invalid port) as an attacker sends it
    const host = { host: `127.0.0.1:${api.port}` };
    // Act
    const answers = await Promise.all(["//proposals/x", "//[", "//a:99999/", "//[::1]:0/proposals"].map((path) => raw("GET", path, host)));
    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => (JSON.parse(a.body) as { path: string }).path)).toEqual(["//proposals/x", "//[", "//a:99999/", "//[::1]:0/proposals"]);
  });

  it("never answers 5xx for any request target a client can send (property)", async () => {
    // Prepare: targets of printable ASCII (what an HTTP client lets through), authority-looking ones often
    const target = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }).map((p) => `/${p}`),
      fc.string({ unit: fc.constantFrom("/", "[", "]", ":", "@", "%", "?", "#", "\\", ".", "a", "9"), maxLength: 20 }).map((p) => `//${p}`),
    );
    const host = { host: `127.0.0.1:${api.port}` };
    // Act + Assess
    await fc.assert(
      fc.asyncProperty(target, async (path) => {
        const { status } = await raw("GET", path, host);
        expect(status, path).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it("binds 127.0.0.1 only", () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("startLocalApi host and origin checks", () => {
  it("refuses a request whose Host is not its own (DNS rebinding) with 403 forbidden-host, before the handler", async () => {
    // Prepare
    const before = seen.length;
    // Act
    const rebound = await raw("GET", "/proposals", { host: `attacker.example:${api.port}` });
    const otherPort = await raw("GET", "/proposals", { host: "127.0.0.1:1" });
    // Assess
    for (const r of [rebound, otherPort]) {
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe("forbidden-host");
    }
    expect(seen).toHaveLength(before);
  });

  it("refuses a cross-site request (another Origin, or null) with 403 forbidden-origin, before the handler", async () => {
    // Prepare
    const before = seen.length;
    // Act
    const results = await Promise.all(["http://evil.example", "null", `http://127.0.0.1:${api.port + 1}`, `https://127.0.0.1:${api.port}`].map((origin) => raw("POST", "/proposals", { host: `127.0.0.1:${api.port}`, origin, "content-type": "application/json" }, "{}")));
    // Assess
    for (const r of results) {
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error.code).toBe("forbidden-origin");
    }
    expect(seen).toHaveLength(before);
  });

  it("accepts its own origin by 127.0.0.1 or localhost, and requests without Origin (the CLI)", async () => {
    // Act
    const results = await Promise.all([
      raw("POST", "/proposals", { host: `127.0.0.1:${api.port}`, origin: `http://127.0.0.1:${api.port}` }, "{}"),
      raw("GET", "/proposals", { host: `localhost:${api.port}`, origin: `http://localhost:${api.port}` }),
      raw("GET", "/proposals", { host: `127.0.0.1:${api.port}` }),
    ]);
    // Assess
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

describe("startLocalApi console", () => {
  it("serves the console's index.html and hashed assets with a CSP that allows no inline script", async () => {
    // Act
    const index = await fetch(`${api.url}/`);
    const asset = await fetch(`${api.url}/assets/main-ABC123.js`);
    // Assess
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(index.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(await index.text()).toContain("<title>console</title>");
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await (await fetch(`${api.url}/config.json`)).json()).toEqual({ apiUrl: "", auth: { kind: "none" } });
  });

  it("serves nothing else from the console directory: other paths go to the API handler", async () => {
    // Prepare
    const before = seen.length;
    // Act
    const traversal = await raw("GET", "/assets/../secret.txt", { host: `127.0.0.1:${api.port}` });
    const other = await fetch(`${api.url}/secret.txt`);
    // Assess
    expect(traversal.body).not.toContain("not served");
    expect(await other.text()).not.toContain("not served");
    expect(seen.length).toBeGreaterThan(before);
  });
});

