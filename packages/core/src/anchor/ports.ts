/**
 * Where audit anchors live, outside the table a deployer controls. Adapters: S3 under Object Lock
 * (packages/aws, `@payrox/aws/anchor`), an append-only JSON-lines file (packages/devnet).
 */
import type { AnchoredHeadRecord, AuditAnchor } from "./types.js";

/** Write-once storage of audit anchors. */
export interface AnchorStore {
  /** The anchor with the highest seq, validated; undefined before the first. */
  latest(): Promise<AuditAnchor | undefined>;
  /**
   * Stores `anchor` under its seq, never replacing one.
   * @throws AnchorExistsError when an anchor with that seq is already stored (a concurrent anchorer won)
   */
  put(anchor: AuditAnchor): Promise<void>;
  /**
   * Every head ever anchored for the proposal, oldest anchor first, each read from (and checked against)
   * the anchor that holds it.
   * @throws AnchorIntegrityError when a stored anchor or index record does not hash or link as it says
   */
  headsOf(proposalId: string): Promise<AnchoredHeadRecord[]>;
}
