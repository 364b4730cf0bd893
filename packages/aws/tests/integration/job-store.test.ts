import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { StepName, type ScheduledJob } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DynamoJobStore, JobLeaseLostError, JobStatus, type StoredJob } from "../../src/index.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("job-store-test");
const NOW = 1_800_000_000_000;
const store = (): DynamoJobStore => new DynamoJobStore(db.options);

/** An activation job of `proposalId` on devnet-1 at `runAtMs`. */
function job(proposalId: string, runAtMs: number, name = `${proposalId}-activate-0`): ScheduledJob {
  return { name, step: StepName.ACTIVATE, proposalId, network: "devnet-1", attempt: "0", runAtMs };
}

/** Stores `scheduled` and returns it as listed when due. */
async function dueJob(scheduled: ScheduledJob): Promise<StoredJob> {
  await store().put(scheduled, { nowMs: NOW });
  const listed = (await store().listDue(scheduled.runAtMs + 3_600_000, 100)).find((j) => j.name === scheduled.name);
  if (!listed) throw new Error(`${scheduled.name} not listed`);
  return listed;
}

describe("DynamoJobStore", () => {
  describe("put", () => {
    it("keeps one job per name and returns the stored one to a duplicate", async () => {
      // Prepare
      const first = job("p-put", NOW + 5_000);

      // Act
      const created = await store().put(first, { nowMs: NOW });
      const duplicate = await store().put({ ...first, runAtMs: NOW + 99_000 }, { nowMs: NOW + 1 });

      // Assess
      expect(created.created).toBe(true);
      expect(duplicate.created).toBe(false);
      expect(duplicate.job).toMatchObject({ ...first, dueAtMs: NOW + 5_000, status: JobStatus.PENDING, attempts: 0, createdAtMs: NOW });
      expect(await store().get(first.name)).toEqual(created.job);
    });
  });

  describe("listDue", () => {
    it("lists due pending jobs in due order, then name, up to the limit", async () => {
      // Prepare: due long before every other test's job, so they come first in the index
      const base = 1_000;
      const jobs = [job("p-order", base + 300, "order-c"), job("p-order", base + 100, "order-b"), job("p-order", base + 100, "order-a"), job("p-order", base + 200, "order-d"), job("p-order", base + 901, "order-late")];
      for (const j of jobs) await store().put(j, { nowMs: NOW });

      // Act
      const due = await store().listDue(base + 900, 10);
      const firstTwo = await store().listDue(base + 900, 2);

      // Assess
      expect(due.map((j) => j.name)).toEqual(["order-a", "order-b", "order-d", "order-c"]);
      expect(firstTwo.map((j) => j.name)).toEqual(["order-a", "order-b"]);
    });

    it("leaves out jobs that are done and jobs under an unexpired lease", async () => {
      // Prepare
      const base = NOW + 20 * 86_400_000;
      const done = await dueJob(job("p-hidden", base, "hidden-done"));
      const leased = await dueJob(job("p-hidden", base, "hidden-leased"));
      const claimedDone = await store().claim(done, "loop-a", 60_000, base);
      await store().markDone(claimedDone!, base + 1);
      await store().claim(leased, "loop-a", 60_000, base);

      // Act
      const during = (await store().listDue(base + 59_999, 100)).map((j) => j.name);
      const afterExpiry = (await store().listDue(base + 60_000, 100)).map((j) => j.name);

      // Assess
      expect(during).not.toContain("hidden-done");
      expect(during).not.toContain("hidden-leased");
      expect(afterExpiry).toContain("hidden-leased");
      expect(afterExpiry).not.toContain("hidden-done");
    });
  });

  describe("claim", () => {
    it("grants exactly one claim among 20 concurrent loops", async () => {
      // Prepare
      const due = await dueJob(job("p-race", NOW));

      // Act: each loop with its own client, as separate processes would have
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store().claim(due, `loop-${i}`, 60_000, NOW + 1_000)));

      // Assess
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store().get(due.name)).toMatchObject({ leaseOwner: winners[0]!.leaseOwner, leaseExpiresAtMs: NOW + 61_000, attempts: 1 });
    });

    it("refuses a job that is not due yet", async () => {
      // Prepare
      await store().put(job("p-early", NOW + 10_000), { nowMs: NOW });
      const stored = (await store().get("p-early-activate-0"))!;

      // Act
      const early = await store().claim(stored, "loop-a", 60_000, NOW + 9_999);

      // Assess
      expect(early).toBeUndefined();
    });

    it("re-grants a job whose claim expired (a crashed loop), and the crashed loop can no longer record it", async () => {
      // Prepare
      const due = await dueJob(job("p-expired", NOW));
      const crashed = await store().claim(due, "crashed-loop", 1_000, NOW);

      // Act
      const stillHeld = await store().claim(due, "loop-b", 60_000, NOW + 999);
      const relisted = (await store().listDue(NOW + 1_000, 100)).find((j) => j.name === due.name)!;
      const reclaimed = await store().claim(relisted, "loop-b", 60_000, NOW + 1_000);
      const lateDone = store().markDone(crashed!, NOW + 2_000);

      // Assess
      expect(stillHeld).toBeUndefined();
      expect(reclaimed).toMatchObject({ leaseOwner: "loop-b", attempts: 2 });
      await expect(lateDone).rejects.toBeInstanceOf(JobLeaseLostError);
      await store().markDone(reclaimed!, NOW + 2_000);
      expect(await store().get(due.name)).toMatchObject({ status: JobStatus.DONE, finishedAtMs: NOW + 2_000 });
    });
  });

  describe("release and markFailed", () => {
    it("returns a failed attempt to pending at its retry time, then records the final failure", async () => {
      // Prepare
      const due = await dueJob(job("p-retry", NOW));
      const first = (await store().claim(due, "loop-a", 60_000, NOW))!;

      // Act
      await store().release(first, NOW + 5_000, "rpc down");
      const beforeRetry = (await store().listDue(NOW + 4_999, 100)).map((j) => j.name);
      const retried = (await store().listDue(NOW + 5_000, 100)).find((j) => j.name === due.name)!;
      const second = (await store().claim(retried, "loop-a", 60_000, NOW + 5_000))!;
      await store().markFailed(second, "rpc still down", NOW + 6_000);

      // Assess
      expect(beforeRetry).not.toContain(due.name);
      expect(retried).toMatchObject({ dueAtMs: NOW + 5_000, attempts: 1, lastError: "rpc down" });
      expect(await store().get(due.name)).toMatchObject({ status: JobStatus.FAILED, attempts: 2, lastError: "rpc still down" });
      expect((await store().listDue(NOW + 3_600_000, 100)).map((j) => j.name)).not.toContain(due.name);
    });
  });

  describe("delete", () => {
    it("removes the job, so its holder cannot record it and the name can be scheduled again", async () => {
      // Prepare
      const due = await dueJob(job("p-delete", NOW));
      const claimed = (await store().claim(due, "loop-a", 60_000, NOW))!;

      // Act
      await store().delete(due.name);
      const done = store().markDone(claimed, NOW + 1);

      // Assess
      await expect(done).rejects.toMatchObject({ name: "JobLeaseLostError", stored: undefined });
      expect(await store().get(due.name)).toBeUndefined();
      expect((await store().put(job("p-delete", NOW + 1), { nowMs: NOW })).created).toBe(true);
    });
  });

  it("stores a job with the key design the README documents", async () => {
    // Prepare
    await store().put(job("p-keys", 2_001_234), { nowMs: NOW });

    // Act
    const { Item } = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: { PK: { S: "JOB#p-keys-activate-0" }, SK: { S: "JOB" } }, ConsistentRead: true }));

    // Assess
    expect(Item).toMatchObject({ GSI1PK: { S: "JOBS#DUE" }, GSI1SK: { S: "000000002001234#p-keys-activate-0" }, type: { S: "job" } });
  });
});
