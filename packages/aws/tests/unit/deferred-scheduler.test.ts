import type { ScheduledJob, Scheduler } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { DeferredScheduler, EVENTBRIDGE_SCHEDULER_PRECISION_MS, RoutingScheduler, SQS_DELAY_PRECISION_MS } from "../../src/scheduler/index.js";

const NOW = Date.UTC(2026, 6, 1, 12, 0, 0);
const job: ScheduledJob = { name: "p1:devnet-1:apply:0", step: "apply", proposalId: "p1", network: "devnet-1", attempt: "0", runAtMs: NOW + 5_000 };

/** A transport that records what it was asked, and a builder counting its builds (failing the first `failures`). */
function recordingTransport(failures = 0) {
  const calls: string[] = [];
  const transport: Scheduler = { schedule: async (j) => void calls.push(`schedule ${j.name}`), cancel: async (name) => void calls.push(`cancel ${name}`) };
  const builds = { count: 0 };
  const build = async () => {
    builds.count++;
    if (builds.count <= failures) throw new Error("client module failed to load");
    return transport;
  };
  return { calls, builds, build };
}

describe("DeferredScheduler", () => {
  it("builds its transport on the first schedule or cancel, once, and passes every call on", async () => {
    // Prepare
    const { calls, builds, build } = recordingTransport();
    const scheduler = new DeferredScheduler(build, SQS_DELAY_PRECISION_MS);

    // Act
    const before = builds.count;
    await scheduler.schedule(job);
    await scheduler.cancel(job.name);

    // Assess
    expect(before).toBe(0);
    expect(builds.count).toBe(1);
    expect(calls).toEqual([`schedule ${job.name}`, `cancel ${job.name}`]);
  });

  it("states the transport's precision without building it", () => {
    // Prepare
    const { builds, build } = recordingTransport();

    // Act
    const precision = new DeferredScheduler(build, EVENTBRIDGE_SCHEDULER_PRECISION_MS).precisionMs(120_000);

    // Assess
    expect(precision).toBe(60_000);
    expect(builds.count).toBe(0);
  });

  it("builds again on the next call when a build failed", async () => {
    // Prepare
    const { calls, builds, build } = recordingTransport(1);
    const scheduler = new DeferredScheduler(build, SQS_DELAY_PRECISION_MS);

    // Act
    const first = scheduler.schedule(job);
    await expect(first).rejects.toThrow("client module failed to load");
    await scheduler.schedule(job);

    // Assess
    expect(builds.count).toBe(2);
    expect(calls).toEqual([`schedule ${job.name}`]);
  });

  it("gives a RoutingScheduler the precision of the transport a delay would take, as the built transports do", () => {
    // Prepare
    const near = new DeferredScheduler(recordingTransport().build, SQS_DELAY_PRECISION_MS);
    const far = new DeferredScheduler(recordingTransport().build, EVENTBRIDGE_SCHEDULER_PRECISION_MS);

    // Act
    const router = new RoutingScheduler({ near, far, clock: { now: () => NOW } });

    // Assess
    expect(router.precisionMs(5_000)).toBe(1_000);
    expect(router.precisionMs(3_600_000)).toBe(60_000);
  });
});
