/**
 * {@link AnchorStore} on an S3 bucket with Object Lock. Layout under `prefix`:
 * - `anchors/<999999999999 − seq, 12 digits>.json`: one anchor per object; the inverted seq lists the
 *   newest first, so `latest` is one ListObjectsV2 of one key;
 * - `heads/<encoded proposal id>/<anchor seq, 12 digits>.json`: an index record per anchored head, so a
 *   proposal's heads are one listing away; each is checked against the anchor it names.
 * An anchor must link to the stored anchor before it (checked on write). Every PutObject sends `If-None-Match: *` (the bucket policy denies a PutObject without it) and, when
 * configured, its own Object Lock retention, so nothing written can be replaced or deleted.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AnchorExistsError, AnchorIntegrityError, headRecords, parseAnchor, type AnchoredHeadRecord, type AnchorStore, type AuditAnchor, type Clock } from "@payrox/core/runs";
import * as z from "zod";
import { AnchorBucketError } from "../errors.js";

/** Object Lock retention each object is written with. */
export interface AnchorRetention {
  /** COMPLIANCE: nobody, not even the account root, can shorten it; GOVERNANCE: only with `s3:BypassGovernanceRetention`. */
  mode: "COMPLIANCE" | "GOVERNANCE";
  /** Days each object is retained from its write. */
  days: number;
}

/** Options of {@link S3AnchorStore}. */
export interface S3AnchorStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of every object (e.g. `payrox/`). @default "" */
  prefix?: string;
  /** Retention set on each object. @default none: the bucket's default retention applies */
  retention?: AnchorRetention;
  /** For the retain-until date. @default the system clock */
  clock?: Clock;
}

const SEQ_WIDTH = 12;
const MAX_SEQ = 10 ** SEQ_WIDTH - 1;

const HeadIndexSchema = z.strictObject({
  proposalId: z.string().min(1),
  seq: z.number().int().positive(),
  hash: z.string(),
  anchorSeq: z.number().int().positive(),
  anchorHash: z.string(),
});

