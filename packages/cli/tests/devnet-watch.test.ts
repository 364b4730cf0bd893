/**
 * The devnet's progress watch against a real HTTP server that plays a failing PayRox API (issue 13,
 * defect 4: one 500 used to end the watch and with it the devnet's scheduler, watchdog and API).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient, type ProposalView } from "../src/api-client.js";
import { ProgressDisplay } from "../src/devnet/progress.js";
import { followEach, watchProposal } from "../src/devnet/watch.js";
import { ApiRequestError } from "../src/errors.js";

const FINAL: ProposalView = {
  proposal: { id: "p1", name: "n", root: "0x", networks: ["devnet-1"], createdAtMs: 0, proposer: "me" },
  runs: [{ network: "devnet-1", state: "ACTIVATED", status: "ACTIVATED", batchesApplied: 1, batchCount: 1, updatedAtMs: 0 }],
};

type Answer = { status: number; body: string };
const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) });

let server: Server | undefined;

/** An API whose `GET /proposals/p1` gives `answers` in turn (the last one repeats); the audit always answers. */
async function apiAnswering(answers: Answer[]): Promise<{ client: ApiClient; proposalReads: () => number }> {
  let reads = 0;
  server = createServer((req, res) => {
    const answer = req.url?.endsWith("/audit") ? json(200, { entries: [], verification: { ok: true } }) : answers[Math.min(reads++, answers.length - 1)]!;
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { client: new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, signer: "none" }), proposalReads: () => reads };
}

function capture(): { display: ProgressDisplay; text: () => string } {
  let text = "";
  return { display: new ProgressDisplay({ write: (t) => void (text += t), isTTY: false }), text: () => text };
}

afterEach(() => {
  server?.close();
  server = undefined;
});

describe("watchProposal", () => {
  it("keeps polling with backoff and reports each failure when the API answers 500 a few times, then succeeds", async () => {
    // Prepare: three 500s (a DynamoDB error behind the API), one 503 without JSON, then the final state
    const internal = json(500, { error: { code: "internal", message: "internal error; retry later" } });
    const { client, proposalReads } = await apiAnswering([internal, internal, internal, { status: 503, body: "Service Unavailable" }, json(200, FINAL)]);
    const { display, text } = capture();
    const started = Date.now();
    // Act
    const view = await watchProposal(client, "p1", display, { pollMs: 20, maxBackoffMs: 60 });
    // Assess: it reached the final state; waits were 20, 40, 60, 60 ms (backoff, capped)
    expect(view?.runs[0]?.state).toBe("ACTIVATED");
    expect(proposalReads()).toBe(5);
    // (a timer may fire up to 1 ms early against Date.now: 1 ms of slack per wait)
    expect(Date.now() - started).toBeGreaterThanOrEqual(180 - 4);
    const lines = text().split("\n");
    expect(lines.filter((l) => /progress of p1 failed \(attempt \d; the scheduler and watchdog keep running\)/.test(l))).toHaveLength(4);
    expect(text()).toContain("retrying in 0.0 s: the PayRox API refused the request (500 internal)");
    expect(text()).toMatch(/attempt 4.*answered 503 with non-JSON/);
    expect(text()).toContain("the API answers again after 4 failed attempt(s)");
  });

  it("stops waiting for a retry when aborted, without throwing", async () => {
    // Prepare
    const { client } = await apiAnswering([json(500, { error: { code: "internal", message: "down" } })]);
    const { display } = capture();
    const abort = new AbortController();
    // Act
    const watching = watchProposal(client, "p1", display, { pollMs: 10_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    // Assess
    await expect(watching).resolves.toBeUndefined();
  });

  it("keeps polling and reports when the API answers any 4xx (404, 409, 403, 400), then follows it once it answers", async () => {
    // Prepare: refusals a DynamoDB restart, a misrouted proxy or a half-applied write can cause, then the final state
    const refusal = (status: number, code: string) => json(status, { error: { code, message: `refused ${code}` } });
    const { client, proposalReads } = await apiAnswering([refusal(404, "proposal-not-found"), refusal(409, "conflict"), refusal(403, "forbidden"), refusal(400, "invalid-proposal-id"), json(200, FINAL)]);
    const { display, text } = capture();
    // Act
    const view = await watchProposal(client, "p1", display, { pollMs: 10, maxBackoffMs: 20 });
    // Assess
    expect(view?.runs[0]?.state).toBe("ACTIVATED");
    expect(proposalReads()).toBe(5);
    for (const code of ["404 proposal-not-found", "409 conflict", "403 forbidden", "400 invalid-proposal-id"]) expect(text()).toContain(code);
    expect(text()).toContain("the API answers again after 4 failed attempt(s)");
  });
});

describe("followEach", () => {
  it("reports a proposal it could not follow (an API refusal, a failed chain read) and goes on with the next, never throwing", async () => {
    // Prepare
    const { display, text } = capture();
    const followed: string[] = [];
    const follow = async (id: string) => {
      followed.push(id);
      if (id === "p1") throw new ApiRequestError(409, "proposal-closed", "the proposal was rejected", "http://127.0.0.1/proposals/p1/approvals");
      if (id === "p2") throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
      return `summary of ${id}`;
    };
    // Act
    const result = await followEach(["p1", "p2", "p3"], follow, (m) => display.note(m));
    // Assess
    expect(followed).toEqual(["p1", "p2", "p3"]);
    expect(result).toEqual({ results: ["summary of p3"], problems: [expect.stringContaining("p1"), expect.stringContaining("p2")] });
    expect(text()).toMatch(/following p1 stopped.*409 proposal-closed.*the devnet keeps running/);
    expect(text()).toMatch(/following p2 stopped.*ECONNREFUSED.*the devnet keeps running/);
  });

  it("stops at the first proposal whose follow-up was aborted (undefined), without a problem", async () => {
    // Act
    const result = await followEach(["p1", "p2"], async (id) => (id === "p1" ? undefined : id), () => undefined);
    // Assess
    expect(result).toEqual({ results: [], problems: [] });
  });
});
