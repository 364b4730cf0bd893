/**
 * The governance routes over the real DynamoDB Local, composed by `buildDeps` from the environment's
 * approval policy (2-of-3 ethers Wallets): GET /policy, proposals awaiting approval, approvals signed as
 * EIP-712 typed data by real keys until the commits are scheduled, and every refusal with its status and
 * code. The dispatcher reader is a stand-in answering fixed timings (the chain package's own tests read
 * real dispatchers); the ERC-1271 reader is the real one over an RPC that does not answer.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoJobStore } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { approvalTypedData, findNetwork, jobName, loadApprovalPolicy, policyHash, serializeManifest, type ApprovalAction, type ApprovalSubject, type ApprovalTargetReader, type Clock, type Manifest } from "@payrox/core";
import { getAddress, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../src/env.js";
import { apiOverTable, counterManifest, HARNESS_NETWORKS, tableSnapshot } from "./support/api-harness.js";

const TABLE = "payrox-functions-api-governance";
/** The harness's requests carry no IAM identity. */
const PROPOSER = "anonymous";
const DEPLOYMENT_ID = "payrox-gov-test";
const DISPATCHER = getAddress("0x00000000000000000000000000000000000d15ca");
const WINDOW_SECONDS = 3600;

// Fixed development keys (never funded): the proposer maps to `alice`, who may then not approve.
const alice = new Wallet("0x" + "a1".repeat(32));
const bob = new Wallet("0x" + "b2".repeat(32));
const carol = new Wallet("0x" + "c3".repeat(32));
const mallory = new Wallet("0x" + "d4".repeat(32));

/** 2-of-3, addresses written in lower case (the policy view shows them EIP-55). */
const POLICY = {
  approvals: {
    approvers: [alice, bob, carol].map((w, i) => ({ id: ["alice", "bob", "carol"][i], address: w.address.toLowerCase(), kind: "eoa" })),
    threshold: 2,
    windowSeconds: WINDOW_SECONDS,
    proposerMap: { [PROPOSER]: alice.address.toLowerCase() },
    allOrNone: false,
  },
};

/** The dispatcher facts every proposal binds (a port stand-in; see the file's comment). */
const targets: ApprovalTargetReader = {
  target: async (network) => ({ network, chainId: findNetwork(network)!.chainId, dispatcher: DISPATCHER, activationDelaySeconds: 3600, expiryWindowSeconds: 86_400 }),
};

let db: DynamoDbLocal;
let manifest: Manifest;
let nowMs = Date.parse("2030-01-01T00:00:00Z");
const clock: Clock = { now: () => nowMs };
let api: Awaited<ReturnType<typeof apiOverTable>>;
let jobs: DynamoJobStore;

async function governedApi(client: DynamoDBClient, env: Record<string, string>, createTable = false) {
  return apiOverTable(client, TABLE, { createTable, env: { [ENV.DEPLOYMENT_ID]: DEPLOYMENT_ID, ...env }, overrides: { clock, approvalReaders: { targets } } });
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = process.env.DEBUG_LOG ?? "SILENT";
  db = await startDynamoDbLocal();
  api = await governedApi(db.client, { [ENV.APPROVAL_POLICY]: JSON.stringify(POLICY) }, true);
  jobs = new DynamoJobStore({ client: db.client, tableName: TABLE });
  manifest = await counterManifest();
});

afterAll(async () => {
  await db?.stop();
});

async function propose(via = api): Promise<string> {
  const { status, body } = await via.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: [...HARNESS_NETWORKS] }) });
  expect({ status, error: body.error }).toEqual({ status: 201, error: undefined });
  return body.id as string;
}

/** Cancels a proposal (its runs hold their networks until they are final). */
async function release(id: string): Promise<void> {
  const { status, body } = await api.call({ method: "POST", path: `/proposals/${id}/cancel` });
  expect({ status, error: body.error }).toEqual({ status: 200, error: undefined });
}

