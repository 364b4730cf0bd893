/**
 * {@link AnchorStore} for the devnet: an append-only JSON-lines file (one anchor per line, seq 1 first),
 * outside DynamoDB Local's data. Every read re-checks each line's hash and its link to the line before,
 * so an edited or removed line is reported, not trusted. One writer (the devnet's PayRox process).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { AnchorExistsError, AnchorIntegrityError, GENESIS_ANCHOR_HASH, headRecords, parseAnchor, type AnchoredHeadRecord, type AnchorStore, type AuditAnchor } from "@payrox/core";

/** Audit anchors in a JSON-lines file. */
export class FileAnchorStore implements AnchorStore {
  constructor(readonly path: string) {}

  /** The last line's anchor, after checking the whole file. */
  async latest(): Promise<AuditAnchor | undefined> {
    return this.#readAll().at(-1);
  }

  /**
   * Appends the anchor after the last one.
   * @throws AnchorExistsError when its seq is not the next one
   */
  async put(anchor: AuditAnchor): Promise<void> {
    const last = this.#readAll().at(-1);
    if ((last?.seq ?? 0) >= anchor.seq) throw new AnchorExistsError(anchor.seq);
    if (anchor.seq !== (last?.seq ?? 0) + 1 || anchor.prevAnchorHash !== (last?.hash ?? GENESIS_ANCHOR_HASH)) {
      throw new AnchorIntegrityError(this.path, `anchor ${anchor.seq} does not follow anchor ${last?.seq ?? 0} (${last?.hash ?? GENESIS_ANCHOR_HASH})`);
    }
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
  }

  /** Every anchored head of the proposal, one per anchor that changed it, oldest first. */
  async headsOf(proposalId: string): Promise<AnchoredHeadRecord[]> {
    const records: AnchoredHeadRecord[] = [];
    for (const anchor of this.#readAll()) {
      const record = headRecords(anchor).find((r) => r.proposalId === proposalId);
      const previous = records.at(-1);
      if (record && !(previous && previous.seq === record.seq && previous.hash === record.hash)) records.push(record);
    }
    return records;
  }

  /** Every anchor, each parsed, hash-checked and linked to the one before. */
  #readAll(): AuditAnchor[] {
    if (!existsSync(this.path)) return [];
    const anchors: AuditAnchor[] = [];
    const lines = readFileSync(this.path, "utf8").split("\n").filter((line) => line.trim() !== "");
    lines.forEach((line, i) => {
      const where = `${this.path}:${i + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new AnchorIntegrityError(where, "is not JSON");
      }
      const parsed = parseAnchor(json);
      if (!parsed.ok) throw new AnchorIntegrityError(where, parsed.problem);
      const expectedPrev = anchors.at(-1)?.hash ?? GENESIS_ANCHOR_HASH;
      if (parsed.anchor.seq !== i + 1 || parsed.anchor.prevAnchorHash !== expectedPrev) throw new AnchorIntegrityError(where, `anchor ${parsed.anchor.seq} does not link to the line before (expected seq ${i + 1} after ${expectedPrev})`);
      anchors.push(parsed.anchor);
    });
    return anchors;
  }
}
