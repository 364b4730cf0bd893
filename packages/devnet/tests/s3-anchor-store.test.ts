/**
 * The S3 anchor store (real @aws-sdk/client-s3) against the local S3 server: the requests it sends
 * (If-None-Match, Object Lock retention, a checksum), write-once anchors, the per-proposal index, and
 * what it reports when the bucket's content does not hash or link.
 */
import { createAnchorBucketClient, S3AnchorStore } from "@payrox/aws/anchor";
import { AnchorExistsError, AnchorIntegrityError, nextAnchor, type AuditAnchor } from "@payrox/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type S3Server } from "../src/index.js";

const BUCKET = "payrox-test-audit-anchors";
const NOW = 1_800_000_000_000;
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

let server: S3Server;
let client: ReturnType<typeof createAnchorBucketClient>;

beforeAll(async () => {
  server = await startS3Server({ buckets: { [BUCKET]: { defaultRetention: { mode: "GOVERNANCE", days: 1 } } }, now: () => NOW });
  client = createAnchorBucketClient({ endpoint: server.url, forcePathStyle: true, region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

function storeWithPrefix(prefix: string) {
  return new S3AnchorStore({ client, bucket: BUCKET, prefix, retention: { mode: "COMPLIANCE", days: 365 }, clock: { now: () => NOW } });
}

describe("S3AnchorStore", () => {
  it("writes each anchor once, under Object Lock retention and If-None-Match, and reads the latest back", async () => {
    // Prepare
    const store = storeWithPrefix("a/");
    const first = nextAnchor(undefined, [{ proposalId: "p1", seq: 2, hash: hash(2) }], NOW);
    const second = nextAnchor(first, [{ proposalId: "p1", seq: 2, hash: hash(2) }, { proposalId: "p2", seq: 1, hash: hash(11) }], NOW + 60_000);
    const from = server.requests.length;

    // Act
    await store.put(first);
    await store.put(second);
    const latest = await store.latest();
    const puts = server.requests.slice(from).filter((r) => r.method === "PUT");

    // Assess
    expect(latest).toEqual(second);
    // Anchor 1, its index of p1, (anchor 1's index checked again: 412), anchor 2, its index of p2 only (p1's head did not move).
    expect(puts.map((r) => [r.key, r.status])).toEqual([
      ["a/anchors/999999999998.json", 200],
      ["a/heads/p1/000000000001.json", 200],
      ["a/heads/p1/000000000001.json", 412],
      ["a/anchors/999999999997.json", 200],
      ["a/heads/p2/000000000002.json", 200],
    ]);
    for (const put of puts) {
      expect(put.headers["if-none-match"]).toBe("*");
      expect(put.headers["x-amz-object-lock-mode"]).toBe("COMPLIANCE");
      expect(Date.parse(put.headers["x-amz-object-lock-retain-until-date"]!)).toBe(NOW + 365 * 86_400_000);
      expect(put.headers["x-amz-checksum-sha256"]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    }
  });

  it("completes an anchor's index records a crash cut short, when the next anchor is written", async () => {
    // Prepare: anchor 1 written, its index record lost (the anchorer died between the two PutObjects)
    const store = storeWithPrefix("g/");
    const first = nextAnchor(undefined, [{ proposalId: "p1", seq: 3, hash: hash(3) }], NOW);
    await store.put(first);
    server.objects.get(BUCKET)!.delete("g/heads/p1/000000000001.json");

    // Act
    await store.put(nextAnchor(first, [{ proposalId: "p1", seq: 4, hash: hash(4) }], NOW + 1));

    // Assess
    expect((await store.headsOf("p1")).map((h) => [h.seq, h.anchorSeq])).toEqual([[3, 1], [4, 2]]);
  });

  it("refuses a second anchor with the same seq (412 from S3) as AnchorExistsError", async () => {
    // Prepare
    const store = storeWithPrefix("b/");
    const first = nextAnchor(undefined, [{ proposalId: "p1", seq: 1, hash: hash(1) }], NOW);
    await store.put(first);
    const rival = nextAnchor(undefined, [{ proposalId: "p1", seq: 1, hash: hash(99) }], NOW + 1);

    // Act
    const attempt = store.put(rival);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AnchorExistsError);
    expect(server.requests.at(-1)!.status).toBe(412);
    expect((await store.latest())?.hash).toBe(first.hash);
  });

  it("lists every head ever anchored for a proposal, each confirmed by its anchor, oldest first", async () => {
    // Prepare
    const store = storeWithPrefix("c/");
    let previous: AuditAnchor | undefined;
    for (const seq of [3, 5, 9]) {
      previous = nextAnchor(previous, [{ proposalId: "prop/with space", seq, hash: hash(seq) }], NOW + seq);
      await store.put(previous);
    }

    // Act
    const heads = await store.headsOf("prop/with space");

    // Assess
    expect(heads.map((h) => [h.seq, h.hash, h.anchorSeq])).toEqual([[3, hash(3), 1], [5, hash(5), 2], [9, hash(9), 3]]);
    expect(await store.headsOf("other")).toEqual([]);
  });

  it("reports an index record its anchor does not hold as AnchorIntegrityError", async () => {
    // Prepare: a forged index record (a PutObject the role allows) claiming a head anchor 1 never held
    const store = storeWithPrefix("d/");
    const first = nextAnchor(undefined, [{ proposalId: "p1", seq: 4, hash: hash(4) }], NOW);
    await store.put(first);
    server.objects.get(BUCKET)!.set("d/heads/p1/000000000007.json", { key: "d/heads/p1/000000000007.json", body: Buffer.from(JSON.stringify({ proposalId: "p1", seq: 6, hash: hash(6), anchorSeq: 1, anchorHash: first.hash })), etag: '"x"', lastModifiedMs: NOW });

    // Act
    const reading = store.headsOf("p1");

    // Assess
    await expect(reading).rejects.toThrow(AnchorIntegrityError);
    await expect(reading).rejects.toThrow(/anchor 1 does not hold the head it records \(entry 6/);
  });

  it("refuses to chain onto an anchor that does not hash as it says", async () => {
    // Prepare
    const store = storeWithPrefix("e/");
    const first = nextAnchor(undefined, [{ proposalId: "p1", seq: 1, hash: hash(1) }], NOW);
    await store.put(first);
    const object = server.objects.get(BUCKET)!.get("e/anchors/999999999998.json")!;
    object.body = Buffer.from(JSON.stringify({ ...first, heads: [{ proposalId: "p1", seq: 1, hash: hash(2) }] }));

    // Act
    const next = store.put(nextAnchor(first, [{ proposalId: "p1", seq: 2, hash: hash(3) }], NOW + 1));

    // Assess
    await expect(next).rejects.toThrow(/hashes to 0x[0-9a-f]{64} but says/);
  });

  it("leaves anchors undeletable while retained (the bucket's Object Lock)", async () => {
    // Prepare
    const store = storeWithPrefix("f/");
    await store.put(nextAnchor(undefined, [{ proposalId: "p1", seq: 1, hash: hash(1) }], NOW));
    // Raw DELETE (SigV4-shaped header: the server checks its form, not its signature).
    const authorization = `AWS4-HMAC-SHA256 Credential=test/20270101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`;

    // Act
    const deletion = await fetch(`${server.url}/${BUCKET}/f/anchors/999999999998.json`, { method: "DELETE", headers: { authorization } });

    // Assess
    expect(deletion.status).toBe(403);
    expect(await deletion.text()).toMatch(/<Code>AccessDenied<\/Code>.*Object Lock retention/);
    expect(await store.latest()).toBeDefined();
  });
});