/** Write-once audit anchors in S3. */
export class S3AnchorStore implements AnchorStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #retention: AnchorRetention | undefined;
  readonly #clock: Clock;

  constructor(options: S3AnchorStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? "";
    this.#retention = options.retention;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /** The newest anchor (the first key of the inverted-seq listing), validated. */
  async latest(): Promise<AuditAnchor | undefined> {
    const prefix = `${this.#prefix}anchors/`;
    const page = await this.#send("ListObjectsV2", prefix, () => this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, MaxKeys: 1 })));
    const key = page.Contents?.[0]?.Key;
    return key === undefined ? undefined : this.#readAnchor(key);
  }

  /**
   * Writes the anchor, then one index record per head.
   * @throws AnchorExistsError when the anchor's key is taken (S3 answers 412 to `If-None-Match: *`)
   */
  async put(anchor: AuditAnchor): Promise<void> {
    const previous = anchor.seq > 1 ? await this.#readAnchor(this.#anchorKey(anchor.seq - 1)) : undefined;
    if (previous && previous.hash !== anchor.prevAnchorHash) throw new AnchorIntegrityError(this.#anchorKey(anchor.seq), `anchor ${anchor.seq} links to ${anchor.prevAnchorHash}, but anchor ${previous.seq} hashes to ${previous.hash}`);
    // A crash between an anchor and its index records leaves the index short: complete the previous one first.
    if (previous) await this.#index(previous, previous.seq > 1 ? await this.#readAnchor(this.#anchorKey(previous.seq - 1)) : undefined);
    const written = await this.#putOnce(this.#anchorKey(anchor.seq), anchor);
    if (!written) throw new AnchorExistsError(anchor.seq);
    await this.#index(anchor, previous);
  }

  /** Writes the index records of the heads that moved in `anchor` since `previous` (an unchanged head is indexed under the anchor that first held it). */
  async #index(anchor: AuditAnchor, previous: AuditAnchor | undefined): Promise<void> {
    const before = new Map((previous?.heads ?? []).map((h) => [h.proposalId, h]));
    const moved = anchor.heads.filter((h) => before.get(h.proposalId)?.seq !== h.seq || before.get(h.proposalId)?.hash !== h.hash);
    // A record already written is refused (412) and left as it is: its content is the same.
    for (const head of moved) await this.#putOnce(this.#headKey(head.proposalId, anchor.seq), { ...head, anchorSeq: anchor.seq, anchorHash: anchor.hash });
  }

  /** Every anchored head of the proposal, each confirmed by the anchor it names, oldest first. */
  async headsOf(proposalId: string): Promise<AnchoredHeadRecord[]> {
    const prefix = `${this.#prefix}heads/${encodeURIComponent(proposalId)}/`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send("ListObjectsV2", prefix, () => this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) })));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter(Boolean));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const records: AnchoredHeadRecord[] = [];
    for (const key of keys) {
      const parsed = HeadIndexSchema.safeParse(await this.#readJson(key));
      if (!parsed.success || parsed.data.proposalId !== proposalId) throw new AnchorIntegrityError(key, parsed.success ? `names proposal ${parsed.data.proposalId}` : "is not a head index record");
      const anchor = await this.#readAnchor(this.#anchorKey(parsed.data.anchorSeq));
      const record = headRecords(anchor).find((r) => r.proposalId === proposalId);
      if (!record || record.seq !== parsed.data.seq || record.hash !== parsed.data.hash || record.anchorHash !== parsed.data.anchorHash) {
        throw new AnchorIntegrityError(key, `anchor ${parsed.data.anchorSeq} does not hold the head it records (entry ${parsed.data.seq}, ${parsed.data.hash})`);
      }
      records.push(record);
    }
    return records.sort((a, b) => a.anchorSeq - b.anchorSeq);
  }

  #anchorKey(seq: number): string {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`anchor seq ${seq} out of range`);
    return `${this.#prefix}anchors/${String(MAX_SEQ - seq).padStart(SEQ_WIDTH, "0")}.json`;
  }

  #headKey(proposalId: string, anchorSeq: number): string {
    return `${this.#prefix}heads/${encodeURIComponent(proposalId)}/${String(anchorSeq).padStart(SEQ_WIDTH, "0")}.json`;
  }

  async #readAnchor(key: string): Promise<AuditAnchor> {
    const parsed = parseAnchor(await this.#readJson(key));
    if (!parsed.ok) throw new AnchorIntegrityError(key, parsed.problem);
    if (key !== this.#anchorKey(parsed.anchor.seq)) throw new AnchorIntegrityError(key, `holds anchor ${parsed.anchor.seq}, which belongs at another key`);
    return parsed.anchor;
  }

  async #readJson(key: string): Promise<unknown> {
    const object = await this.#send("GetObject", key, () => this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key })));
    const text = (await object.Body?.transformToString("utf8")) ?? "";
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AnchorIntegrityError(key, "is not JSON");
    }
  }

  /** PutObject if the key is free; false when it is taken (412). */
  async #putOnce(key: string, value: unknown): Promise<boolean> {
    const retention = this.#retention && { ObjectLockMode: this.#retention.mode, ObjectLockRetainUntilDate: new Date(this.#clock.now() + this.#retention.days * 86_400_000) };
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json", IfNoneMatch: "*", ChecksumAlgorithm: "SHA256", ...retention }),
      );
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || (error as { name?: string }).name === "PreconditionFailed") return false;
      throw new AnchorBucketError("PutObject", this.#bucket, key, { cause: error });
    }
  }

  async #send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new AnchorBucketError(operation, this.#bucket, key, { cause: error });
    }
  }
}

/** Options of {@link createAnchorBucketClient}. */
export type AnchorBucketClientConfig = ConstructorParameters<typeof S3Client>[0];

/**
 * The S3 client of the anchor store (built here so callers need no S3 SDK of their own). A local endpoint
 * (tests) needs `forcePathStyle: true`.
 */
export function createAnchorBucketClient(config: AnchorBucketClientConfig = {}): S3Client {
  return new S3Client(config);
}
