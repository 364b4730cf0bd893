/**
 * Governance fails closed: the environment must state a policy (`{"approvals":"none"}` explicitly), a
 * protected stage refuses `none`, and a policy that can't be used refuses the API's governed routes and
 * every step with an error naming PAYROX_APPROVAL_POLICY. A policy change is audited once, however many
 * containers build their governance at once. On the real DynamoDB Local.
 */
import { createTable, DynamoJobStore } from "@payrox/aws";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { findNetwork, loadApprovalPolicy, OPERATIONS_AUDIT_STREAM, policyHash, serializeManifest, verifyAuditChain, type ApprovalTargetReader } from "@payrox/core";
import { LocalScheduler } from "@payrox/devnet";
import { getAddress, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeps } from "../src/composition.js";
import { ENV, EnvConfigError, readEnv } from "../src/env.js";
import { apiOverTable, counterManifest, harnessEnv, HARNESS_NETWORKS, tableSnapshot } from "./support/api-harness.js";

const bob = new Wallet("0x" + "b2".repeat(32));
const carol = new Wallet("0x" + "c3".repeat(32));

/** A policy over `approvers` (bob and carol by default), 1-of-n, the harness's caller mapped to bob. */
function policyOf(extra: Record<string, unknown> = {}, approvers: unknown[] = [bob, carol].map((w, i) => ({ id: `a${i}`, address: w.address, kind: "eoa" }))): string {
  return JSON.stringify({ approvals: { approvers, threshold: 1, windowSeconds: 3600, proposerMap: { anonymous: bob.address }, allOrNone: false, ...extra } });
}

const targets: ApprovalTargetReader = {
  target: async (network) => ({ network, chainId: findNetwork(network)!.chainId, dispatcher: getAddress("0x00000000000000000000000000000000000d15ca"), activationDelaySeconds: 3600, expiryWindowSeconds: 86_400 }),
};

let db: DynamoDbLocal;
let tables = 0;
/** A fresh table per test: what one test writes never meets another's. */
async function freshTable(): Promise<string> {
  const name = `payrox-governance-config-${++tables}`;
  await createTable(db.client, name);
  return name;
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  db = await startDynamoDbLocal();
});

afterAll(async () => {
  await db?.stop();
});

