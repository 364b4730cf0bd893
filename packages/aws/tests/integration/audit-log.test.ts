import { DeleteItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { AuditChainBreak, GENESIS_HASH, verifyAuditChain, type AuditEventInput } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DynamoAuditLog, StoreInputError } from "../../src/index.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("audit-log-test");
const log = (): DynamoAuditLog => new DynamoAuditLog(db.options);

/** An audit event of `proposalId`. */
function event(proposalId: string, name: string, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return { proposalId, actor: "scheduler", event: name, network: "devnet-1", atMs: 1_800_000_000_000, ...extra };
}

/** The raw key of an audit entry, as the table stores it. */
function auditKey(proposalId: string, seq: number) {
  return { PK: { S: `PROPOSAL#${proposalId}` }, SK: { S: `AUDIT#${String(seq).padStart(10, "0")}` } };
}

describe("DynamoAuditLog", () => {
  it("starts a proposal's chain at seq 1 on the genesis hash and links the next entry to it", async () => {
    // Act
    const first = await log().append(event("p-first", "proposal.created"));
    const second = await log().append(event("p-first", "commit.sent", { txHash: `0x${"11".repeat(32)}`, gasUsed: "96171" }));

    // Assess
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(await log().list("p-first")).toEqual([first, second]);
  });

  it("keeps 20 concurrent appends: 20 entries, contiguous seqs, a chain that verifies", async () => {
    // Prepare
    const events = Array.from({ length: 20 }, (_, i) => event("p-concurrent", `apply.confirmed`, { details: { batch: i } }));

    // Act
    const appended = await Promise.all(events.map((e) => log().append(e)));

    // Assess
    const stored = await log().list("p-concurrent");
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(verifyAuditChain(stored)).toEqual({ ok: true, length: 20 });
    expect(new Set(stored.map((e) => (e.details as { batch: number }).batch)).size).toBe(20);
    expect([...appended].sort((a, b) => a.seq - b.seq)).toEqual(stored);
  });

  it("writes an entry with an idempotency key once: 10 concurrent and 3 later appends of the key return the one stored entry", async () => {
    // Prepare
    const keyed = (i: number) => event("p-keyed", "apply.confirmed", { key: "p-keyed:devnet-1:apply:0", txHash: `0x${"22".repeat(32)}`, details: { attempt: i } });
    await log().append(event("p-keyed", "proposal.created"));
    // Act: concurrent appends of the key, interleaved with unkeyed ones
    const results = await Promise.all([...Array.from({ length: 10 }, (_, i) => log().append(keyed(i))), ...Array.from({ length: 5 }, (_, i) => log().append(event("p-keyed", "note", { details: { i } })))]);
    const later = await Promise.all([1, 2, 3].map((i) => log().append(keyed(100 + i))));
    const other = await log().append({ ...keyed(0), key: "p-keyed:devnet-1:apply:1" });
    // Assess
    const stored = await log().list("p-keyed");
    const withKey = stored.filter((e) => e.key === "p-keyed:devnet-1:apply:0");
    expect(withKey).toHaveLength(1);
    for (const r of [...results.slice(0, 10), ...later]) expect(r).toEqual(withKey[0]);
    expect(stored).toHaveLength(1 + 1 + 5 + 1);
    expect(other.seq).toBe(8);
    expect(verifyAuditChain(stored)).toEqual({ ok: true, length: 8 });
  });

  it("refuses an empty idempotency key with a typed error and writes nothing", async () => {
    await expect(log().append(event("p-empty-key", "note", { key: "" }))).rejects.toBeInstanceOf(StoreInputError);
    expect(await log().list("p-empty-key")).toEqual([]);
  });

  it("round-trips nested details so the stored chain verifies", async () => {
    // Prepare
    const details = { batch: { index: 2, selectors: ["0x2baeceb7", "0xcfae3217"] }, fees: { maxFeePerGas: "30000000000" }, retried: false, note: null, skipped: undefined };

    // Act
    await log().append(event("p-details", "apply.sent", { details }));
    await log().append(event("p-details", "apply.confirmed", { network: undefined }));

    // Assess
    const stored = await log().list("p-details");
    expect(verifyAuditChain(stored)).toEqual({ ok: true, length: 2 });
    expect(stored[0]!.details).toEqual({ batch: { index: 2, selectors: ["0x2baeceb7", "0xcfae3217"] }, fees: { maxFeePerGas: "30000000000" }, retried: false, note: null });
  });

  it("reports an entry tampered with in the table at its seq", async () => {
    // Prepare
    for (let i = 0; i < 10; i++) await log().append(event("p-tamper", `event.${i}`));

    // Act
    await db.client.send(
      new UpdateItemCommand({
        TableName: db.tableName,
        Key: auditKey("p-tamper", 7),
        UpdateExpression: "SET #actor = :mallory",
        ExpressionAttributeNames: { "#actor": "actor" },
        ExpressionAttributeValues: { ":mallory": { S: "mallory" } },
      }),
    );

    // Assess
    expect(verifyAuditChain(await log().list("p-tamper"))).toMatchObject({ ok: false, brokenAt: 7, reason: AuditChainBreak.HASH_MISMATCH });
  });

  it("reports an entry deleted from the table as missing at its seq", async () => {
    // Prepare
    for (let i = 0; i < 5; i++) await log().append(event("p-delete", `event.${i}`));

    // Act
    await db.client.send(new DeleteItemCommand({ TableName: db.tableName, Key: auditKey("p-delete", 3) }));

    // Assess
    expect(verifyAuditChain(await log().list("p-delete"))).toMatchObject({ ok: false, brokenAt: 3, reason: AuditChainBreak.MISSING_ENTRY });
  });

  it("keeps one chain per proposal", async () => {
    // Act
    const a = await log().append(event("p-chain-a", "proposal.created"));
    const b = await log().append(event("p-chain-b", "proposal.created"));

    // Assess
    expect(a.seq).toBe(1);
    expect(b.seq).toBe(1);
    expect(await log().list("p-chain-a")).toEqual([a]);
    expect(await log().list("p-chain-none")).toEqual([]);
  });

  it("refuses a proposal id containing the key separator", async () => {
    await expect(log().append(event("p#1", "x"))).rejects.toBeInstanceOf(StoreInputError);
  });
});
