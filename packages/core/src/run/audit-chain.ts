/**
 * The audit trail's hash chain (pure, no I/O): each entry of a proposal carries the hash of the previous
 * one, so changing, removing, inserting or reordering any stored entry is detected by recomputing the
 * chain. Adapters (DynamoDB, …) store entries built by {@link chainEntry} and verify with
 * {@link verifyAuditChain}.
 *
 * What a chain alone cannot show: the loss of its newest entries (truncation). Anchor the head
 * elsewhere (an event, a metric, the run record) when that matters.
 */
import { createHash } from "node:crypto";
import type { AuditEntry, AuditEventInput } from "./ports.js";

/** `prevHash` of the first entry (seq 1) of every proposal: 32 zero bytes. */
export const GENESIS_HASH = `0x${"00".repeat(32)}`;

/**
 * Canonical JSON of a JSON-like value: object keys sorted, `undefined` members dropped (inside arrays
 * they become `null`, as in `JSON.stringify`), objects with `toJSON` serialised through it.
 * @throws TypeError on values JSON cannot carry (bigint, functions, symbols, NaN, ±Infinity).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("canonicalJson: the value itself is undefined");
  return text;
}

function canonicalize(value: unknown): string | undefined {
  if (value === null) return "null";
  if (value !== undefined && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return canonicalize((value as { toJSON(): unknown }).toJSON());
  }
  switch (typeof value) {
    case "undefined":
      return undefined;
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalize(item) ?? "null").join(",")}]`;
      const members: string[] = [];
      for (const key of Object.keys(value as object).sort()) {
        const member = canonicalize((value as Record<string, unknown>)[key]);
        if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
      }
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
}

/** The hash of an entry: sha256 over the canonical JSON of every field except `hash`, hex with `0x`. */
export function hashAuditEntry(entry: Omit<AuditEntry, "hash"> | AuditEntry): string {
  const { hash: _ignored, ...hashed } = entry as AuditEntry;
  return `0x${createHash("sha256").update(canonicalJson(hashed), "utf8").digest("hex")}`;
}

/**
 * Builds the entry that follows `previous` (or the first entry, seq 1, when there is none): seq + 1,
 * `prevHash` = previous hash, and its own hash. The input is normalised to plain JSON data first, so
 * what a store round-trips is exactly what was hashed.
 */
export function chainEntry(input: AuditEventInput, previous?: Pick<AuditEntry, "seq" | "hash" | "proposalId">): AuditEntry {
  if (previous && previous.proposalId !== input.proposalId) {
    throw new RangeError(`chainEntry: previous entry belongs to proposal ${previous.proposalId}, not ${input.proposalId}`);
  }
  const data = JSON.parse(canonicalJson(input)) as AuditEventInput;
  const unhashed = { ...data, seq: previous ? previous.seq + 1 : 1, prevHash: previous ? previous.hash : GENESIS_HASH };
  return { ...unhashed, hash: hashAuditEntry(unhashed) };
}

/** Why a chain is broken at an entry. */
export const AuditChainBreak = {
  /** The entry with the expected seq is absent (a gap, or the chain ends before it). */
  MISSING_ENTRY: "missing-entry",
  /** The expected seq appears later, or an entry repeats or goes back: entries are out of order. */
  OUT_OF_ORDER: "out-of-order",
  /** The entry belongs to another proposal than the first entry. */
  FOREIGN_ENTRY: "foreign-entry",
  /** `prevHash` is not the previous entry's hash (or not {@link GENESIS_HASH} for seq 1). */
  PREV_HASH_MISMATCH: "prev-hash-mismatch",
  /** The stored hash does not match the entry's fields: a field was changed after hashing. */
  HASH_MISMATCH: "hash-mismatch",
} as const;
/** One of {@link AuditChainBreak}. */
export type AuditChainBreak = (typeof AuditChainBreak)[keyof typeof AuditChainBreak];

/** Result of {@link verifyAuditChain}. */
export type AuditChainVerdict =
  | { ok: true; length: number }
  | {
      ok: false;
      /** The seq of the first entry that does not link: the position (1-based) where the chain breaks. */
      brokenAt: number;
      reason: AuditChainBreak;
      /** A sentence for humans. */
      detail: string;
    };

/**
 * Recomputes a proposal's chain, entries in the given order (seq 1 first), and reports the first broken
 * link: a missing or out-of-order seq, an entry of another proposal, a wrong `prevHash`, or a hash that
 * no longer matches the entry's fields. An empty list is a valid chain of length 0.
 */
export function verifyAuditChain(entries: readonly AuditEntry[]): AuditChainVerdict {
  let previousHash = GENESIS_HASH;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const expectedSeq = i + 1;
    const broken = (reason: AuditChainBreak, detail: string): AuditChainVerdict => ({ ok: false, brokenAt: expectedSeq, reason, detail });
    if (entry.seq !== expectedSeq) {
      const later = entries.slice(i + 1).some((e) => e.seq === expectedSeq);
      const gap = !later && Number.isInteger(entry.seq) && entry.seq > expectedSeq;
      return gap
        ? broken(AuditChainBreak.MISSING_ENTRY, `entry ${expectedSeq} is missing (found seq ${show(entry.seq)} at its place)`)
        : broken(AuditChainBreak.OUT_OF_ORDER, `found seq ${show(entry.seq)} where seq ${expectedSeq} belongs`);
    }
    if (entry.proposalId !== entries[0]!.proposalId) {
      return broken(AuditChainBreak.FOREIGN_ENTRY, `entry ${expectedSeq} belongs to proposal ${show(entry.proposalId)}, not ${show(entries[0]!.proposalId)}`);
    }
    let recomputed: string;
    try {
      recomputed = hashAuditEntry(entry);
    } catch (error) {
      return broken(AuditChainBreak.HASH_MISMATCH, `entry ${expectedSeq} cannot be hashed: ${(error as Error).message}`);
    }
    if (recomputed !== entry.hash) {
      return broken(AuditChainBreak.HASH_MISMATCH, `entry ${expectedSeq} hashes to ${recomputed}, but stores ${show(entry.hash)}: a field was changed`);
    }
    if (entry.prevHash !== previousHash) {
      return broken(AuditChainBreak.PREV_HASH_MISMATCH, `entry ${expectedSeq} links to ${show(entry.prevHash)}, but the previous hash is ${previousHash}`);
    }
    previousHash = entry.hash;
  }
  return { ok: true, length: entries.length };
}

/** A stored (possibly tampered, so untrusted) field, printable whatever it holds. */
function show(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return canonicalJson(value);
  } catch {
    return `<${typeof value}>`;
  }
}
