import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, ApiRequestError } from "../../src/api-client.js";

let server: Server;
let base: string;
const seen: { path: string; ifNoneMatch?: string; authorization?: string }[] = [];
let body = JSON.stringify({ n: 1 });

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", ...(req.headers["if-none-match"] && { ifNoneMatch: String(req.headers["if-none-match"]) }), ...(req.headers.authorization && { authorization: req.headers.authorization }) });
    if (req.url === "/missing") {
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { code: "proposal-not-found", message: "no such proposal", extra: 1 } }));
    }
    const etag = `"${Buffer.from(body).toString("base64url")}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      return res.end();
    }
    res.writeHead(200, { "content-type": "application/json", etag });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("ApiClient", () => {
  it("revalidates with the last ETag: a 304 returns the cached body as unchanged, a new body as changed", async () => {
    // Prepare
    const api = new ApiClient({ apiUrl: base + "/", auth: { kind: "none" } });
    // Act
    const first = await api.get<{ n: number }>("/x");
    const second = await api.get<{ n: number }>("/x");
    body = JSON.stringify({ n: 2 });
    const third = await api.get<{ n: number }>("/x");
    // Assess
    expect([first, second, third]).toEqual([{ data: { n: 1 }, changed: true }, { data: { n: 1 }, changed: false }, { data: { n: 2 }, changed: true }]);
    expect(seen.filter((s) => s.path === "/x").map((s) => s.ifNoneMatch !== undefined)).toEqual([false, true, true]);
  });

  it("throws the API's error code, message and details on a refusal", async () => {
    // Act
    const error = await new ApiClient({ apiUrl: base, auth: { kind: "none" } }).get("/missing").catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error).toMatchObject({ status: 404, code: "proposal-not-found", message: "no such proposal", details: { extra: 1 } });
  });

  it("sends the bearer token of its auth on every request", async () => {
    // Prepare
    const api = new ApiClient({ apiUrl: base, auth: { kind: "oidc", issuer: "https://issuer", clientId: "c" } }, { token: async () => "t-1", refused: () => {} });
    // Act
    await api.get("/y");
    await api.post("/y", {});
    // Assess
    expect(seen.filter((s) => s.path === "/y").map((s) => s.authorization)).toEqual(["Bearer t-1", "Bearer t-1"]);
  });
});
