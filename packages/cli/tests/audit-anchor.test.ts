/**
 * Audit anchoring end to end on the real DynamoDB Local: the anchorer writes the heads outside the table
 * (the devnet's file store, and S3 through the local S3 server), then the table is tampered with directly
 * — an entry rewritten and the whole chain re-hashed so it verifies on its own, or the tail deleted — and
 * `payrox audit --verify`, through the API, refuses it naming the proposal and the seq.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { createTable, DynamoAuditLog, DynamoRunStore, ItemType } from "@payrox/aws";
import { createAnchorBucketClient, S3AnchorStore } from "@payrox/aws/anchor";
import { startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { anchorAuditHeads, chainEntry, verifyAuditChain, type Alert, type AnchorStore, type AuditEntry } from "@payrox/core";
import { FileAnchorStore, startLocalApi, startS3Server, type LocalApi, type S3Server } from "@payrox/devnet";
import { buildDeps, createApiHandler, ENV, readEnv } from "@payrox/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/run.js";

const T0 = 1_800_000_000_000;
/** The table key of an audit entry (packages/aws/src/dynamo/keys.ts), as a tamperer would write it. */
const auditKey = (proposalId: string, seq: number) => ({ PK: `PROPOSAL#${proposalId}`, SK: `AUDIT#${String(seq).padStart(10, "0")}` });
let dynamo: DynamoDbLocal;
let s3: S3Server;
let dir: string;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  s3 = await startS3Server({ buckets: { "payrox-test-anchors": { defaultRetention: { mode: "COMPLIANCE", days: 1 } } } });
  dir = mkdtempSync(join(tmpdir(), "payrox-anchor-"));
});
afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A table with one proposal of `entries` audit entries, an API over it, and the anchor store. */
async function setup(anchors: AnchorStore, entries: number) {
  const tableName = `anchor-${++tables}`;
  await createTable(dynamo.client, tableName);
  const env = readEnv({
    [ENV.TABLE_NAME]: tableName,
    [ENV.SCHEDULER_GROUP]: "payrox",
    [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
    [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
    [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
    [ENV.EVENT_BUS_NAME]: "payrox",
    [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
    [ENV.DEPLOYMENT_ID]: "payrox-test",
  });
  const alerts: Alert[] = [];
  let now = T0;
  const clock = { now: () => now };
  const deps = buildDeps(env, { dynamoClient: dynamo.client, anchors, clock, scheduler: { schedule: async () => {}, cancel: async () => {} }, alerts: { raise: async (a) => void alerts.push(a) } });
  const store = new DynamoRunStore({ client: dynamo.client, tableName, clock });
  const audit = new DynamoAuditLog({ client: dynamo.client, tableName });
  const id = "prop-1";
  await store.createProposal({ id, manifestJson: "{}", root: `0x${"ab".repeat(32)}`, name: "upgrade", networks: ["devnet-1"], createdAtMs: T0, proposer: "alice" }, []);
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) await audit.append({ proposalId: id, actor: "scheduler", event: `step.${i}`, network: "devnet-1", details: { gas: 100 + i }, atMs: (now += 1_000) });
  };
  await append(entries);
  const api: LocalApi = await startLocalApi({ handler: createApiHandler(() => deps) });
  const tick = () => anchorAuditHeads({ store, audit, anchors, clock: { now: () => (now += 60_000) }, alerts: deps.alerts });
  const verify = async () => {
    const out: string[] = [];
    const code = await run(["audit", id, "--verify", "--api", api.url], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), cwd: dir });
    return { code, output: out.join("") };
  };
  return { id, tableName, audit, append, tick, verify, alerts, api };
}

/** Rewrites entry `seq`'s details and re-hashes every later entry, writing them straight into the table. */
async function rewriteAndRehash(client: DynamoDBClient, tableName: string, chain: AuditEntry[], seq: number): Promise<AuditEntry[]> {
  const forged: AuditEntry[] = chain.slice(0, seq - 1);
  for (const entry of chain.slice(seq - 1)) {
    const { seq: _s, prevHash: _p, hash: _h, ...input } = entry;
    const rewritten = entry.seq === seq ? { ...input, details: { gas: 1 } } : input;
    forged.push(chainEntry(rewritten, forged.at(-1)));
  }
  for (const entry of forged.slice(seq - 1)) {
    await client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ ...auditKey(entry.proposalId, entry.seq), type: ItemType.AUDIT, ...entry }, { removeUndefinedValues: true }) }));
  }
  return forged;
}

