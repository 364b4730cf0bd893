import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AuditChainBreak, canonicalJson, chainEntry, GENESIS_HASH, hashAuditEntry, verifyAuditChain, type AuditEntry, type AuditEventInput } from "../../src/index.js";

/** A chain of `n` events of one proposal. */
function buildChain(n: number, proposalId = "p-1"): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    const input: AuditEventInput = { proposalId, actor: "scheduler", event: `event.${i}`, network: "devnet-1", atMs: 1_700_000_000_000 + i, details: { batch: i } };
    entries.push(chainEntry(input, entries.at(-1)));
  }
  return entries;
}

const jsonValue = fc.jsonValue().filter((v) => v !== undefined);

const eventInput: fc.Arbitrary<AuditEventInput> = fc.record(
  {
    proposalId: fc.constant("p-prop"),
    actor: fc.string(),
    event: fc.string(),
    network: fc.string(),
    txHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
    gasUsed: fc.bigInt({ min: 0n, max: 30_000_000n }).map(String),
    details: fc.dictionary(fc.string(), jsonValue),
    atMs: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ["proposalId", "actor", "event", "atMs"] },
);

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined members", () => {
    // Act
    const text = canonicalJson({ b: 1, a: { d: [1, undefined, { z: 1, y: 2 }], c: undefined } });

    // Assess
    expect(text).toBe('{"a":{"d":[1,null,{"y":2,"z":1}]},"b":1}');
  });

  it("throws on values JSON cannot carry", () => {
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
  });

  it("is independent of key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), jsonValue), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
    );
  });
});

describe("chainEntry", () => {
  it("starts at seq 1 on the genesis hash and links each entry to the previous one", () => {
    // Act
    const [first, second] = buildChain(2);

    // Assess
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first!.hash });
    expect(first!.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(hashAuditEntry(second!)).toBe(second!.hash);
  });

  it("normalises the input to plain JSON so a store round-trip keeps the hash", () => {
    // Act
    const entry = chainEntry({ proposalId: "p", actor: "a", event: "e", atMs: 1, network: undefined, details: { list: [1, undefined], when: new Date(0) } });

    // Assess
    expect("network" in entry).toBe(false);
    expect(entry.details).toEqual({ list: [1, null], when: "1970-01-01T00:00:00.000Z" });
    expect(verifyAuditChain([JSON.parse(JSON.stringify(entry)) as AuditEntry])).toEqual({ ok: true, length: 1 });
  });

  it("refuses a previous entry of another proposal", () => {
    const [first] = buildChain(1, "p-a");
    expect(() => chainEntry({ proposalId: "p-b", actor: "a", event: "e", atMs: 1 }, first)).toThrow(RangeError);
  });
});

describe("verifyAuditChain", () => {
  it("accepts an intact chain and an empty one", () => {
    expect(verifyAuditChain(buildChain(5))).toEqual({ ok: true, length: 5 });
    expect(verifyAuditChain([])).toEqual({ ok: true, length: 0 });
  });

  it("reports a missing entry at its seq", () => {
    // Prepare
    const chain = buildChain(5);

    // Act
    const verdict = verifyAuditChain([...chain.slice(0, 2), ...chain.slice(3)]);

    // Assess
    expect(verdict).toMatchObject({ ok: false, brokenAt: 3, reason: AuditChainBreak.MISSING_ENTRY });
  });

  it("reports reordered entries where the order first breaks", () => {
    // Prepare
    const chain = buildChain(4);

    // Act
    const verdict = verifyAuditChain([chain[0]!, chain[2]!, chain[1]!, chain[3]!]);

    // Assess
    expect(verdict).toMatchObject({ ok: false, brokenAt: 2, reason: AuditChainBreak.OUT_OF_ORDER });
  });

  it("reports an entry that was rewritten with a recomputed hash at the next entry, whose link breaks", () => {
    // Prepare
    const chain = buildChain(4);
    const forged = { ...chain[1]!, actor: "mallory" };
    chain[1] = { ...forged, hash: hashAuditEntry(forged) };

    // Act
    const verdict = verifyAuditChain(chain);

    // Assess
    expect(verdict).toMatchObject({ ok: false, brokenAt: 3, reason: AuditChainBreak.PREV_HASH_MISMATCH });
  });

  it("reports a spliced entry of another proposal", () => {
    // Prepare
    const chain = buildChain(3, "p-a");
    const foreign = buildChain(3, "p-b");

    // Act
    const verdict = verifyAuditChain([chain[0]!, foreign[1]!, chain[2]!]);

    // Assess
    expect(verdict).toMatchObject({ ok: false, brokenAt: 2, reason: AuditChainBreak.FOREIGN_ENTRY });
  });

  it("detects any change of any field of any entry at that entry", () => {
    fc.assert(
      fc.property(
        fc.array(eventInput, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.constantFrom<keyof AuditEntry>("proposalId", "actor", "event", "network", "txHash", "gasUsed", "details", "atMs", "seq", "prevHash", "hash"),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.dictionary(fc.string(), jsonValue)),
        (inputs, pick, field, replacement) => {
          // Prepare
          const chain: AuditEntry[] = [];
          for (const input of inputs) chain.push(chainEntry(input, chain.at(-1)));
          const index = pick % chain.length;
          const tampered = { ...chain[index]!, [field]: replacement } as AuditEntry;
          fc.pre(canonicalJson(tampered) !== canonicalJson(chain[index]!));
          chain[index] = tampered;

          // Act
          const verdict = verifyAuditChain(chain);

          // Assess
          expect(verdict.ok).toBe(false);
          expect(verdict.ok === false && verdict.brokenAt).toBe(index + 1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("detects a field added to a stored entry", () => {
    // Prepare
    const chain = buildChain(3);
    chain[2] = { ...chain[2]!, extra: "injected" } as AuditEntry;

    // Act
    const verdict = verifyAuditChain(chain);

    // Assess
    expect(verdict).toMatchObject({ ok: false, brokenAt: 3, reason: AuditChainBreak.HASH_MISMATCH });
  });
});
