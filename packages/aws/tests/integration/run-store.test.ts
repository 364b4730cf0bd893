import { RunState, type Run } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { NetworkBusyError } from "@payrox/core";
import { createTable, DynamoRunStore, InvalidCursorError, ItemTooLargeError, ProposalExistsError, RunNotFoundError, StoreInputError, VersionConflictError } from "../../src/index.js";
import { useLocalTable } from "../support/dynamodb-local.js";
import { aProposal, aProposalWithRuns, aRun } from "../support/fixtures.js";

const db = useLocalTable("run-store-test");
const store = (): DynamoRunStore => new DynamoRunStore(db.options);

/** A run store on a table of its own, for listings that must not see other tests' proposals. */
async function storeOnFreshTable(tableName: string): Promise<DynamoRunStore> {
  await createTable(db.client, tableName);
  return new DynamoRunStore({ client: db.client, tableName });
}

describe("DynamoRunStore", () => {
  describe("createProposal", () => {
    it("stores the proposal and its runs, readable back unchanged", async () => {
      // Prepare
      const { proposal, runs } = aProposalWithRuns("p-create", { earliestCommitAtMs: 1_800_000_100_000, networks: ["devnet-1", "devnet-2", "sepolia"] });

      // Act
      await store().createProposal(proposal, runs);

      // Assess
      expect(await store().getProposal("p-create")).toEqual(proposal);
      expect(await store().getRun("p-create", "sepolia")).toEqual(runs[2]);
      expect(await store().listRuns("p-create")).toEqual([...runs].sort((a, b) => a.network.localeCompare(b.network)));
    });

    it("returns undefined for an unknown proposal or run", async () => {
      expect(await store().getProposal("p-unknown")).toBeUndefined();
      expect(await store().getRun("p-unknown", "devnet-1")).toBeUndefined();
      expect(await store().listRuns("p-unknown")).toEqual([]);
    });

    it("rejects a duplicate id with the stored proposal and writes nothing", async () => {
      // Prepare
      const first = aProposalWithRuns("p-dup", { networks: ["net-dup"] });
      await store().createProposal(first.proposal, first.runs);
      const second = aProposalWithRuns("p-dup", { name: "impostor", networks: ["net-dup", "devnet-2"] });

      // Act
      const error = await store().createProposal(second.proposal, second.runs).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProposalExistsError);
      expect((error as ProposalExistsError).existing).toEqual(first.proposal);
      expect(await store().getProposal("p-dup")).toEqual(first.proposal);
      expect(await store().listRuns("p-dup")).toEqual(first.runs);
    });

    it("lets exactly one of 10 concurrent creations of one id win", async () => {
      // Prepare
      const attempts = Array.from({ length: 10 }, (_, i) => aProposalWithRuns("p-race", { name: `racer ${i}` }));

      // Act
      const results = await Promise.allSettled(attempts.map(({ proposal, runs }) => store().createProposal(proposal, runs)));

      // Assess
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ProposalExistsError);
      expect((await store().getProposal("p-race"))?.name).toBe(`racer ${winners[0]}`);
    });

    it("throws ItemTooLargeError for a proposal over 400 KB and writes nothing", async () => {
      // Prepare
      const { proposal, runs } = aProposalWithRuns("p-huge", { manifestJson: "x".repeat(410 * 1024) });

      // Act
      const error = await store().createProposal(proposal, runs).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ItemTooLargeError);
      expect(await store().getProposal("p-huge")).toBeUndefined();
      expect(await store().listRuns("p-huge")).toEqual([]);
    });

    it("refuses runs of another proposal or network, or key parts containing '#', before writing", async () => {
      const { proposal } = aProposalWithRuns("p-bad");
      await expect(store().createProposal(proposal, [aRun("p-other", "devnet-1")])).rejects.toBeInstanceOf(StoreInputError);
      await expect(store().createProposal(proposal, [aRun("p-bad", "mainnet")])).rejects.toBeInstanceOf(StoreInputError);
      await expect(store().createProposal(proposal, [aRun("p-bad", "devnet-1"), aRun("p-bad", "devnet-1")])).rejects.toBeInstanceOf(StoreInputError);
      await expect(store().createProposal(aProposal("p#bad"), [])).rejects.toBeInstanceOf(StoreInputError);
      expect(await store().getProposal("p-bad")).toBeUndefined();
    });
  });

  describe("listProposals", () => {
    it("pages newest first with a cursor that is absent on the last page", async () => {
      // Prepare
      const listing = await storeOnFreshTable(`${db.tableName}-listing`);
      const ids = Array.from({ length: 7 }, (_, i) => `p-list-${i}`);
      for (const [i, id] of ids.entries()) await listing.createProposal(aProposal(id, { createdAtMs: 1_800_000_000_000 + i * 1000 }), []);

      // Act
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await listing.listProposals({ limit: 3, ...(cursor ? { cursor } : {}) });
        pages.push(page.proposals.map((p) => p.id));
        cursor = page.cursor;
      } while (cursor);

      // Assess
      expect(pages).toEqual([ids.slice(4).reverse(), ids.slice(1, 4).reverse(), [ids[0]]]);
    });

    it("gives no cursor when the last page is exactly full, and an empty page for an empty table", async () => {
      // Prepare
      const listing = await storeOnFreshTable(`${db.tableName}-listing-exact`);
      const empty = await listing.listProposals();
      for (let i = 0; i < 4; i++) await listing.createProposal(aProposal(`p-exact-${i}`, { createdAtMs: 1_800_000_000_000 }), []);

      // Act
      const first = await listing.listProposals({ limit: 2 });
      const second = await listing.listProposals({ limit: 2, cursor: first.cursor! });

      // Assess
      expect(empty).toEqual({ proposals: [] });
      expect(first.cursor).toBeDefined();
      expect(second.cursor).toBeUndefined();
      // Same creation time: ties are ordered by id, newest-first order means descending.
      expect([...first.proposals, ...second.proposals].map((p) => p.id)).toEqual(["p-exact-3", "p-exact-2", "p-exact-1", "p-exact-0"]);
    });

    it("rejects a forged cursor and an out-of-range limit", async () => {
      const forged = Buffer.from(JSON.stringify({ PK: "NONCE#x", SK: "NONCE", GSI1PK: "OTHER", GSI1SK: "1" })).toString("base64url");
      await expect(store().listProposals({ cursor: "not a cursor" })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store().listProposals({ cursor: forged })).rejects.toBeInstanceOf(InvalidCursorError);
      // Issue 13: empty or oversized key strings passed the shape check and failed in DynamoDB (a 500).
      for (const key of [
        { PK: "", SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: "" },
        { PK: "PROPOSAL#", SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: "000000000000001#" },
        { PK: `PROPOSAL#${"x".repeat(3_000)}`, SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: `000000000000001#${"x".repeat(3_000)}` },
        { PK: "PROPOSAL#a", SK: "PROPOSAL", GSI1PK: "PROPOSALS", GSI1SK: "000000000000001#b" },
      ]) {
        await expect(store().listProposals({ cursor: Buffer.from(JSON.stringify(key)).toString("base64url") })).rejects.toBeInstanceOf(InvalidCursorError);
      }
      await expect(store().listProposals({ limit: 0 })).rejects.toBeInstanceOf(StoreInputError);
      await expect(store().listProposals({ limit: 101 })).rejects.toBeInstanceOf(StoreInputError);
    });
  });

  describe("network locks", () => {
    it("lets exactly one of 20 concurrent proposals on one network in; the others get NetworkBusyError naming it and write nothing", async () => {
      // Prepare
      const attempts = Array.from({ length: 20 }, (_, i) => aProposalWithRuns(`p-lock-${i}`, { networks: ["lock-net-a", `lock-own-${i}`] }));
      // Act
      const results = await Promise.allSettled(attempts.map(({ proposal, runs }) => store().createProposal(proposal, runs)));
      // Assess
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = `p-lock-${winners[0]}`;
      expect(await store().networkHolder("lock-net-a")).toBe(winner);
      for (const [i, r] of results.entries()) {
        if (r.status === "fulfilled") continue;
        expect(r.reason).toBeInstanceOf(NetworkBusyError);
        expect(r.reason).toMatchObject({ network: "lock-net-a", holder: winner });
        expect(await store().getProposal(`p-lock-${i}`)).toBeUndefined();
        expect(await store().listRuns(`p-lock-${i}`)).toEqual([]);
        // Its other network's lock was not taken either.
        expect(await store().networkHolder(`lock-own-${i}`)).toBeUndefined();
      }
    });

    it("frees the network when the holder releases it, and only the holder can", async () => {
      // Prepare
      const first = aProposalWithRuns("p-lock-first", { networks: ["lock-net-b"] });
      await store().createProposal(first.proposal, first.runs);
      const second = aProposalWithRuns("p-lock-second", { networks: ["lock-net-b"] });
      // Act
      await store().releaseNetwork("lock-net-b", "p-lock-second");
      const refused = await store().createProposal(second.proposal, second.runs).catch((e: unknown) => e);
      await store().saveRun({ ...first.runs[0]!, state: RunState.ACTIVATED, version: 2 }, 1);
      await store().releaseNetwork("lock-net-b", "p-lock-first");
      await store().createProposal(second.proposal, second.runs);
      // Assess
      expect(refused).toMatchObject({ holder: "p-lock-first" });
      expect(await store().networkHolder("lock-net-b")).toBe("p-lock-second");
    });

    it("takes over a lock whose holder's run is final (its release was lost in a crash)", async () => {
      // Prepare: the holder's run failed, and the process died before releasing the lock
      const first = aProposalWithRuns("p-lock-stale", { networks: ["lock-net-c"] });
      await store().createProposal(first.proposal, first.runs);
      await store().saveRun({ ...first.runs[0]!, state: RunState.FAILED, failure: { code: "drift", message: "x" }, version: 2 }, 1);
      const next = aProposalWithRuns("p-lock-next", { networks: ["lock-net-c"] });
      // Act
      await store().createProposal(next.proposal, next.runs);
      // Assess
      expect(await store().networkHolder("lock-net-c")).toBe("p-lock-next");
      expect(await store().getProposal("p-lock-next")).toEqual(next.proposal);
    });

    it("does not take over the lock of a final run still held for its cleanup, until the hold expires", async () => {
      // Prepare: the holder's run failed after its commit and is cancelling its own root (held 60 s)
      let now = 1_800_000_000_000;
      const clocked = new DynamoRunStore({ ...db.options, clock: { now: () => now } });
      const first = aProposalWithRuns("p-lock-cleaning", { networks: ["lock-net-d"] });
      await clocked.createProposal(first.proposal, first.runs);
      await clocked.holdNetwork("lock-net-d", "p-lock-cleaning", now + 60_000);
      await clocked.holdNetwork("lock-net-d", "p-not-the-holder", now + 3_600_000);
      await clocked.saveRun({ ...first.runs[0]!, state: RunState.FAILED, failure: { code: "FacetHasNoCode", message: "x" }, version: 2 }, 1);
      const next = aProposalWithRuns("p-lock-after-cleaning", { networks: ["lock-net-d"] });
      // Act / Assess: refused while the cleanup holds it, naming the holder; nothing written
      const refused = await clocked.createProposal(next.proposal, next.runs).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NetworkBusyError);
      expect(refused).toMatchObject({ network: "lock-net-d", holder: "p-lock-cleaning" });
      expect(await clocked.getProposal("p-lock-after-cleaning")).toBeUndefined();
      // The hold expired (the cleaner crashed): taken over
      now += 60_001;
      await clocked.createProposal(next.proposal, next.runs);
      expect(await clocked.networkHolder("lock-net-d")).toBe("p-lock-after-cleaning");
    });
  });

  describe("networkLock", () => {
    it("reads a network's lock with its holder and cleanup hold, and nothing once it is released", async () => {
      // Prepare: a run that failed and left its root pending holds the network with no expiry
      const { proposal, runs } = aProposalWithRuns("p-lock-read", { networks: ["lock-net-read"] });
      await store().createProposal(proposal, runs);
      const taken = await store().networkLock("lock-net-read");
      await store().saveRun({ ...runs[0]!, state: RunState.FAILED, failure: { code: "FacetHasNoCode", message: "x" }, version: 2 }, 1);
      await store().holdNetwork("lock-net-read", "p-lock-read", Number.MAX_SAFE_INTEGER);
      // Act
      const held = await store().networkLock("lock-net-read");
      await store().releaseNetwork("lock-net-read", "p-lock-read");
      const released = await store().networkLock("lock-net-read");
      // Assess
      expect(taken).toEqual({ network: "lock-net-read", holder: "p-lock-read" });
      expect(held).toEqual({ network: "lock-net-read", holder: "p-lock-read", cleanupUntilMs: Number.MAX_SAFE_INTEGER });
      expect(released).toBeUndefined();
      expect(await store().networkLock("lock-net-never")).toBeUndefined();
    });
  });

  describe("saveRun", () => {
    it("stores the next version and replaces the whole run (cleared fields disappear)", async () => {
      // Prepare
      const { proposal, runs } = aProposalWithRuns("p-save", { networks: ["net-save"] });
      await store().createProposal(proposal, runs);
      const failed: Run = { ...runs[0]!, state: RunState.FAILED, failure: { code: "drift", message: "root drifted" }, version: 2 };
      const { failure: _cleared, ...recovered } = { ...failed, state: RunState.PROPOSED, version: 3 };

      // Act
      await store().saveRun(failed, 1);
      const afterFailure = await store().getRun("p-save", "net-save");
      await store().saveRun(recovered, 2);

      // Assess
      expect(afterFailure).toEqual(failed);
      expect(await store().getRun("p-save", "net-save")).toEqual(recovered);
    });

    it("keeps the epoch a run's commit took (dispatcher v2: nextEpoch, not baseEpoch + 1)", async () => {
      // Prepare
      const { proposal, runs } = aProposalWithRuns("p-epoch", { networks: ["net-epoch"] });
      await store().createProposal(proposal, runs);
      const committed: Run = { ...runs[0]!, state: RunState.COMMITTED, etaMs: 1_800_000_600_000, activateAtMs: 1_800_000_600_000, committedEpoch: 7, version: runs[0]!.version + 1 };
      // Act
      await store().saveRun(committed, runs[0]!.version);
      // Assess
      expect(await store().getRun("p-epoch", "net-epoch")).toEqual(committed);
      expect((await store().listRuns("p-epoch"))[0]!.committedEpoch).toBe(7);
    });

    it("throws VersionConflictError carrying the stored run when the version moved on", async () => {
      // Prepare
      const { proposal, runs } = aProposalWithRuns("p-conflict", { networks: ["net-conflict"] });
      await store().createProposal(proposal, runs);
      const committed: Run = { ...runs[0]!, state: RunState.COMMITTED, etaMs: 1_800_000_600_000, version: 2 };
      await store().saveRun(committed, 1);

      // Act
      const error = await store()
        .saveRun({ ...runs[0]!, state: RunState.CANCELLED, version: 2 }, 1)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(VersionConflictError);
      expect((error as VersionConflictError).stored).toEqual(committed);
      expect((error as VersionConflictError).expectedVersion).toBe(1);
      expect(await store().getRun("p-conflict", "net-conflict")).toEqual(committed);
    });

    it("lets exactly one of 20 concurrent saves with the same expected version win", async () => {
      // Prepare
      const { proposal, runs } = aProposalWithRuns("p-race-save", { networks: ["net-race-save"] });
      await store().createProposal(proposal, runs);
      const candidates = Array.from({ length: 20 }, (_, i): Run => ({ ...runs[0]!, state: RunState.APPLYING, batchesApplied: i, version: 2 }));

      // Act
      const results = await Promise.allSettled(candidates.map((run) => store().saveRun(run, 1)));

      // Assess
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      const stored = await store().getRun("p-race-save", "net-race-save");
      expect(stored).toEqual(candidates[winners[0]!]);
      for (const r of results) {
        if (r.status === "fulfilled") continue;
        expect(r.reason).toBeInstanceOf(VersionConflictError);
        expect((r.reason as VersionConflictError).stored.version).toBe(2);
      }
    });

    it("throws RunNotFoundError for a run never created, and refuses a version that is not expected + 1", async () => {
      await expect(store().saveRun(aRun("p-ghost", "devnet-1", { version: 2 }), 1)).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(store().saveRun(aRun("p-ghost", "devnet-1", { version: 3 }), 1)).rejects.toBeInstanceOf(StoreInputError);
      expect(await store().getRun("p-ghost", "devnet-1")).toBeUndefined();
    });
  });
});
