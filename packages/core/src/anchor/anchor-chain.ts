/**
 * Audit anchors (pure, no I/O): building the next anchor of the anchor chain, checking a stored one, and
 * checking a proposal's audit chain against every head anchored for it. A chain re-hashed end to end
 * after a rewrite still verifies on its own; it no longer holds an anchored (seq, hash), and that is
 * what {@link checkAgainstAnchors} reports.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../run/audit-chain.js";
import type { AuditEntry } from "../run/ports.js";
import { AUDIT_ANCHOR_FORMAT, AuditAnchorSchema, type AnchoredHead, type AnchoredHeadRecord, type AuditAnchor } from "./types.js";

/** `prevAnchorHash` of the first anchor: 32 zero bytes. */
export const GENESIS_ANCHOR_HASH = `0x${"00".repeat(32)}`;

/** The hash of an anchor: sha256 over the canonical JSON of every field except `hash`. */
export function hashAnchor(anchor: Omit<AuditAnchor, "hash"> | AuditAnchor): string {
  const { hash: _ignored, ...hashed } = anchor as AuditAnchor;
  return `0x${createHash("sha256").update(canonicalJson(hashed), "utf8").digest("hex")}`;
}

/** The anchor after `previous` (or the first) holding `heads` (sorted by proposal id), made at `atMs`. */
export function nextAnchor(previous: Pick<AuditAnchor, "seq" | "hash"> | undefined, heads: readonly AnchoredHead[], atMs: number): AuditAnchor {
  if (heads.length === 0) throw new RangeError("nextAnchor: an anchor holds at least one head");
  const sorted = [...heads].map(({ proposalId, seq, hash }) => ({ proposalId, seq, hash })).sort((a, b) => (a.proposalId < b.proposalId ? -1 : a.proposalId > b.proposalId ? 1 : 0));
  const unhashed = { format: AUDIT_ANCHOR_FORMAT, seq: previous ? previous.seq + 1 : 1, prevAnchorHash: previous ? previous.hash : GENESIS_ANCHOR_HASH, atMs, heads: sorted };
  return { ...unhashed, hash: hashAnchor(unhashed) };
}

/**
 * Parses a stored anchor (untrusted JSON) and checks its own hash.
 * @returns the anchor, or a sentence saying what is wrong with it
 */
export function parseAnchor(value: unknown): { ok: true; anchor: AuditAnchor } | { ok: false; problem: string } {
  const parsed = AuditAnchorSchema.safeParse(value);
  if (!parsed.success) return { ok: false, problem: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ") };
  const recomputed = hashAnchor(parsed.data);
  if (recomputed !== parsed.data.hash) return { ok: false, problem: `anchor ${parsed.data.seq} hashes to ${recomputed} but says ${parsed.data.hash}` };
  return { ok: true, anchor: parsed.data };
}

/** The records of `anchor`'s heads (what an {@link AnchorStore} returns per proposal). */
export function headRecords(anchor: AuditAnchor): AnchoredHeadRecord[] {
  return anchor.heads.map((head) => ({ ...head, anchorSeq: anchor.seq, anchorHash: anchor.hash, anchoredAtMs: anchor.atMs }));
}

/** Why a chain contradicts an anchor. */
export const AnchorBreak = {
  /** The table no longer has the anchored entry: the trail was truncated (or that entry deleted). */
  ANCHORED_ENTRY_MISSING: "anchored-entry-missing",
  /** The table's entry at the anchored seq has another hash: it, or an entry before it, was rewritten. */
  ANCHORED_ENTRY_REWRITTEN: "anchored-entry-rewritten",
} as const;
/** One of {@link AnchorBreak}. */
export type AnchorBreak = (typeof AnchorBreak)[keyof typeof AnchorBreak];

/** Result of {@link checkAgainstAnchors}. */
export type AnchorVerdict =
  | {
      ok: true;
      /** Seq of the newest anchored entry (0: never anchored yet). */
      anchoredSeq: number;
      /** The anchor that holds it, and when it was made. */
      anchorSeq?: number;
      anchoredAtMs?: number;
      /** Entries after the newest anchored one: not yet anchored (the next tick anchors them). */
      unanchored: number;
    }
  | {
      ok: false;
      proposalId: string;
      /** The anchored seq the table contradicts (the lowest one, if several do). */
      seq: number;
      anchorSeq: number;
      reason: AnchorBreak;
      /** A sentence for humans, naming the proposal, the seq and the anchor. */
      detail: string;
    };

/**
 * Checks a proposal's stored entries against every head anchored for it: each anchored (seq, hash) must
 * be an entry of the table with that hash. Since every entry hashes its predecessor, that makes the
 * anchored chain a prefix of the table's. Reports the lowest anchored seq the table contradicts.
 */
export function checkAgainstAnchors(proposalId: string, entries: readonly AuditEntry[], anchored: readonly AnchoredHeadRecord[]): AnchorVerdict {
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const heads = anchored.filter((h) => h.proposalId === proposalId).sort((a, b) => a.seq - b.seq || a.anchorSeq - b.anchorSeq);
  for (const head of heads) {
    const entry = bySeq.get(head.seq);
    const when = `anchor ${head.anchorSeq} (${new Date(head.anchoredAtMs).toISOString()})`;
    if (!entry) {
      const last = entries.length === 0 ? 0 : Math.max(...entries.map((e) => e.seq));
      return broken(head, AnchorBreak.ANCHORED_ENTRY_MISSING, `proposal ${proposalId}: entry ${head.seq} was anchored in ${when} but the table has no entry ${head.seq} (its chain ends at seq ${last}): the audit trail was truncated`);
    }
    if (entry.hash !== head.hash) {
      return broken(head, AnchorBreak.ANCHORED_ENTRY_REWRITTEN, `proposal ${proposalId}: entry ${head.seq} was anchored in ${when} with hash ${head.hash}, but the table's entry ${head.seq} has hash ${String(entry.hash)}: entry ${head.seq} or one before it was rewritten`);
    }
  }
  const newest = heads.at(-1);
  const count = entries.length;
  if (!newest) return { ok: true, anchoredSeq: 0, unanchored: count };
  return { ok: true, anchoredSeq: newest.seq, anchorSeq: newest.anchorSeq, anchoredAtMs: newest.anchoredAtMs, unanchored: entries.filter((e) => e.seq > newest.seq).length };
}

function broken(head: AnchoredHeadRecord, reason: AnchorBreak, detail: string): AnchorVerdict {
  return { ok: false, proposalId: head.proposalId, seq: head.seq, anchorSeq: head.anchorSeq, reason, detail };
}