async function subjectOf(id: string): Promise<ApprovalSubject> {
  const { status, body } = await api.call({ method: "GET", path: `/proposals/${id}/approvals` });
  expect(status).toBe(200);
  return body.subject as ApprovalSubject;
}

async function sign(wallet: Wallet, subject: ApprovalSubject, action: ApprovalAction, nonce: number): Promise<string> {
  const data = approvalTypedData(subject, action, nonce);
  return wallet.signTypedData(data.domain, data.types, data.message);
}

async function submit(id: string, body: unknown): Promise<{ status: number; body: any }> {
  return api.call({ method: "POST", path: `/proposals/${id}/approvals`, body: typeof body === "string" ? body : JSON.stringify(body) });
}

/** Items added to the table by `act`. */
async function written(act: () => Promise<unknown>): Promise<string[]> {
  const before = new Set(await tableSnapshot(db.client, TABLE));
  await act();
  return (await tableSnapshot(db.client, TABLE)).filter((line) => !before.has(line));
}

/** The item type and audit event of a {@link tableSnapshot} line (raw attribute values). */
function kindOf(line: string): { type?: string; event?: string } {
  const item = JSON.parse(line) as Record<string, { S?: string }>;
  return { type: item.type?.S, ...(item.event && { event: item.event.S }) };
}

describe("GET /policy", () => {
  it("shows the validated policy with EIP-55 addresses, its hash, the deployment id and the stage", async () => {
    // Act
    const { status, body } = await api.call({ method: "GET", path: "/policy" });

    // Assess
    expect(status).toBe(200);
    const validated = loadApprovalPolicy(JSON.stringify(POLICY), { protectedStage: false });
    expect(body).toEqual({ deploymentId: DEPLOYMENT_ID, policyHash: policyHash(validated), protectedStage: false, policy: JSON.parse(JSON.stringify(validated)) });
    expect(body.policy.approvals.approvers.map((a: { address: string }) => a.address)).toEqual([alice.address, bob.address, carol.address]);
    expect(body.policy.approvals.forbidSelfApproval).toBe(true);
  });
});

