/**
 * Signer key rotation, the domain part: the audit stream rotations are recorded in, the retired signers
 * read back from it, and when an old signer is quiet enough to lose its roles. A rotation is audited like
 * any privileged action, in the `operations` stream (not a proposal's), which is anchored with the rest.
 */
import * as z from "zod";
import type { AuditEntry } from "../run/ports.js";

/** The audit stream (an id in the proposals' id space that no UUID can take) of operations on the deployment itself. */
export const OPERATIONS_AUDIT_STREAM = "operations";

/** Audit events of a rotation, in order. */
export const SignerRotationEvent = {
  STARTED: "signer.rotation-started",
  /** One per role granted to the new signer (with its transaction). */
  GRANTED: "signer.role-granted",
  /** The configuration now names the new key: new steps sign with it. */
  SWITCHED: "signer.switched",
  /** One per role revoked from the old signer (with its transaction). */
  REVOKED: "signer.role-revoked",
  /** The rotation finished: the old signer holds no role. */
  RETIRED: "signer.retired",
  /** A step signed by a retired signer was refused on chain (recorded on the proposal). */
  REFUSED: "signer.refused",
} as const;

/** Details of every rotation entry. */
export const SignerRotationDetailsSchema = z.object({
  network: z.string().min(1),
  /** The old signer's address. */
  from: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  /** The new signer's address. */
  to: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  fromKeyId: z.string().min(1),
  toKeyId: z.string().min(1),
  role: z.string().optional(),
});
/** Details of every rotation entry. */
export type SignerRotationDetails = z.infer<typeof SignerRotationDetailsSchema>;

/** A signer a rotation retired on a network. */
export interface RetiredSigner {
  network: string;
  address: string;
  keyId: string;
  /** Who replaced it. */
  replacedBy: string;
  retiredAtMs: number;
}

/**
 * The signers retired so far (a `signer.retired` entry, or any role revoked), from the operations
 * stream's entries; entries whose details don't parse are skipped (the chain check reports them).
 */
export function retiredSigners(entries: readonly AuditEntry[]): RetiredSigner[] {
  const retired = new Map<string, RetiredSigner>();
  for (const entry of entries) {
    if (entry.event !== SignerRotationEvent.RETIRED && entry.event !== SignerRotationEvent.REVOKED) continue;
    const details = SignerRotationDetailsSchema.safeParse(entry.details);
    if (!details.success) continue;
    const key = `${details.data.network}:${details.data.from.toLowerCase()}`;
    if (!retired.has(key)) retired.set(key, { network: details.data.network, address: details.data.from, keyId: details.data.fromKeyId, replacedBy: details.data.to, retiredAtMs: entry.atMs });
  }
  return [...retired.values()];
}

/** The signer's nonce state and the chain's count of its transactions. */
export interface SignerActivity {
  /** Nonces reserved and neither confirmed into the journal nor released (a worker is signing). */
  outstanding: readonly number[];
  /** The next nonce the store would hand out (every lower one went into the journal). */
  next: number;
  /** `eth_getTransactionCount(signer, "latest")`: how many of its transactions are mined. */
  chainLatest: number;
  /** `eth_getTransactionCount(signer, "pending")`. */
  chainPending: number;
}

/**
 * Whether the old signer can lose its roles without losing a step: no nonce reservation outstanding and
 * every journaled nonce mined (nothing signed is still waiting for inclusion, in a mempool or a relay).
 * @returns the reasons it is not, empty when it is quiet
 */
export function signerBusyReasons(activity: SignerActivity): string[] {
  const reasons: string[] = [];
  if (activity.outstanding.length > 0) reasons.push(`nonce reservation(s) ${activity.outstanding.join(", ")} outstanding`);
  if (activity.chainLatest < activity.next) reasons.push(`journaled nonce(s) ${activity.chainLatest}..${activity.next - 1} not mined yet`);
  if (activity.chainPending > activity.chainLatest) reasons.push(`${activity.chainPending - activity.chainLatest} transaction(s) pending in the mempool`);
  return reasons;
}
