import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { StepName, type StepLease } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DynamoRunStore, StepLeaseLostError, StoreInputError } from "../../src/index.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("step-leases-test");
const NOW = 1_800_000_000_000;
const store = (): DynamoRunStore => new DynamoRunStore({ ...db.options, clock: { now: () => NOW } });

/** A lease on apply batch `attempt` of `proposalId` on devnet-1, held by `owner` for a minute. */
function lease(proposalId: string, owner: string, overrides: Partial<StepLease> = {}): StepLease {
  return { proposalId, network: "devnet-1", step: StepName.APPLY, attempt: "0", owner, expiresAtMs: NOW + 60_000, ...overrides };
}

/** The raw stored item of a step, as DynamoDB holds it. */
async function rawStepItem(proposalId: string, attempt = "0"): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db.client.send(
    new GetItemCommand({ TableName: db.tableName, Key: { PK: { S: `PROPOSAL#${proposalId}` }, SK: { S: `STEP#devnet-1#apply#${attempt}` } }, ConsistentRead: true }),
  );
  return Item;
}

describe("DynamoRunStore", () => {
  describe("claimStep", () => {
    it("grants exactly one lease among 20 concurrent claims", async () => {
      // Prepare
      const claims = Array.from({ length: 20 }, (_, i) => lease("p-claim-race", `worker-${i}`));

      // Act
      const results = await Promise.all(claims.map((l) => store().claimStep(l, NOW)));

      // Assess
      const granted = results.filter((r) => r !== undefined);
      expect(granted).toHaveLength(1);
      expect((await store().getStepLease("p-claim-race", "devnet-1", StepName.APPLY, "0"))?.owner).toBe(granted[0]!.owner);
    });

    it("refuses another owner while the lease runs, and grants it once it expired", async () => {
      // Prepare
      await store().claimStep(lease("p-expiry", "first", { expiresAtMs: NOW + 1_000 }), NOW);

      // Act
      const during = await store().claimStep(lease("p-expiry", "second", { expiresAtMs: NOW + 61_000 }), NOW + 999);
      const after = await store().claimStep(lease("p-expiry", "second", { expiresAtMs: NOW + 61_000 }), NOW + 1_000);

      // Assess
      expect(during).toBeUndefined();
      expect(after).toEqual(lease("p-expiry", "second", { expiresAtMs: NOW + 61_000 }));
      expect((await store().getStepLease("p-expiry", "devnet-1", StepName.APPLY, "0"))?.owner).toBe("second");
    });

    it("lets the holder claim again to extend its lease", async () => {
      // Prepare
      await store().claimStep(lease("p-extend", "holder"), NOW);

      // Act
      const extended = await store().claimStep(lease("p-extend", "holder", { expiresAtMs: NOW + 120_000 }), NOW + 30_000);

      // Assess
      expect(extended?.expiresAtMs).toBe(NOW + 120_000);
      expect(await store().claimStep(lease("p-extend", "other", { expiresAtMs: NOW + 200_000 }), NOW + 90_000)).toBeUndefined();
    });

    it("never grants a completed step, to anyone, even after its lease expired", async () => {
      // Prepare
      const held = lease("p-done", "holder");
      await store().claimStep(held, NOW);
      const before = await store().isStepComplete("p-done", "devnet-1", StepName.APPLY, "0");

      // Act
      await store().completeStep(held);

      // Assess
      expect(before).toBe(false);
      expect(await store().isStepComplete("p-done", "devnet-1", StepName.APPLY, "0")).toBe(true);
      expect(await store().claimStep(lease("p-done", "other", { expiresAtMs: NOW + 10_000_000 }), NOW + 5_000_000)).toBeUndefined();
      expect(await store().claimStep(lease("p-done", "holder", { expiresAtMs: NOW + 10_000_000 }), NOW + 5_000_000)).toBeUndefined();
    });

    it("keeps attempts of one step independent", async () => {
      // Prepare
      await store().claimStep(lease("p-attempts", "a", { attempt: "0" }), NOW);
      await store().completeStep(lease("p-attempts", "a", { attempt: "0" }));

      // Act
      const next = await store().claimStep(lease("p-attempts", "b", { attempt: "1" }), NOW);

      // Assess
      expect(next?.owner).toBe("b");
      expect(await store().isStepComplete("p-attempts", "devnet-1", StepName.APPLY, "1")).toBe(false);
    });

    it("sets a TTL on an unfinished lease and removes it on completion, so completions are never expired away", async () => {
      // Prepare
      const held = lease("p-ttl", "holder");
      await store().claimStep(held, NOW);
      const unfinished = await rawStepItem("p-ttl");

      // Act
      await store().completeStep(held);

      // Assess
      expect(Number((unfinished?.ttl as { N: string }).N)).toBeGreaterThan(held.expiresAtMs / 1000);
      const completed = await rawStepItem("p-ttl");
      expect(completed?.ttl).toBeUndefined();
      expect(completed?.completedAtMs).toEqual({ N: String(NOW) });
    });

    it("refuses a lease that has already expired when claimed", async () => {
      await expect(store().claimStep(lease("p-stale", "w", { expiresAtMs: NOW - 1 }), NOW)).rejects.toBeInstanceOf(StoreInputError);
    });

    it("lets the owner give a step back by re-claiming it to end now, so another worker claims it at once", async () => {
      // Prepare
      const held = await store().claimStep(lease("p-release", "first", { expiresAtMs: NOW + 60_000 }), NOW);

      // Act: what core's releaseLease does after a failed attempt
      const released = await store().claimStep({ ...held!, expiresAtMs: NOW + 10 }, NOW + 10);
      const retried = await store().claimStep(lease("p-release", "second", { expiresAtMs: NOW + 70_000 }), NOW + 10);

      // Assess
      expect(released).toBeDefined();
      expect(retried?.owner).toBe("second");
    });
  });

  describe("completeStep", () => {
    it("throws StepLeaseLostError carrying the holder when another owner took the step over", async () => {
      // Prepare
      const first = lease("p-lost", "first", { expiresAtMs: NOW + 1_000 });
      await store().claimStep(first, NOW);
      await store().claimStep(lease("p-lost", "second"), NOW + 2_000);

      // Act
      const error = await store()
        .completeStep(first)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(StepLeaseLostError);
      expect((error as StepLeaseLostError).holder?.owner).toBe("second");
      expect(await store().isStepComplete("p-lost", "devnet-1", StepName.APPLY, "0")).toBe(false);
    });

    it("throws StepLeaseLostError without a holder for a step never claimed", async () => {
      const error = await store()
        .completeStep(lease("p-unclaimed", "nobody"))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepLeaseLostError);
      expect((error as StepLeaseLostError).holder).toBeUndefined();
    });

    it("is idempotent for the holder", async () => {
      // Prepare
      const held = lease("p-twice", "holder");
      await store().claimStep(held, NOW);
      await store().completeStep(held);

      // Act
      await store().completeStep(held);

      // Assess
      expect(await store().isStepComplete("p-twice", "devnet-1", StepName.APPLY, "0")).toBe(true);
    });
  });
});
