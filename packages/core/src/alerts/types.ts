/**
 * What an alert is: a type from a fixed list, a severity, the run it concerns, evidence, and a dedupe
 * key naming the incident. One incident raises one alert (`status: "raised"`) and, when it clears,
 * one resolution (`status: "resolved"`); each has a stable `id` receivers can dedupe by.
 */
import { createHash } from "node:crypto";

/** The alert types PayRox raises; the stacks alarm on `AlertsRaised` by these values. */
export const AlertType = {
  /** A run not ACTIVATED when `now > activateAt + grace + 300 s`. */
  LATE_ACTIVATION: "late-activation",
  /** An activation attempted before the ETA; the step reschedules. */
  ACTIVATION_NOT_READY: "activation-not-ready",
  /** A facet's code changed after the manifest pinned it (apply or activate); the network's run halts. */
  CODEHASH_MISMATCH: "codehash-mismatch",
  /** An access-control revert on PayRox's transaction, or a dispatcher event PayRox did not send that no `out-of-band-*` type covers. */
  UNAUTHORIZED: "unauthorized",
  /** A role granted or revoked (or a role's admin changed) in a transaction PayRox did not send. */
  OUT_OF_BAND_ROLE_CHANGE: "out-of-band-role-change",
  /** A default-admin transfer (or its delay change) scheduled, cancelled or accepted outside PayRox. */
  OUT_OF_BAND_ADMIN_TRANSFER: "out-of-band-admin-transfer",
  /** An activation-delay change (a scheduled decrease, an increase, a cancelled change) outside PayRox. */
  OUT_OF_BAND_DELAY_CHANGE: "out-of-band-delay-change",
  /** The dispatcher paused or unpaused outside PayRox. */
  OUT_OF_BAND_PAUSE: "out-of-band-pause",
  /** A live selector disabled by the emergency role outside PayRox. */
  OUT_OF_BAND_SELECTOR_DISABLED: "out-of-band-selector-disabled",
  /** An upgrade step (commit, apply, activate, prune) PayRox did not send. */
  OUT_OF_BAND_COMMIT: "out-of-band-commit",
  /** A cancel of a pending root (all its chunks: one incident) PayRox did not send. */
  OUT_OF_BAND_CANCEL: "out-of-band-cancel",
  /** A step's gas above 1.5 × the median of the last same steps on the network. */
  GAS_SPIKE: "gas-spike",
  /** A transaction still unconfirmed after its replacement budget. */
  TX_STUCK: "tx-stuck",
  /** A run FAILED for a reason no more specific type covers. */
  RUN_FAILED: "run-failed",
  /** The live dispatcher is not at the state the manifest was built against. */
  DRIFT: "drift",
  /** Activation refused because the dispatcher is paused (`ActivationPaused`): the run holds and retries until the root expires. */
  DISPATCHER_PAUSED: "dispatcher-paused",
  /** The committed root expired before activation. */
  ROOT_EXPIRED: "root-expired",
  /** A step's lease expired twice without the step finishing: the watchdog had to re-drive it a second time. */
  LEASE_EXPIRED: "lease-expired",
  /** A step's transaction could never be included; a no-op at its nonce landed instead, freeing the signer. */
  TX_VOIDED: "tx-voided",
  /** An audit chain's stored head went back or changed under an anchored head: the table's trail was rewritten or truncated. */
  AUDIT_TAMPERED: "audit-tampered",
  /** A transaction signed by a signer whose roles were revoked (a rotated-out KMS key) was refused on chain. */
  UNAUTHORIZED_SIGNER: "unauthorized-signer",
  /** Under an all-or-none policy, a network's run halted before the cut-over: the proposal's other runs hold their activation until a decision (cancel). */
  ALL_OR_NONE_HELD: "all-or-none-held",
  /** A proposal has awaited approval longer than `approvalStaleAfterMs` (or its approval window closed): resolved when it is approved, rejected or cancelled. */
  APPROVAL_STALE: "approval-stale",
  /** A signature failed verification (not an approver, over other data, self-approval, a replayed nonce…): possibly an attack. One per proposal and signer. */
  APPROVAL_REFUSED: "approval-refused",
  /** A `RootCommitted` on chain with no verified quorum behind it under the approval policy. */
  COMMIT_WITHOUT_QUORUM: "commit-without-quorum",
} as const;
/** One of {@link AlertType}. */
export type AlertType = (typeof AlertType)[keyof typeof AlertType];

/** Whether an alert opens an incident or reports that it cleared. */
export const AlertStatus = {
  RAISED: "raised",
  RESOLVED: "resolved",
} as const;
/** One of {@link AlertStatus}. */
export type AlertStatus = (typeof AlertStatus)[keyof typeof AlertStatus];

/** Severity of an alert. */
export type AlertSeverity = "info" | "warning" | "critical";

/** A value evidence may carry: JSON-safe scalars (bigints as decimal strings). */
export type EvidenceValue = string | number | boolean | null;

/** What shows the incident happened. */
export interface AlertEvidence {
  txHash?: string;
  blockNumber?: number;
  /** Named values: thresholds, measured gas, codehashes, decoded event arguments… */
  values?: Record<string, EvidenceValue>;
}

/** An alert as a rule produces it, before it gets its id, status and time. */
export interface AlertDraft {
  type: AlertType;
  severity: AlertSeverity;
  /** Names the incident: equal keys are one incident, raised once. Must not contain `#`. */
  dedupeKey: string;
  proposalId?: string;
  network?: string;
  message: string;
  evidence?: AlertEvidence;
}

/** The stable id of one alert of an incident: sha256 of `dedupeKey` and `status`, 32 hex characters. */
export function alertId(dedupeKey: string, status: AlertStatus): string {
  return createHash("sha256").update(`${status}\n${dedupeKey}`, "utf8").digest("hex").slice(0, 32);
}

/** Dedupe key of an incident about one run: `<type>:<proposal>:<network>`. */
export function runIncidentKey(type: AlertType, proposalId: string, network: string): string {
  return `${type}:${proposalId}:${network}`;
}
