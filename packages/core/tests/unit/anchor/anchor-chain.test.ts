import { describe, expect, it } from "vitest";
import { anchorAuditHeads, chainEntry, checkAgainstAnchors, GENESIS_ANCHOR_HASH, hashAnchor, headRecords, nextAnchor, parseAnchor, type Alert, type AnchoredHeadRecord, type AnchorStore, type AuditAnchor, type AuditEntry } from "../../../src/index.js";
import { InMemoryAuditLog } from "../../support/in-memory-ports.js";

const T0 = 1_800_000_000_000;

/** A proposal's chain of `n` entries. */
function chainOf(proposalId: string, n: number, gas = 0): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < n; i++) entries.push(chainEntry({ proposalId, actor: "scheduler", event: `e${i}`, details: { gas: gas + i }, atMs: T0 + i }, entries.at(-1)));
  return entries;
}

/** An anchor store in an array (the real ones: S3AnchorStore, FileAnchorStore). */
class ArrayAnchorStore implements AnchorStore {
  readonly anchors: AuditAnchor[] = [];
  async latest() {
    return this.anchors.at(-1);
  }
  async put(anchor: AuditAnchor) {
    this.anchors.push(anchor);
  }
  async headsOf(proposalId: string): Promise<AnchoredHeadRecord[]> {
    return this.anchors.flatMap(headRecords).filter((r) => r.proposalId === proposalId);
  }
}

describe("nextAnchor / parseAnchor", () => {
  it("chains each anchor to the previous one and sorts its heads", () => {
    // Act
    const first = nextAnchor(undefined, [{ proposalId: "b", seq: 1, hash: `0x${"11".repeat(32)}` }, { proposalId: "a", seq: 2, hash: `0x${"22".repeat(32)}` }], T0);
    const second = nextAnchor(first, [{ proposalId: "a", seq: 3, hash: `0x${"33".repeat(32)}` }], T0 + 1);

    // Assess
    expect(first.seq).toBe(1);
    expect(first.prevAnchorHash).toBe(GENESIS_ANCHOR_HASH);
    expect(first.heads.map((h) => h.proposalId)).toEqual(["a", "b"]);
    expect(second).toMatchObject({ seq: 2, prevAnchorHash: first.hash, hash: hashAnchor(second) });
    expect(parseAnchor(JSON.parse(JSON.stringify(second)))).toEqual({ ok: true, anchor: second });
  });

  it("rejects a stored anchor whose heads were edited after hashing", () => {
    // Prepare
    const anchor = nextAnchor(undefined, [{ proposalId: "a", seq: 2, hash: `0x${"22".repeat(32)}` }], T0);

    // Act
    const parsed = parseAnchor({ ...anchor, heads: [{ proposalId: "a", seq: 1, hash: `0x${"22".repeat(32)}` }] });

    // Assess
    expect(parsed).toEqual({ ok: false, problem: expect.stringMatching(/^anchor 1 hashes to 0x[0-9a-f]{64} but says/) });
    expect(parseAnchor({ ...anchor, format: "other" }).ok).toBe(false);
  });
});

describe("checkAgainstAnchors", () => {
  it("accepts a chain that extends its anchored heads and counts the entries after the last", () => {
    // Prepare
    const chain = chainOf("p", 7);
    const anchors = [nextAnchor(undefined, [{ proposalId: "p", seq: 3, hash: chain[2]!.hash }], T0)];
    anchors.push(nextAnchor(anchors[0], [{ proposalId: "p", seq: 5, hash: chain[4]!.hash }], T0 + 1));

    // Act
    const verdict = checkAgainstAnchors("p", chain, anchors.flatMap(headRecords));

    // Assess
    expect(verdict).toEqual({ ok: true, anchoredSeq: 5, anchorSeq: 2, anchoredAtMs: T0 + 1, unanchored: 2 });
  });

  it("names the lowest anchored seq a re-hashed rewrite contradicts", () => {
    // Prepare: anchored at 3 and 5, then entry 2 rewritten and everything after re-hashed
    const chain = chainOf("p", 6);
    const heads = [nextAnchor(undefined, [{ proposalId: "p", seq: 3, hash: chain[2]!.hash }], T0), nextAnchor(undefined, [{ proposalId: "p", seq: 5, hash: chain[4]!.hash }], T0)].flatMap(headRecords);
    const forged = [chain[0]!];
    for (const entry of chain.slice(1)) {
      const { seq: _s, prevHash: _p, hash: _h, ...input } = entry;
      forged.push(chainEntry(entry.seq === 2 ? { ...input, details: { gas: 999 } } : input, forged.at(-1)));
    }

    // Act
    const verdict = checkAgainstAnchors("p", forged, heads);

    // Assess
    expect(verdict).toMatchObject({ ok: false, proposalId: "p", seq: 3, reason: "anchored-entry-rewritten" });
  });

  it("reports a chain truncated below an anchored seq", () => {
    // Prepare
    const chain = chainOf("p", 6);
    const heads = headRecords(nextAnchor(undefined, [{ proposalId: "p", seq: 6, hash: chain[5]!.hash }], T0));

    // Act
    const verdict = checkAgainstAnchors("p", chain.slice(0, 4), heads);

    // Assess
    expect(verdict).toMatchObject({ ok: false, seq: 6, anchorSeq: 1, reason: "anchored-entry-missing", detail: expect.stringMatching(/its chain ends at seq 4/) });
  });

  it("accepts a chain never anchored, every entry not yet anchored", () => {
    expect(checkAgainstAnchors("p", chainOf("p", 2), [])).toEqual({ ok: true, anchoredSeq: 0, unanchored: 2 });
  });
});

