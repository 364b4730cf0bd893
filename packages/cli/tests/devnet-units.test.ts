/** Units of the devnet command: progress lines, the state file, flag validation, the API client's errors and SigV4 signing. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiClient, isLoopback, type RunView } from "../src/api-client.js";
import { networkLine, ProgressDisplay } from "../src/devnet/progress.js";
import { approvalOf, renderSummary } from "../src/devnet/summary.js";
import { readDevnetState, writeDevnetState, type DevnetState } from "../src/devnet/state.js";
import { ApiRequestError, DevnetStateError } from "../src/errors.js";
import { run } from "../src/run.js";
import { regionOf, sigV4Signer } from "../src/sigv4.js";

const run0: RunView = { network: "devnet-1", state: "APPLYING", status: "APPLYING(2/5)", batchesApplied: 2, batchCount: 5, etaMs: 100_000, activateAtMs: 100_000, updatedAtMs: 0 };

const STATE: DevnetState = {
  format: "payrox-devnet/1", tableName: "t", dynamoEndpoint: "http://127.0.0.1:1", kmsUrl: "http://127.0.0.1:2", kmsRegion: "us-east-1", activationDelaySeconds: 30,
  networks: [{ id: "devnet-1", chainId: 31338, rpcUrl: "http://127.0.0.1:3", dispatcher: "0x" + "11".repeat(20), kmsKeyId: "k", signerAddress: "0x" + "22".repeat(20), facets: {} }],
};

describe("networkLine", () => {
  it("counts down to the activation time, then counts how long it is due", () => {
    expect(networkLine(run0, [], 90_000)).toMatchObject({ state: "APPLYING", batches: "2/5", countdown: "activates in 10 s" });
    expect(networkLine(run0, [], 103_000).countdown).toBe("activation due 3 s ago");
    expect(networkLine({ ...run0, state: "ACTIVATED" }, [], 103_000).countdown).toBe("");
  });

  it("shows the run's latest transaction and its failure code", () => {
    const entries = [{ seq: 1, event: "commit.confirmed", actor: "s", network: "devnet-1", txHash: "0xaa", atMs: 1, hash: "h", prevHash: "p" }, { seq: 2, event: "apply.confirmed", actor: "s", network: "devnet-2", txHash: "0xbb", atMs: 2, hash: "h", prevHash: "p" }];
    const line = networkLine({ ...run0, state: "FAILED", failure: { code: "drift", message: "m" } }, entries, 0);
    expect(line).toMatchObject({ lastTx: "0xaa", state: "FAILED (drift)" });
  });
});

describe("approvalOf", () => {
  const hashes = (n: string) => ({ digest: "0xd" + n, domainSeparator: "0xdomain", structHash: "0xs" + n });
  const entry = (seq: number, event: string, details: Record<string, unknown>) => ({ seq, event, actor: "api", details, atMs: seq, hash: "h", prevHash: "p" });

  it("names the approvals the threshold crossing counted and the digests they signed, not a withdrawn one", () => {
    // Prepare: a1 approves at nonce 0, withdraws, approves again at nonce 2; a2 approves at nonce 0
    const entries = [
      entry(1, "approval.approved", { approverId: "a1", signer: "0x1", ...hashes("0") }),
      entry(2, "approval.withdrawn", { approverId: "a1", signer: "0x1", ...hashes("1") }),
      entry(3, "approval.approved", { approverId: "a1", signer: "0x1", ...hashes("2") }),
      entry(4, "approval.approved", { approverId: "a2", signer: "0x2", ...hashes("0") }),
      entry(5, "proposal.approved", { approvers: ["0x1", "0x2"], digests: ["0xd2", "0xd0"], threshold: 2 }),
    ];

    // Act
    const approval = approvalOf({ entries, verification: { ok: true } });

    // Assess
    expect(approval).toEqual({ approved: 2, threshold: 2, digests: [{ ...hashes("2"), approvers: ["a1"] }, { ...hashes("0"), approvers: ["a2"] }] });
    const text = renderSummary({ proposalId: "p", networks: [], audit: { ok: true, entries: 5 }, allActivated: false, approval: approval! });
    expect(text).toContain("approval: approved 2/2 by a1, a2");
    expect(text).toMatch(/digest +0xd0 \(a2\)/);
  });

  it("is absent for a proposal made without an approval policy, and says NOT approved before the crossing", () => {
    expect(approvalOf({ entries: [entry(1, "commit.confirmed", {})], verification: { ok: true } })).toBeUndefined();
    const pending = approvalOf({ entries: [entry(1, "approval.approved", { approverId: "a1", ...hashes("0") })], verification: { ok: true } });
    expect(renderSummary({ proposalId: "p", networks: [], audit: { ok: true, entries: 1 }, allActivated: false, approval: pending! })).toContain("approval: NOT approved by a1");
  });
});

describe("ProgressDisplay", () => {
  it("prints one plain line per change when stdout is not a terminal", () => {
    // Prepare
    let text = "";
    const display = new ProgressDisplay({ write: (t) => void (text += t), isTTY: false });
    const view = { proposal: { id: "p", name: "n", root: "r", networks: ["devnet-1"], createdAtMs: 0, proposer: "x" }, runs: [run0] };
    // Act
    display.update(view, [], 90_000);
    display.update(view, [], 91_000);
    display.update({ ...view, runs: [{ ...run0, batchesApplied: 3 }] }, [], 92_000);
    // Assess
    const lines = text.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/devnet-1 +APPLYING +3\/5/);
    expect(text).not.toContain("\x1b[");
  });

  it("redraws the block in place on a terminal", () => {
    let text = "";
    const display = new ProgressDisplay({ write: (t) => void (text += t), isTTY: true });
    const view = { proposal: { id: "p", name: "n", root: "r", networks: ["devnet-1"], createdAtMs: 0, proposer: "x" }, runs: [run0] };
    display.update(view, [], 90_000);
    display.update(view, [], 91_000);
    expect(text).toContain("\x1b[1A");
    expect(text.match(/activates in/g)).toHaveLength(2);
  });
});

describe("devnet state file", () => {
  it("round-trips through the file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "payrox-state-")), "sub", "devnet.json");
    writeDevnetState(file, STATE);
    expect(readDevnetState(file)).toEqual(STATE);
  });

  it("names the file and the bad field of a malformed state, and the command to run when it is missing", () => {
    const file = join(mkdtempSync(join(tmpdir(), "payrox-state-")), "devnet.json");
    writeFileSync(file, JSON.stringify({ ...STATE, networks: [{ ...STATE.networks[0], dispatcher: "nope" }] }));
    expect(() => readDevnetState(file)).toThrow(DevnetStateError);
    expect(() => readDevnetState(file)).toThrow(/networks\.0\.dispatcher/);
    expect(() => readDevnetState(file + ".missing")).toThrow(/payrox devnet services --state-file/);
  });
});

describe("payrox devnet up flags", () => {
  const usage = async (...args: string[]) => {
    let stderr = "";
    const code = await run(["devnet", "up", ...args], { stdout: () => undefined, stderr: (t) => void (stderr += t), cwd: process.cwd() });
    return { code, stderr };
  };

  it("refuses more networks than the registry's devnets, a zero delay, an unknown jitter and --no-propose without --attach (exit 2, nothing started)", async () => {
    expect(await usage("--networks", "22")).toMatchObject({ code: 2, stderr: expect.stringMatching(/at most 21/) });
    expect(await usage("--delay", "0")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--delay must be a positive integer, got/) });
    expect(await usage("--jitter", "sometimes")).toMatchObject({ code: 2, stderr: expect.stringMatching(/none or eventbridge/) });
    expect(await usage("--no-propose")).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --attach/) });
    expect(await usage("--selectors", "20")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--selectors must be a positive integer ≥ 68/) });
  });

  it("reports a missing state file given to --attach (exit 1)", async () => {
    const result = await usage("--attach", "/nonexistent/devnet.json", "--api-port", "0");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/devnet state file \/nonexistent\/devnet.json: not readable/);
  });
});

describe("payrox devnet services flags", () => {
  it("refuses a size other than the kept data's, naming --fresh, before starting anything (exit 1)", async () => {
    // Prepare: a data directory holding a 1-network devnet with a 30 s delay
    const dataDir = mkdtempSync(join(tmpdir(), "payrox-data-"));
    writeDevnetState(join(dataDir, "deployment.json"), { ...STATE, networks: [{ ...STATE.networks[0]!, genesisHash: "0x" + "33".repeat(32) }] });
    let stderr = "";
    // Act
    const code = await run(["devnet", "services", "--data-dir", dataDir, "--networks", "2", "--state-file", join(dataDir, "devnet.json")], { stdout: () => undefined, stderr: (t) => void (stderr += t), cwd: process.cwd() });
    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/holds a devnet of 1 network\(s\) with a 30 s delay, not 2 with 30 s/);
    expect(stderr).toContain("payrox devnet services --fresh");
  });
});

describe("ApiClient", () => {
  it("turns an { error } answer into an ApiRequestError with status and code", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(409, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "proposal-finished", message: "nothing to cancel" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const client = new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const error = await client.cancel("x").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiRequestError);
      expect(error).toMatchObject({ status: 409, code: "proposal-finished" });
    } finally {
      server.close();
    }
  });

  it("signs only non-loopback URLs", () => {
    expect(isLoopback(new URL("http://127.0.0.1:8787"))).toBe(true);
    expect(isLoopback(new URL("https://abc.execute-api.eu-west-1.amazonaws.com"))).toBe(false);
  });
});

describe("sigV4Signer", () => {
  it("signs for execute-api in the region of the API's host with the caller's credentials", async () => {
    // Prepare: credentials from the environment, as the default chain reads them (dummy values)
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
    process.env.AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    try {
      const base = new URL("https://abc123.execute-api.eu-west-1.amazonaws.com");
      // Act
      const headers = await sigV4Signer(base)({ method: "POST", url: new URL("/proposals?limit=2", base), headers: { "content-type": "application/json" }, body: "{}" });
      // Assess
      expect(regionOf(base)).toBe("eu-west-1");
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
      expect(headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});
