/**
 * Lambda of the audit anchorer (its own schedule and role: it may read the table and write new objects to
 * the anchor bucket, nothing else): `anchorAuditHeads` writes the recent proposals' audit heads outside
 * the table, one anchor per tick in which a head moved.
 */
import { anchorAuditHeads, type AnchorAuditHeadsReturnType, type SchedulerDeps } from "@payrox/core/runs";
import { containerDeps } from "./composition.js";
import { EnvConfigError, ENV } from "./env.js";
import { count, flushMetrics, logger } from "./observability.js";

/** What one anchoring tick did (the anchor's seq instead of the whole anchor). */
export interface AnchorResult extends Omit<AnchorAuditHeadsReturnType, "anchor"> {
  anchorSeq?: number;
}

/**
 * Builds the anchorer over `getDeps`.
 * @throws EnvConfigError when no anchor store is configured (`PAYROX_ANCHOR_BUCKET` unset)
 */
export function createAnchorHandler(getDeps: () => SchedulerDeps) {
  return async (): Promise<AnchorResult> => {
    try {
      const deps = getDeps();
      if (!deps.anchors) throw new EnvConfigError([{ variable: ENV.ANCHOR_BUCKET, message: "is required by the anchor function" }]);
      const { anchor, examined, tampered } = await anchorAuditHeads({ store: deps.store, audit: deps.audit, anchors: deps.anchors, clock: deps.clock, alerts: deps.alerts, ...(deps.options?.runbookBaseUrl && { runbookBaseUrl: deps.options.runbookBaseUrl }) });
      logger.info("audit anchor tick", { examined, anchorSeq: anchor?.seq, heads: anchor?.heads.length ?? 0, tampered: tampered.map((t) => t.proposalId) });
      count("anchor.tampered", tampered.length);
      return { examined, tampered, ...(anchor && { anchorSeq: anchor.seq }) };
    } finally {
      flushMetrics();
    }
  };
}

/** The anchor Lambda's entry point. */
export const handler = createAnchorHandler(containerDeps);
