/**
 * `anchorAuditHeads` (on a schedule): writes the heads of the recent proposals' audit chains to the
 * anchor store — outside the table — as one anchor chained to the previous one, when any head moved
 * since the last anchor. A head that went back, changed at the same seq, or moved on from a chain that no
 * longer holds the anchored entry (a rewrite re-hashed and extended) is not anchored over: the anchored
 * one is kept and `audit-tampered` is raised.
 */
import type { AnchorStore } from "../anchor/ports.js";
import { nextAnchor } from "../anchor/anchor-chain.js";
import type { AnchoredHead, AuditAnchor } from "../anchor/types.js";
import { runbookUrl } from "../alerts/runbooks.js";
import { AlertType, alertId, AlertStatus } from "../alerts/types.js";
import type { AlertSink, AuditLog, Clock, RunStore } from "../run/ports.js";
import { OPERATIONS_AUDIT_STREAM } from "../signers/rotation.js";

/** What {@link anchorAuditHeads} reads and writes. */
export interface AnchorAuditHeadsDeps {
  store: Pick<RunStore, "listProposals">;
  audit: AuditLog;
  anchors: AnchorStore;
  clock: Clock;
  /** Where `audit-tampered` goes. @default none: the result still lists the proposals */
  alerts?: AlertSink;
  /** Base of the alerts' runbook links. @default DEFAULT_RUNBOOK_BASE_URL */
  runbookBaseUrl?: string;
}

/** Options of {@link anchorAuditHeads}. */
export interface AnchorAuditHeadsOptions {
  /** Proposals examined per tick, newest first (as the store lists them). @default 100 */
  limit?: number;
}

/** What one tick did. */
export interface AnchorAuditHeadsReturnType {
  /** The anchor written, or undefined when no head moved. */
  anchor?: AuditAnchor;
  /** Audit streams read: the proposals' and the operations stream. */
  examined: number;
  /** Proposals whose stored head contradicts the latest anchor (went back, or another hash at the same seq). */
  tampered: { proposalId: string; anchored: AnchoredHead; stored?: AnchoredHead }[];
}

/**
 * Anchors every examined proposal's head (each anchor is the whole window, so the latest anchor alone
 * tells the next tick what moved).
 * @throws AnchorExistsError when another anchorer wrote the same anchor seq first (the next tick retries)
 * @example await anchorAuditHeads({ store, audit, anchors, clock })
 */
export async function anchorAuditHeads(deps: AnchorAuditHeadsDeps, options: AnchorAuditHeadsOptions = {}): Promise<AnchorAuditHeadsReturnType> {
  const latest = await deps.anchors.latest();
  const anchoredNow = new Map((latest?.heads ?? []).map((h) => [h.proposalId, h]));
  const { proposals } = await deps.store.listProposals({ limit: options.limit ?? 100 });
  // The operations stream (key rotations) is anchored like a proposal's trail.
  const streams = [...proposals.map((p) => p.id), OPERATIONS_AUDIT_STREAM];
  const heads: AnchoredHead[] = [];
  const tampered: AnchorAuditHeadsReturnType["tampered"] = [];
  let moved = false;
  for (const id of streams) {
    const last = deps.audit.last ? await deps.audit.last(id) : (await deps.audit.list(id)).at(-1);
    const stored = last && { proposalId: id, seq: last.seq, hash: last.hash };
    const anchored = anchoredNow.get(id);
    if (anchored && (!stored || stored.seq < anchored.seq || (stored.seq === anchored.seq && stored.hash !== anchored.hash) || (stored.seq > anchored.seq && !(await stillHolds(deps.audit, anchored))))) {
      tampered.push({ proposalId: id, anchored, ...(stored && { stored }) });
      heads.push(anchored);
      continue;
    }
    if (!stored) continue;
    if (!anchored || stored.seq !== anchored.seq) moved = true;
    heads.push(stored);
  }
  for (const t of tampered) await raiseTampered(deps, t);
  const result: AnchorAuditHeadsReturnType = { examined: streams.length, tampered };
  if (!moved) return result;
  const anchor = nextAnchor(latest, heads, deps.clock.now());
  await deps.anchors.put(anchor);
  return { ...result, anchor };
}

/**
 * Whether the table's entry at the anchored seq still has the anchored hash. A head that moved on says
 * nothing about the entries before it: a rewrite re-hashed end to end and then extended would otherwise
 * be anchored over. One read of the trail, only for streams whose head moved since the last anchor.
 */
async function stillHolds(audit: AuditLog, anchored: AnchoredHead): Promise<boolean> {
  const entry = (await audit.list(anchored.proposalId)).find((e) => e.seq === anchored.seq);
  return entry?.hash === anchored.hash;
}

async function raiseTampered(deps: AnchorAuditHeadsDeps, t: AnchorAuditHeadsReturnType["tampered"][number]): Promise<void> {
  if (!deps.alerts) return;
  const dedupeKey = `${AlertType.AUDIT_TAMPERED}:${t.proposalId}:${t.anchored.seq}`;
  const now = !t.stored
    ? "it has no audit entries left"
    : t.stored.seq > t.anchored.seq
      ? `the table's chain (now up to entry ${t.stored.seq}) no longer holds entry ${t.anchored.seq} with that hash`
      : `its stored head is entry ${t.stored.seq} (${t.stored.hash})`;
  await deps.alerts.raise({
    type: AlertType.AUDIT_TAMPERED,
    severity: "critical",
    dedupeKey,
    proposalId: t.proposalId,
    message: `proposal ${t.proposalId}: entry ${t.anchored.seq} (${t.anchored.hash}) is anchored, but ${now}: the audit trail in the table was rewritten or truncated (run "payrox audit ${t.proposalId} --verify")`,
    evidence: { values: { anchoredSeq: t.anchored.seq, anchoredHash: t.anchored.hash, storedSeq: t.stored?.seq ?? 0, storedHash: t.stored?.hash ?? null } },
    id: alertId(dedupeKey, AlertStatus.RAISED),
    status: AlertStatus.RAISED,
    atMs: deps.clock.now(),
    runbook: runbookUrl(AlertType.AUDIT_TAMPERED, deps.runbookBaseUrl),
  });
}