describe("a proposal under a 2-of-3 policy", () => {
  let id: string;
  let subject: ApprovalSubject;

  it("starts AWAITING_APPROVAL with no commit scheduled, shown in the proposal views", async () => {
    // Act
    id = await propose();
    const shown = await api.call({ method: "GET", path: `/proposals/${id}` });
    const listed = await api.call({ method: "GET", path: "/proposals" });

    // Assess
    const approval = { status: "AWAITING_APPROVAL", threshold: 2, deadline: new Date(nowMs + WINDOW_SECONDS * 1000).toISOString() };
    expect(shown.body.proposal.approval).toEqual(approval);
    expect(listed.body.proposals.find((p: { id: string }) => p.id === id).approval).toEqual(approval);
    for (const network of HARNESS_NETWORKS) expect(await jobs.get(jobName(id, network, "commit", "0"))).toBeUndefined();
  });

  it("lists every approver with no signature yet, and the subject to sign", async () => {
    // Act
    const { status, body } = await api.call({ method: "GET", path: `/proposals/${id}/approvals` });
    subject = body.subject;

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ proposalId: id, status: "AWAITING_APPROVAL", threshold: 2, approved: 0, deadline: new Date(nowMs + WINDOW_SECONDS * 1000).toISOString(), approvals: [] });
    expect(body.approvers).toEqual([
      { id: "alice", address: alice.address, kind: "eoa", status: "none", nextNonce: 0 },
      { id: "bob", address: bob.address, kind: "eoa", status: "none", nextNonce: 0 },
      { id: "carol", address: carol.address, kind: "eoa", status: "none", nextNonce: 0 },
    ]);
    expect(subject).toMatchObject({ deploymentId: DEPLOYMENT_ID, proposalId: id, targets: HARNESS_NETWORKS.map((network) => ({ network, dispatcher: DISPATCHER })) });
  });

  it.each([
    ["a body that is not JSON", "{nope", 400, "malformed-json"],
    ["an unknown action", { action: "Maybe", nonce: 0, signature: "0x00" }, 400, "malformed-signature"],
    ["a signature that is not hex", { action: "Approve", nonce: 0, signature: "signed" }, 400, "malformed-signature"],
    ["a negative nonce", { action: "Approve", nonce: -1, signature: "0x00" }, 400, "malformed-signature"],
  ])("refuses %s with nothing written", async (_what, body, status, code) => {
    // Act
    let response: { status: number; body: any } | undefined;
    const added = await written(async () => (response = await submit(id, body)));

    // Assess
    expect(response!.status).toBe(status);
    expect(response!.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(added).toEqual([]);
  });

  it("refuses a proposal that does not exist with nothing written", async () => {
    // Act
    let response: { status: number; body: any } | undefined;
    const added = await written(async () => (response = await submit("no-such-proposal", { action: "Approve", nonce: 0, signature: await sign(bob, subject, "Approve", 0) })));

    // Assess
    expect(response!.status).toBe(404);
    expect(response!.body.error.code).toBe("proposal-not-found");
    expect(added).toEqual([]);
  });

  it.each([
    ["a key that is not an approver", () => mallory, () => subject, {}, 403, "not-approver"],
    ["the proposer's own approver key", () => alice, () => subject, {}, 403, "self-approval"],
    ["a signature over another proposal", () => bob, () => ({ ...subject, proposalId: "another" }), { approver: bob.address }, 400, "digest-mismatch"],
    ["a signature over another dispatcher", () => bob, () => ({ ...subject, targets: subject.targets.map((t) => ({ ...t, dispatcher: "0x000000000000000000000000000000000000dEaD" })) }), { approver: bob.address }, 400, "digest-mismatch"],
    ["a nonce that skips ahead", () => carol, () => subject, { nonce: 5 }, 400, "nonce-ahead"],
    ["a 63-byte signature", () => bob, () => subject, { signature: "0x" + "11".repeat(63) }, 400, "malformed-signature"],
  ] as const)("refuses %s, writing only the refusal's audit entry (and its alert when verification failed)", async (_what, signer, over, extra, status, code) => {
    // Prepare
    const nonce = "nonce" in extra ? extra.nonce : 0;
    const body = { action: "Approve", nonce, signature: await sign(signer(), over(), "Approve", nonce), ...extra };

    // Act
    let response: { status: number; body: any } | undefined;
    const added = await written(async () => (response = await submit(id, body)));

    // Assess
    expect(response!.status).toBe(status);
    expect(response!.body.error).toMatchObject({ code, message: expect.any(String) });
    // A refused signature may be an attack: the use case audits it, and a signature that fails verification
    // also raises the deduplicated approval-refused alert (its incident and delivery items); nothing else.
    const alerted = code !== "nonce-ahead";
    const expected = [{ type: "audit", event: "approval.refused" }, ...(alerted ? [{ type: "alert-delivery" }, { type: "incident" }] : [])];
    const order = (k: { type?: string; event?: string }) => `${k.type}:${k.event ?? ""}`;
    expect(added.map(kindOf).sort((a, b) => order(a).localeCompare(order(b)))).toEqual(expected.sort((a, b) => order(a).localeCompare(order(b))));
    expect((await api.call({ method: "GET", path: `/proposals/${id}/approvals` })).body).toMatchObject({ status: "AWAITING_APPROVAL", approved: 0, approvals: [] });
  });

  it("counts the first approval and schedules nothing", async () => {
    // Act
    const { status, body } = await submit(id, { action: "Approve", nonce: 0, signature: await sign(bob, subject, "Approve", 0) });

    // Assess
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: "AWAITING_APPROVAL", approvals: 1, threshold: 2, scheduled: false, rejected: false, approval: { approver: bob.address, approverId: "bob", status: "approved", nonce: 0 } });
    for (const network of HARNESS_NETWORKS) expect(await jobs.get(jobName(id, network, "commit", "0"))).toBeUndefined();
  });

  it.each([
    ["a second approval by the same approver", "Approve", 1, 409, "duplicate-approval"],
    ["a used nonce", "Withdraw", 0, 409, "replayed-nonce"],
  ] as const)("refuses %s (409)", async (_what, action, nonce, status, code) => {
    // Prepare
    const body = { action, nonce, signature: await sign(bob, subject, action, nonce) };

    // Act
    const { status: actual, body: refused } = await submit(id, body);

    // Assess
    expect(actual).toBe(status);
    expect(refused.error.code).toBe(code);
    expect((await api.call({ method: "GET", path: `/proposals/${id}/approvals` })).body.approved).toBe(1);
  });

  it("crosses the threshold at the second approver and schedules the commits once", async () => {
    // Act
    const { status, body } = await submit(id, { action: "Approve", nonce: 0, signature: await sign(carol, subject, "Approve", 0) });
    const after = await api.call({ method: "GET", path: `/proposals/${id}/approvals` });
    const trail = await api.call({ method: "GET", path: `/proposals/${id}/audit` });

    // Assess
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: "APPROVED", approvals: 2, threshold: 2, scheduled: true, rejected: false });
    for (const network of HARNESS_NETWORKS) expect(await jobs.get(jobName(id, network, "commit", "0"))).toBeDefined();
    expect(after.body).toMatchObject({ status: "APPROVED", approved: 2 });
    expect(after.body.approvers.map((a: { id: string; status: string; nextNonce: number }) => [a.id, a.status, a.nextNonce])).toEqual([["alice", "none", 0], ["bob", "approved", 1], ["carol", "approved", 1]]);
    expect(after.body.approvers[1]).toMatchObject({ digest: expect.stringMatching(/^0x[0-9a-f]{64}$/), at: new Date(nowMs).toISOString() });
    const events = trail.body.entries.map((e: { event: string }) => e.event);
    expect(events.filter((e: string) => e === "approval.approved")).toHaveLength(2);
    expect(events.filter((e: string) => e === "proposal.approved")).toHaveLength(1);
    expect(trail.body.verification.ok).toBe(true);
  });

  it("lets the watchdog's chain watcher see the approved quorum behind the proposal's commit (no commit-without-quorum)", async () => {
    // Prepare: the commit of the approved root as the chain would report it, on the first network.
    const { createWatchdogHandler } = await import("../src/watchdog.js");
    const network = HARNESS_NETWORKS[0];
    const root = (await api.call({ method: "GET", path: `/proposals/${id}` })).body.proposal.root as string;
    const commit = { network, name: "RootCommitted", args: { root, epoch: "1", eta: "0", leafCount: String(subject.leafCount) }, txHash: "0x" + "ab".repeat(32), from: DISPATCHER, blockNumber: 5, blockHash: "0x" + "05".repeat(32), logIndex: 0 };
    const events = {
      networks: () => [network],
      ownSenders: async () => [],
      head: async () => ({ number: 10, hash: "0x" + "0a".repeat(32) }),
      blockHash: async (_n: string, b: number) => "0x" + b.toString(16).padStart(2, "0").repeat(32),
      getLogs: async (_n: string, from: number, to: number) => (from <= 5 && 5 <= to ? [commit] : []),
    };
    const raised: string[] = [];
    const watching = (deps: typeof api.deps) => ({ ...deps, alerts: { raise: async (alert: { type: string }) => void raised.push(alert.type) }, monitoring: { ...deps.monitoring!, events, cursors: { get: async () => undefined, put: async () => {} } } });

    // Act: the watchdog as deployed (governance built from the environment), then one without governance.
    const governed = await createWatchdogHandler(() => watching(api.deps))({});
    const ungoverned = await createWatchdogHandler(() => ({ ...watching(api.deps), loadGovernance: undefined }))({});

    // Assess
    const countOf = (r: typeof governed) => r.chain!.reduce((n, c) => n + (c.ok ? c.withoutQuorum : 0), 0);
    expect(countOf(governed)).toBe(0);
    expect(countOf(ungoverned)).toBe(1);
    expect(raised.filter((t) => t === "commit-without-quorum")).toHaveLength(1);
  });

  it("takes no more signatures once approved (409 proposal-closed)", async () => {
    // Act
    const { status, body } = await submit(id, { action: "Withdraw", nonce: 1, signature: await sign(bob, subject, "Withdraw", 1) });

    // Assess
    expect(status).toBe(409);
    expect(body.error.code).toBe("proposal-closed");
    await release(id);
  });
});