describe.each([
  ["the devnet's file store", () => new FileAnchorStore(join(dir, `anchors-${tables + 1}.jsonl`))],
  ["S3 under Object Lock (local S3 server)", () => new S3AnchorStore({ client: createAnchorBucketClient({ endpoint: s3.url, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } }), bucket: "payrox-test-anchors", prefix: `t${tables + 1}/` })],
])("audit --verify against anchors in %s", (_name, makeStore) => {
  it("passes a chain that holds its anchored head and reports later entries as not yet anchored", async () => {
    // Prepare
    const t = await setup(makeStore(), 4);
    const first = await t.tick();
    await t.append(2);

    // Act
    const verdict = await t.verify();
    const second = await t.tick();
    const again = await t.tick();

    // Assess
    expect(first.anchor?.heads).toEqual([{ proposalId: t.id, seq: 4, hash: expect.stringMatching(/^0x/) }]);
    expect(verdict.code).toBe(0);
    expect(verdict.output).toMatch(/anchored through entry 4 \(anchor 1, .*\); 2 later entries not yet anchored/);
    expect(second.anchor?.seq).toBe(2);
    expect(again.anchor).toBeUndefined();
    await t.api.stop();
  });

  it("refuses a rewritten entry even when the deployer re-hashed the whole chain", async () => {
    // Prepare
    const t = await setup(makeStore(), 5);
    await t.tick();
    const chain = await t.audit.list(t.id);

    // Act
    const forged = await rewriteAndRehash(dynamo.client, t.tableName, chain, 2);
    const verdict = await t.verify();
    const tick = await t.tick();

    // Assess: the chain alone verifies; the anchor does not hold
    expect(verifyAuditChain(await t.audit.list(t.id))).toEqual({ ok: true, length: 5 });
    expect(forged.at(-1)!.hash).not.toBe(chain.at(-1)!.hash);
    expect(verdict.code).toBe(1);
    expect(verdict.output).toMatch(new RegExp(`audit trail of ${t.id} contradicts its anchor at entry 5 \\(anchor 1\\).*rewritten`));
    expect(tick.tampered.map((x) => [x.proposalId, x.anchored.seq, x.stored?.seq])).toEqual([[t.id, 5, 5]]);
    expect(t.alerts.map((a) => [a.type, a.severity, a.proposalId])).toEqual([["audit-tampered", "critical", t.id]]);
    await t.api.stop();
  });

  it("refuses a trail truncated below its anchored seq", async () => {
    // Prepare
    const t = await setup(makeStore(), 6);
    await t.tick();

    // Act
    for (const seq of [5, 6]) await dynamo.client.send(new DeleteItemCommand({ TableName: t.tableName, Key: marshall(auditKey(t.id, seq)) }));
    const verdict = await t.verify();

    // Assess
    expect(verifyAuditChain(await t.audit.list(t.id))).toEqual({ ok: true, length: 4 });
    expect(verdict.code).toBe(1);
    expect(verdict.output).toMatch(new RegExp(`${t.id}: entry 6 was anchored in anchor 1 .* but the table has no entry 6 \\(its chain ends at seq 4\\): the audit trail was truncated`));
    await t.api.stop();
  });
});

describe.each([
  ["the devnet's file store, its path not a readable file", () => {
    const path = join(dir, `unreadable-${tables + 1}.jsonl`);
    mkdirSync(path);
    return new FileAnchorStore(path);
  }],
  ["S3, its bucket gone", () => new S3AnchorStore({ client: createAnchorBucketClient({ endpoint: s3.url, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } }), bucket: "payrox-no-such-bucket", prefix: "x/" })],
])("audit --verify when the anchor store can't be read: %s", (_name, makeStore) => {
  it("fails (exit 1) saying the trail can't be checked against its anchors, not an internal error", async () => {
    // Prepare
    const t = await setup(makeStore(), 3);

    // Act
    const verdict = await t.verify();
    const plain = await run(["audit", t.id, "--api", t.api.url, "--json"], { stdout: () => undefined, stderr: () => undefined, cwd: dir });

    // Assess: the chain's own check still answers; the anchor check is reported as not done
    expect(verdict.code).toBe(1);
    expect(verdict.output).toMatch(new RegExp(`audit trail of ${t.id} can't be checked against its anchors: the anchor store could not be read`));
    expect(verdict.output).not.toMatch(/internal error/);
    expect(plain).toBe(0);
    await t.api.stop();
  });
});