describe("readEnv › approval policy", () => {
  const problemOf = (source: Record<string, string | undefined>) => {
    try {
      readEnv(source);
    } catch (error) {
      expect(error).toBeInstanceOf(EnvConfigError);
      return (error as EnvConfigError).problems;
    }
    throw new Error("readEnv accepted the environment");
  };

  it.each([
    ["missing", undefined, /is required/],
    ["empty", "", /must not be empty/],
    ["not JSON", "{approvals: none}", /must be JSON text/],
    ["not an object", '"none"', /must be a JSON object/],
    ["without approvals", "{}", /"none" \(stated explicitly/],
    ["approvals neither none nor rules", '{"approvals":"off"}', /"none" \(stated explicitly/],
  ])("refuses a %s policy, naming PAYROX_APPROVAL_POLICY", (_what, value, message) => {
    // Act
    const problems = problemOf({ ...harnessEnv("t"), [ENV.APPROVAL_POLICY]: value });

    // Assess
    expect(problems).toEqual([{ variable: expect.stringMatching(new RegExp(`^${ENV.APPROVAL_POLICY}(\\.approvals)?$`)), message: expect.stringMatching(message) }]);
  });

  it("refuses approvals none on a protected stage, and accepts it on another", () => {
    // Act
    const problems = problemOf({ ...harnessEnv("t"), [ENV.PROTECTED_STAGE]: "true" });
    const open = readEnv(harnessEnv("t"));

    // Assess
    expect(problems).toEqual([{ variable: ENV.APPROVAL_POLICY, message: expect.stringContaining(`on a protected stage (${ENV.PROTECTED_STAGE}=true)`) }]);
    expect(open).toMatchObject({ approvalPolicy: '{"approvals":"none"}', deploymentId: "payrox-test", protectedStage: false });
    expect(readEnv({ ...harnessEnv("t"), [ENV.PROTECTED_STAGE]: "true", [ENV.APPROVAL_POLICY]: policyOf() }).protectedStage).toBe(true);
  });

  it("requires the deployment id and a true/false protected flag", () => {
    // Act
    const problems = problemOf({ ...harnessEnv("t"), [ENV.DEPLOYMENT_ID]: undefined, [ENV.PROTECTED_STAGE]: "yes" });

    // Assess
    expect(problems.map((p) => p.variable).sort()).toEqual([ENV.DEPLOYMENT_ID, ENV.PROTECTED_STAGE].sort());
  });
  it("takes the approval-stale age in seconds (60 s – 30 days) into the use cases' options", async () => {
    // Prepare
    const { buildDeps } = await import("../src/composition.js");

    // Act
    const env = readEnv({ ...harnessEnv("t"), [ENV.APPROVAL_STALE_AFTER_SECONDS]: "7200" });
    const problems = ["59", "2592001", "1.5", "soon"].map((value) => problemOf({ ...harnessEnv("t"), [ENV.APPROVAL_STALE_AFTER_SECONDS]: value }));

    // Assess
    expect(env.approvalStaleAfterMs).toBe(7_200_000);
    expect(buildDeps(env).options?.approvalStaleAfterMs).toBe(7_200_000);
    expect(readEnv(harnessEnv("t")).approvalStaleAfterMs).toBeUndefined();
    for (const p of problems) expect(p).toEqual([{ variable: ENV.APPROVAL_STALE_AFTER_SECONDS, message: expect.any(String) }]);
  });
});

describe("a deployment whose policy can't be used", () => {
  it("answers 500 approval-policy-invalid on every route when the policy is missing, writing nothing", async () => {
    // Prepare: the container's deps are built per request, as containerDeps does on the first one.
    const table = await freshTable();
    const { createApiHandler } = await import("../src/api.js");
    const handler = createApiHandler(() => buildDeps(readEnv({ ...harnessEnv(table), [ENV.APPROVAL_POLICY]: undefined }), { dynamoClient: db.client }));
    const before = await tableSnapshot(db.client, table);

    // Act
    const responses = await Promise.all(["/proposals", "/networks", "/policy"].map(async (path) => handler({ ...(await import("./support/api-harness.js")).apiEvent({ method: "GET", path }) })));

    // Assess
    for (const response of responses) {
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body).error).toEqual({ code: "approval-policy-invalid", message: expect.stringContaining(`${ENV.APPROVAL_POLICY} is required`) });
    }
    expect(await tableSnapshot(db.client, table)).toEqual(before);
  });

  it("refuses the governed routes with the policy's first problem and writes nothing, while the read routes answer", async () => {
    // Prepare: the outline is fine (readEnv passes), the rules are not.
    const table = await freshTable();
    const api = await apiOverTable(db.client, table, { createTable: false, env: { [ENV.APPROVAL_POLICY]: policyOf({ threshold: 3 }) }, overrides: { approvalReaders: { targets } } });
    const manifest = await counterManifest();
    const before = await tableSnapshot(db.client, table);

    // Act
    const policy = await api.call({ method: "GET", path: "/policy" });
    const proposed = await api.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: [...HARNESS_NETWORKS] }) });
    const networks = await api.call({ method: "GET", path: "/networks" });

    // Assess
    for (const refused of [policy, proposed]) {
      expect(refused.status).toBe(500);
      expect(refused.body.error).toEqual({ code: "approval-policy-invalid", message: expect.stringMatching(new RegExp(`${ENV.APPROVAL_POLICY} approval policy invalid at approvals\\.threshold: is 3 but only 2 approver`)) });
    }
    expect(networks.status).toBe(200);
    expect(await tableSnapshot(db.client, table)).toEqual(before);
  });

  it("fails every step invocation before it reads a run", async () => {
    // Prepare
    const table = await freshTable();
    const deps = buildDeps(readEnv({ ...harnessEnv(table), [ENV.APPROVAL_POLICY]: policyOf({}, [{ id: "x", address: "0x00000000000000000000000000000000000D15Ca", kind: "eoa" }]) }), { dynamoClient: db.client, scheduler: new LocalScheduler({ store: new DynamoJobStore({ client: db.client, tableName: table }) }) });
    const { createStepHandler } = await import("../src/step.js");
    const job = { name: "p.base.commit.0", step: "commit", proposalId: "p", network: "base", attempt: "0", runAtMs: 0 } as const;

    // Act
    const attempt = createStepHandler(() => deps)(job);

    // Assess
    await expect(attempt).rejects.toThrow(EnvConfigError);
    await expect(attempt).rejects.toThrow(/PAYROX_APPROVAL_POLICY approval policy invalid at approvals\.approvers\.0\.address/);
  });
});

