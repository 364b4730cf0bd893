/**
 * The local scheduler against the real DynamoDB Local (one instance for the file, one table per test).
 * Time is a manual clock and randomness a seeded source: nothing here waits for wall-clock minutes.
 */
import { createTable, DynamoJobStore, JobStatus } from "@payrox/aws";
import { createLocalDynamoClient, startDynamoDbLocal, type DynamoDbLocal } from "@payrox/aws/testing";
import { StepName, type ScheduledJob } from "@payrox/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fireTimeFor, LocalScheduler, minuteFloor, seededRandom, type JobDispatch, type LocalSchedulerOptions } from "../src/index.js";

/** A minute boundary, so jitter bounds are easy to read. */
const MINUTE = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);

let local: DynamoDbLocal;
let tableName: string;
let tableCount = 0;
/** Clients of simulated other processes, destroyed with the file. */
const extraClients: ReturnType<typeof createLocalDynamoClient>[] = [];

beforeAll(async () => {
  local = await startDynamoDbLocal();
});
afterAll(async () => {
  for (const client of extraClients) client.destroy();
  await local?.stop();
});
beforeEach(async () => {
  tableName = `local-scheduler-${++tableCount}`;
  await createTable(local.client, tableName);
});

/** A clock the test moves by hand. */
function manualClock(startMs: number): { now(): number; set(ms: number): void } {
  let nowMs = startMs;
  return { now: () => nowMs, set: (ms) => (nowMs = ms) };
}

/** A store on the test's table; `fresh` gives it its own client, like another process would have. */
function jobStore(fresh = false): DynamoJobStore {
  const client = fresh ? createLocalDynamoClient(local.endpoint) : local.client;
  if (fresh) extraClients.push(client);
  return new DynamoJobStore({ client, tableName });
}

function scheduler(clock: { now(): number }, options: Partial<LocalSchedulerOptions> = {}): LocalScheduler {
  return new LocalScheduler({ store: jobStore(), clock, ...options });
}

function job(name: string, runAtMs: number): ScheduledJob {
  return { name, step: StepName.APPLY, proposalId: "p1", network: "devnet-1", attempt: name, runAtMs };
}

/** A dispatch that records which job fired at what scheduler time. */
function recorder(clock: { now(): number }): { dispatch: JobDispatch; fired: { name: string; atMs: number }[] } {
  const fired: { name: string; atMs: number }[] = [];
  return { fired, dispatch: async (j) => void fired.push({ name: j.name, atMs: clock.now() }) };
}