describe("anchorAuditHeads", () => {
  const proposals = (ids: string[]) => ({ listProposals: async () => ({ proposals: ids.map((id) => ({ id }) as never) }) });

  it("writes one anchor when a head moved, none when nothing did", async () => {
    // Prepare
    const audit = new InMemoryAuditLog();
    for (const id of ["p1", "p2"]) for (let i = 0; i < 2; i++) await audit.append({ proposalId: id, actor: "a", event: "e", atMs: T0 });
    const anchors = new ArrayAnchorStore();
    const deps = { store: proposals(["p1", "p2", "p3"]), audit, anchors, clock: { now: () => T0 } };

    // Act
    const first = await anchorAuditHeads(deps);
    const idle = await anchorAuditHeads(deps);
    await audit.append({ proposalId: "p2", actor: "a", event: "e", atMs: T0 });
    const moved = await anchorAuditHeads(deps);

    // Assess
    expect(first.anchor?.heads.map((h) => [h.proposalId, h.seq])).toEqual([["p1", 2], ["p2", 2]]);
    expect(idle.anchor).toBeUndefined();
    expect(moved.anchor).toMatchObject({ seq: 2, prevAnchorHash: first.anchor!.hash });
    expect(moved.anchor?.heads.map((h) => [h.proposalId, h.seq])).toEqual([["p1", 2], ["p2", 3]]);
  });

  it("keeps the anchored head and raises audit-tampered when the stored head went back", async () => {
    // Prepare
    const audit = new InMemoryAuditLog();
    for (let i = 0; i < 3; i++) await audit.append({ proposalId: "p1", actor: "a", event: "e", atMs: T0 });
    const anchors = new ArrayAnchorStore();
    const alerts: Alert[] = [];
    const deps = { store: proposals(["p1"]), audit, anchors, clock: { now: () => T0 }, alerts: { raise: async (a: Alert) => void alerts.push(a) } };
    const first = await anchorAuditHeads(deps);
    audit.entries.get("p1")!.pop();

    // Act
    const after = await anchorAuditHeads(deps);

    // Assess
    expect(after.anchor).toBeUndefined();
    expect(after.tampered).toEqual([{ proposalId: "p1", anchored: first.anchor!.heads[0], stored: { proposalId: "p1", seq: 2, hash: expect.any(String) } }]);
    expect(alerts.map((a) => [a.type, a.severity, a.dedupeKey])).toEqual([["audit-tampered", "critical", "audit-tampered:p1:3"]]);
  });

  it("raises audit-tampered and keeps the anchored head when entries up to it were rewritten and the chain has grown since", async () => {
    // Prepare: 3 entries anchored; then entry 2 rewritten, the chain re-hashed from there and extended to 5
    const audit = new InMemoryAuditLog();
    for (let i = 0; i < 3; i++) await audit.append({ proposalId: "p1", actor: "a", event: "e", atMs: T0 });
    const anchors = new ArrayAnchorStore();
    const alerts: Alert[] = [];
    const deps = { store: proposals(["p1"]), audit, anchors, clock: { now: () => T0 }, alerts: { raise: async (a: Alert) => void alerts.push(a) } };
    const first = await anchorAuditHeads(deps);
    const stored = audit.entries.get("p1")!;
    const forged: AuditEntry[] = [stored[0]!];
    for (let i = 1; i < 5; i++) forged.push(chainEntry({ proposalId: "p1", actor: "a", event: i === 1 ? "forged" : "e", atMs: T0 }, forged.at(-1)));
    stored.splice(0, stored.length, ...forged);

    // Act
    const after = await anchorAuditHeads(deps);

    // Assess: nothing anchored over the forged chain; the tamper is alerted once per anchored entry
    expect(after.anchor).toBeUndefined();
    expect(after.tampered).toEqual([{ proposalId: "p1", anchored: first.anchor!.heads[0], stored: { proposalId: "p1", seq: 5, hash: forged[4]!.hash } }]);
    expect(alerts.map((a) => [a.type, a.severity, a.dedupeKey])).toEqual([["audit-tampered", "critical", "audit-tampered:p1:3"]]);
    expect(alerts[0]!.message).toContain("entry 3");
    expect(checkAgainstAnchors("p1", forged, await anchors.headsOf("p1"))).toMatchObject({ ok: false, seq: 3 });
  });

  it("anchors a grown head when the anchored entry still holds its hash", async () => {
    // Prepare
    const audit = new InMemoryAuditLog();
    for (let i = 0; i < 3; i++) await audit.append({ proposalId: "p1", actor: "a", event: "e", atMs: T0 });
    const anchors = new ArrayAnchorStore();
    const alerts: Alert[] = [];
    const deps = { store: proposals(["p1"]), audit, anchors, clock: { now: () => T0 }, alerts: { raise: async (a: Alert) => void alerts.push(a) } };
    await anchorAuditHeads(deps);
    await audit.append({ proposalId: "p1", actor: "a", event: "e", atMs: T0 });

    // Act
    const after = await anchorAuditHeads(deps);

    // Assess
    expect(after.tampered).toEqual([]);
    expect(after.anchor?.heads.map((h) => [h.proposalId, h.seq])).toEqual([["p1", 4]]);
    expect(alerts).toEqual([]);
  });
});
