/**
 * What an audit anchor is: at one tick, the heads (seq, hash) of the proposals whose audit chain grew,
 * written outside the table (an S3 object under Object Lock, a devnet file) and chained to the previous
 * anchor. A head once anchored can't be unsaid: the table's chain must keep it as a prefix.
 */
import * as z from "zod";

const hash32 = z.string().regex(/^0x[0-9a-f]{64}$/, "must be a 0x-prefixed 32-byte lowercase hex hash");

/** The head of one proposal's audit chain at anchoring time. */
export const AnchoredHeadSchema = z.strictObject({
  proposalId: z.string().min(1).max(512),
  /** Seq of the newest entry (≥ 1). */
  seq: z.number().int().positive(),
  /** That entry's hash. */
  hash: hash32,
});
/** The head of one proposal's audit chain at anchoring time. */
export type AnchoredHead = z.infer<typeof AnchoredHeadSchema>;

/** Format tag of an anchor document. */
export const AUDIT_ANCHOR_FORMAT = "payrox-audit-anchor/1" as const;

/** One anchor, as stored (validate anything read back with {@link AuditAnchorSchema}: storage is outside PayRox). */
export const AuditAnchorSchema = z.strictObject({
  format: z.literal(AUDIT_ANCHOR_FORMAT),
  /** 1 for the first anchor, then +1 per anchor. */
  seq: z.number().int().positive(),
  /** Hash of anchor `seq - 1` ({@link GENESIS_ANCHOR_HASH} for the first). */
  prevAnchorHash: hash32,
  /** When it was made (unix ms). */
  atMs: z.number().int().nonnegative(),
  /** The heads that changed since the previous anchor, sorted by proposal id; never empty. */
  heads: z.array(AnchoredHeadSchema).min(1),
  /** sha256 over the canonical JSON of every other field. */
  hash: hash32,
});
/** One anchor, as stored. */
export type AuditAnchor = z.infer<typeof AuditAnchorSchema>;

/** A head together with the anchor that holds it: what `audit --verify` checks a chain against. */
export interface AnchoredHeadRecord extends AnchoredHead {
  anchorSeq: number;
  anchorHash: string;
  /** The anchor's time (unix ms). */
  anchoredAtMs: number;
}