describe("deadlines, rejection and proposals without a policy", () => {
  it("refuses an approval after the window closed (409 after-deadline)", async () => {
    // Prepare
    const id = await propose();
    const subject = await subjectOf(id);
    nowMs += (WINDOW_SECONDS + 1) * 1000;

    // Act
    const { status, body } = await submit(id, { action: "Approve", nonce: 0, signature: await sign(bob, subject, "Approve", 0) });

    // Assess
    expect(status).toBe(409);
    expect(body.error.code).toBe("after-deadline");
    await release(id);
  });

  it("cancels the proposal on one approver's Reject", async () => {
    // Prepare
    const id = await propose();
    const subject = await subjectOf(id);

    // Act
    const { status, body } = await submit(id, { action: "Reject", nonce: 0, signature: await sign(carol, subject, "Reject", 0) });
    const shown = await api.call({ method: "GET", path: `/proposals/${id}` });

    // Assess
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: "REJECTED", rejected: true, scheduled: false });
    expect(shown.body.proposal.approval.status).toBe("REJECTED");
    expect(shown.body.runs.map((r: { state: string }) => r.state)).toEqual(["CANCELLED", "CANCELLED"]);
  });

  it.each([1, 2, 3])("schedules the commits once when the two approvals that cross the threshold arrive together (round %i)", async () => {
    // Prepare
    const id = await propose();
    const subject = await subjectOf(id);
    const bodies = await Promise.all([bob, carol].map(async (w) => ({ action: "Approve", nonce: 0, signature: await sign(w, subject, "Approve", 0) })));

    // Act
    const results = await Promise.all(bodies.map((body) => submit(id, body)));
    const trail = await api.call({ method: "GET", path: `/proposals/${id}/audit` });

    // Assess
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    expect(results.filter((r) => r.body.scheduled)).toHaveLength(1);
    expect(trail.body.entries.filter((e: { event: string }) => e.event === "proposal.approved")).toHaveLength(1);
    for (const network of HARNESS_NETWORKS) expect(await jobs.get(jobName(id, network, "commit", "0"))).toBeDefined();
    await release(id);
  });

  it("answers 409 not-under-policy for a proposal made without a policy, with nothing written", async () => {
    // Prepare: the same table, under a deployment that states no approvals.
    const open = await governedApi(db.client, { [ENV.APPROVAL_POLICY]: '{"approvals":"none"}' });
    const id = await propose(open);

    // Act
    let views: { status: number; body: any }[] = [];
    const added = await written(async () => {
      views = [await api.call({ method: "GET", path: `/proposals/${id}/approvals` }), await api.call({ method: "POST", path: `/proposals/${id}/approvals`, body: JSON.stringify({ action: "Approve", nonce: 0, signature: "0x" + "11".repeat(65) }) })];
    });

    // Assess
    expect(views.map((v) => [v.status, v.body.error.code])).toEqual([[409, "not-under-policy"], [409, "not-under-policy"]]);
    expect(added).toEqual([]);
    expect((await open.call({ method: "GET", path: `/proposals/${id}` })).body.proposal.approval).toBeUndefined();
  });
});