describe("governance that can't read what it must", () => {
  it("refuses an ERC-1271 approver on a network the deployment does not configure", async () => {
    // Prepare
    const table = await freshTable();
    const approvers = [{ id: "bob", address: bob.address, kind: "eoa" }, { id: "safe", address: getAddress("0x0000000000000000000000000000000000005afe"), kind: "erc1271", network: "ethereum" }];
    const api = await apiOverTable(db.client, table, { createTable: false, env: { [ENV.APPROVAL_POLICY]: policyOf({}, approvers) } });

    // Act
    const { status, body } = await api.call({ method: "GET", path: "/policy" });

    // Assess
    expect(status).toBe(500);
    expect(body.error).toEqual({ code: "approval-policy-invalid", message: expect.stringContaining("approvals.approvers.1.network: unknown network ethereum") });
  });

  it("answers 500 governance-misconfigured, writing nothing, for a proposal to a network configured without a dispatcher", async () => {
    // Prepare: the real dispatcher reader, over the harness's networks, which name no dispatcher.
    const table = await freshTable();
    const api = await apiOverTable(db.client, table, { createTable: false, env: { [ENV.APPROVAL_POLICY]: policyOf() } });
    await api.call({ method: "GET", path: "/policy" });
    const before = await tableSnapshot(db.client, table);

    // Act
    const { status, body } = await api.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: JSON.parse(serializeManifest(await counterManifest())), networks: ["base"] }) });

    // Assess
    expect(status).toBe(500);
    expect(body.error).toMatchObject({ code: "governance-misconfigured", network: "base", message: expect.stringContaining("no provider and dispatcher are configured for it") });
    expect(await tableSnapshot(db.client, table)).toEqual(before);
  });
});

describe("an ERC-1271 approver whose network's RPC does not answer", () => {
  it("answers 503 network-unavailable with Retry-After and writes nothing", async () => {
    // Prepare: the harness configures base with an RPC URL nothing listens on.
    const table = await freshTable();
    const safe = getAddress("0x0000000000000000000000000000000000005afe");
    const approvers = [{ id: "bob", address: bob.address, kind: "eoa" }, { id: "treasury-safe", address: safe, kind: "erc1271", network: "base" }];
    const api = await apiOverTable(db.client, table, { createTable: false, env: { [ENV.APPROVAL_POLICY]: policyOf({}, approvers) }, overrides: { approvalReaders: { targets } } });
    const manifest = await counterManifest();
    const proposed = await api.call({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: JSON.parse(serializeManifest(manifest)), networks: [...HARNESS_NETWORKS] }) });
    expect(proposed.status).toBe(201);
    const before = await tableSnapshot(db.client, table);

    // Act
    const response = await api.call({ method: "POST", path: `/proposals/${proposed.body.id}/approvals`, body: JSON.stringify({ action: "Approve", nonce: 0, signature: "0x" + "11".repeat(65), approver: safe }) });

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.body.error).toMatchObject({ code: "network-unavailable", network: "base", message: expect.stringContaining(`could not read ${safe}'s isValidSignature on base`) });
    expect(await tableSnapshot(db.client, table)).toEqual(before);
  }, 30_000);
});

describe("policy changes", () => {
  it("are audited once in the operations stream, however many containers build their governance at once", async () => {
    // Prepare
    const table = await freshTable();
    const containers = (policy: string, n: number) => Array.from({ length: n }, () => buildDeps(readEnv({ ...harnessEnv(table), [ENV.APPROVAL_POLICY]: policy }), { dynamoClient: db.client }));
    const first = policyOf();
    const second = policyOf({ threshold: 2 });
    const hash = (text: string) => policyHash(loadApprovalPolicy(text, { protectedStage: false }));

    // Act
    await Promise.all(containers(first, 8).map((deps) => deps.loadGovernance!()));
    await Promise.all(containers(second, 8).map((deps) => deps.loadGovernance!()));
    await Promise.all(containers(second, 3).map((deps) => deps.loadGovernance!()));
    const entries = await containers(second, 1)[0]!.audit.list(OPERATIONS_AUDIT_STREAM);

    // Assess
    expect(entries.map((e) => [e.event, e.actor, e.details?.from, e.details?.to, e.details?.policyHash])).toEqual([
      ["policy.changed", "deployment", null, hash(first), hash(first)],
      ["policy.changed", "deployment", hash(first), hash(second), hash(second)],
    ]);
    expect(entries[1]!.details?.policy).toEqual(JSON.parse(JSON.stringify(loadApprovalPolicy(second, { protectedStage: false }))));
    expect(verifyAuditChain(entries).ok).toBe(true);
  }, 60_000);
});