describe("LocalScheduler", () => {
  it("fires jobs in due order, each once, not before it is due", async () => {
    // Prepare
    const clock = manualClock(MINUTE);
    const sched = scheduler(clock);
    const { dispatch, fired } = recorder(clock);
    for (const [name, offset] of [["c", 300], ["a", 100], ["b", 200]] as const) await sched.schedule(job(name, MINUTE + offset));

    // Act
    clock.set(MINUTE + 99);
    const early = await sched.tick(dispatch);
    clock.set(MINUTE + 250);
    await sched.tick(dispatch);
    clock.set(MINUTE + 300);
    await sched.tick(dispatch);
    await sched.tick(dispatch);

    // Assess
    expect(early).toEqual([]);
    expect(fired).toEqual([{ name: "a", atMs: MINUTE + 250 }, { name: "b", atMs: MINUTE + 250 }, { name: "c", atMs: MINUTE + 300 }]);
    expect((await jobStore().get("a"))?.status).toBe(JobStatus.DONE);
  });

  it("fires a job scheduled twice only once", async () => {
    // Prepare
    const clock = manualClock(MINUTE);
    const sched = scheduler(clock);
    const { dispatch, fired } = recorder(clock);
    await sched.schedule(job("twice", MINUTE + 1_000));
    await scheduler(clock).schedule(job("twice", MINUTE + 2_000));

    // Act
    clock.set(MINUTE + 5_000);
    await sched.tick(dispatch);
    await sched.tick(dispatch);

    // Assess
    expect(fired.map((f) => f.name)).toEqual(["twice"]);
  });

  it("never fires a job twice when two loops poll the same table", async () => {
    // Prepare
    const clock = manualClock(MINUTE);
    const first = scheduler(clock);
    const second = new LocalScheduler({ store: jobStore(true), clock });
    const { dispatch, fired } = recorder(clock);
    for (let i = 0; i < 10; i++) await first.schedule(job(`race-${i}`, MINUTE + i));

    // Act
    clock.set(MINUTE + 60_000);
    await Promise.all([first.tick(dispatch), second.tick(dispatch), first.tick(dispatch), second.tick(dispatch)]);

    // Assess
    expect(fired.map((f) => f.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `race-${i}`).sort());
  });

  it("does not fire a cancelled job", async () => {
    // Prepare
    const clock = manualClock(MINUTE);
    const sched = scheduler(clock);
    const { dispatch, fired } = recorder(clock);
    await sched.schedule(job("kept", MINUTE + 1_000));
    await sched.schedule(job("cancelled", MINUTE + 1_000));

    // Act
    await sched.cancel("cancelled");
    clock.set(MINUTE + 2_000);
    await sched.tick(dispatch);

    // Assess
    expect(fired.map((f) => f.name)).toEqual(["kept"]);
    expect(await jobStore().get("cancelled")).toBeUndefined();
  });

  it("resumes a pending job after a restart, and re-claims the job of a crashed loop once its lease expired", async () => {
    // Prepare: the first process schedules two jobs, fires one and dies while dispatching it
    const clock = manualClock(MINUTE);
    const crashedStore = jobStore(true);
    const crashed = new LocalScheduler({ store: crashedStore, clock, leaseMs: 30_000 });
    await crashed.schedule(job("in-flight", MINUTE + 1_000));
    await crashed.schedule(job("pending", MINUTE + 20_000));
    clock.set(MINUTE + 1_000);
    let started!: () => void;
    const dispatchStarted = new Promise<void>((resolve) => (started = resolve));
    void crashed.tick(() => (started(), new Promise<void>(() => undefined)));
    await dispatchStarted;

    // Act: a new process on the same table
    const restarted = new LocalScheduler({ store: jobStore(true), clock });
    const { dispatch, fired } = recorder(clock);
    clock.set(MINUTE + 30_999);
    await restarted.tick(dispatch);
    clock.set(MINUTE + 31_000);
    const outcomes = await restarted.tick(dispatch);

    // Assess
    expect(fired).toEqual([{ name: "pending", atMs: MINUTE + 30_999 }, { name: "in-flight", atMs: MINUTE + 31_000 }]);
    expect(outcomes).toEqual([{ name: "in-flight", status: "done", attempt: 2 }]);
    expect(await jobStore().get("in-flight")).toMatchObject({ status: JobStatus.DONE, leaseOwner: restarted.owner });
  });

  it("retries a failing dispatch with back-off, then records it as failed", async () => {
    // Prepare
    const clock = manualClock(MINUTE);
    const sched = scheduler(clock, { retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 } });
    const attempts: { atMs: number; attempt: number }[] = [];
    const failing: JobDispatch = async (_job, firing) => {
      attempts.push({ atMs: clock.now(), attempt: firing.attempt });
      throw new Error("relay unreachable");
    };
    await sched.schedule(job("flaky", MINUTE));

    // Act: poll every 500 ms for 10 s
    const statuses: string[] = [];
    for (let t = MINUTE; t <= MINUTE + 10_000; t += 500) {
      clock.set(t);
      statuses.push(...(await sched.tick(failing)).map((o) => o.status));
    }

    // Assess: retries 1 s, then 2 s after each failure
    expect(attempts).toEqual([{ atMs: MINUTE, attempt: 1 }, { atMs: MINUTE + 1_000, attempt: 2 }, { atMs: MINUTE + 3_000, attempt: 3 }]);
    expect(statuses).toEqual(["retrying", "retrying", "failed"]);
    expect(await jobStore().get("flaky")).toMatchObject({ status: JobStatus.FAILED, attempts: 3, lastError: "relay unreachable" });
  });

  it("fires within [minuteFloor(T), minuteFloor(T) + 60 s) with eventbridge jitter, sometimes before T", async () => {
    // Prepare: 30 jobs due 45 s into a minute
    const runAt = MINUTE + 45_000;
    const clock = manualClock(MINUTE - 5_000);
    const sched = scheduler(clock, { jitter: { mode: "eventbridge" }, random: seededRandom(7) });
    const { dispatch, fired } = recorder(clock);
    for (let i = 0; i < 30; i++) await sched.schedule(job(`jitter-${i}`, runAt));

    // Act: poll every second across the minute and past it
    for (let t = MINUTE - 5_000; t <= MINUTE + 65_000; t += 1_000) {
      clock.set(t);
      await sched.tick(dispatch);
    }

    // Assess
    const times = fired.map((f) => f.atMs);
    expect(fired.map((f) => f.name).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `jitter-${i}`).sort());
    expect(Math.min(...times)).toBeGreaterThanOrEqual(MINUTE);
    expect(Math.max(...times)).toBeLessThan(MINUTE + 60_000);
    expect(times.filter((t) => t < runAt).length).toBeGreaterThan(0);
    expect(times.filter((t) => t >= runAt).length).toBeGreaterThan(0);
    // Same seed → same fire times: each job fired at the first poll at or after its drawn moment.
    const draw = seededRandom(7);
    const expected = Array.from({ length: 30 }, (_, i) => ({ name: `jitter-${i}`, atMs: Math.ceil(fireTimeFor(runAt, { mode: "eventbridge" }, draw) / 1_000) * 1_000 }));
    expect([...fired].sort((x, y) => x.name.localeCompare(y.name))).toEqual(expected.sort((x, y) => x.name.localeCompare(y.name)));
  });

  it("draws eventbridge fire times from the whole minute of T and never outside it", () => {
    // Prepare
    const runAt = MINUTE + 45_000;

    // Act
    const lowest = fireTimeFor(runAt, { mode: "eventbridge" }, () => 0);
    const highest = fireTimeFor(runAt, { mode: "eventbridge" }, () => 0.999_999_9);
    const onBoundary = fireTimeFor(MINUTE + 60_000, { mode: "eventbridge" }, () => 0);

    // Assess
    expect([lowest, highest, onBoundary]).toEqual([MINUTE, MINUTE + 59_999, MINUTE + 60_000]);
    expect(minuteFloor(runAt)).toBe(MINUTE);
    expect(fireTimeFor(runAt, { mode: "none" }, () => 0.5)).toBe(runAt);
  });

  it("runs a polling loop that fires due jobs until stopped", async () => {
    // Prepare
    const clock = manualClock(MINUTE + 10_000);
    const sched = scheduler(clock);
    await sched.schedule(job("looped", MINUTE + 5_000));
    let fired!: () => void;
    const firedOnce = new Promise<void>((resolve) => (fired = resolve));

    // Act
    sched.start({ dispatch: async () => fired(), pollMs: 10 });
    await firedOnce;
    await sched.stop();

    // Assess
    expect(await jobStore().get("looped")).toMatchObject({ status: JobStatus.DONE });
    expect(() => sched.start({ dispatch: async () => undefined })).not.toThrow();
    await sched.stop();
  });
});
