import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCEPTED_EVENTS,
  APPLY_BATCH_GAP_MS,
  assertValidRun,
  createRun,
  describeRunState,
  IllegalTransitionError,
  InvalidRunError,
  nextStep,
  runProblems,
  RunState,
  TERMINAL_STATES,
  transition,
  type Run,
  type RunEvent,
  type RunEventType,
} from "../../src/index.js";

const T0 = 1_700_000_000_000;
const ETA = T0 + 3_600_000;
const N = 3;

/** A valid run of 3 batches in `state` (APPLYING at 1/3). */
function runIn(state: RunState): Run {
  const base: Run = { proposalId: "p1", network: "base", state, batchesApplied: 0, batchCount: N, version: 4, updatedAtMs: T0 };
  const committed = { etaMs: ETA, activateAtMs: ETA };
  switch (state) {
    case "PROPOSED":
      return base;
    case "COMMITTED":
      return { ...base, ...committed };
    case "APPLYING":
      return { ...base, ...committed, batchesApplied: 1 };
    case "APPLIED":
    case "ACTIVATED":
      return { ...base, ...committed, batchesApplied: N };
    case "FAILED":
      return { ...base, failure: { code: "drift", message: "epoch moved" } };
    case "CANCELLED":
    case "EXPIRED":
      return { ...base, ...committed, batchesApplied: 1 };
  }
}

/** A well-formed event of each type for `run` (batchApplied names the next batch). */
function eventFor(type: RunEventType, run: Run): RunEvent {
  switch (type) {
    case "committed":
      return { type, etaMs: ETA, activateAtMs: ETA + 60_000 };
    case "batchApplied":
      return { type, index: run.batchesApplied };
    case "activationNotReady":
      return { type, retryAtMs: ETA + 12_000 };
    case "failed":
      return { type, code: "codehash-mismatch", message: "facet code changed" };
    default:
      return { type };
  }
}

const STATES = Object.values(RunState);
const EVENTS: RunEventType[] = ["committed", "batchApplied", "activated", "activationNotReady", "activationPaused", "failed", "cancelled", "expired"];
const X = "illegal" as const;

// Written out by hand (not derived from ACCEPTED_EVENTS) so a change to the machine fails here.
const EXPECTED: Record<RunState, Record<RunEventType, string>> = {
  PROPOSED: { committed: "COMMITTED", batchApplied: X, activated: X, activationNotReady: X, activationPaused: X, failed: "FAILED(codehash-mismatch)", cancelled: "CANCELLED", expired: X },
  COMMITTED: { committed: X, batchApplied: "APPLYING(1/3)", activated: X, activationNotReady: X, activationPaused: X, failed: "FAILED(codehash-mismatch)", cancelled: "CANCELLED", expired: "EXPIRED" },
  APPLYING: { committed: X, batchApplied: "APPLYING(2/3)", activated: X, activationNotReady: X, activationPaused: X, failed: "FAILED(codehash-mismatch)", cancelled: "CANCELLED", expired: "EXPIRED" },
  APPLIED: { committed: X, batchApplied: X, activated: "ACTIVATED", activationNotReady: "APPLIED", activationPaused: "APPLIED", failed: "FAILED(codehash-mismatch)", cancelled: "CANCELLED", expired: "EXPIRED" },
  ACTIVATED: { committed: X, batchApplied: X, activated: X, activationNotReady: X, activationPaused: X, failed: X, cancelled: X, expired: X },
  FAILED: { committed: X, batchApplied: X, activated: X, activationNotReady: X, activationPaused: X, failed: X, cancelled: X, expired: X },
  CANCELLED: { committed: X, batchApplied: X, activated: X, activationNotReady: X, activationPaused: X, failed: X, cancelled: X, expired: X },
  EXPIRED: { committed: X, batchApplied: X, activated: X, activationNotReady: X, activationPaused: X, failed: X, cancelled: X, expired: X },
};

const cases = STATES.flatMap((state) => EVENTS.map((event) => ({ state, event, expected: EXPECTED[state][event] })));

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("transition", () => {
  it.each(cases)("$state + $event → $expected", ({ state, event, expected }) => {
    // Prepare
    const run = runIn(state);
    const before = structuredClone(run);
    // Act
    const act = () => transition(run, eventFor(event, run), T0 + 1_000);
    // Assess
    if (expected === X) {
      const error = caught(act);
      expect(error).toBeInstanceOf(IllegalTransitionError);
      expect(error).toMatchObject({ from: state, event });
    } else {
      const next = act();
      expect(describeRunState(next)).toBe(expected);
      expect(next.version).toBe(run.version + 1);
      expect(next.updatedAtMs).toBe(T0 + 1_000);
      expect(runProblems(next)).toEqual([]);
    }
    expect(run).toEqual(before);
  });

  it("covers every state × event pair in the table", () => {
    expect(cases).toHaveLength(8 * 8);
    for (const state of STATES) expect([...ACCEPTED_EVENTS[state]].sort()).toEqual(EVENTS.filter((e) => EXPECTED[state][e] !== X).sort());
  });

  it("records the ETA and activation time when committed", () => {
    const next = transition(runIn("PROPOSED"), { type: "committed", etaMs: ETA, activateAtMs: ETA + 60_000 }, T0);
    expect(next).toMatchObject({ state: "COMMITTED", etaMs: ETA, activateAtMs: ETA + 60_000, batchesApplied: 0 });
  });

  it("records the epoch the commit took, and refuses a non-positive one", () => {
    expect(transition(runIn("PROPOSED"), { type: "committed", etaMs: ETA, activateAtMs: ETA, epoch: 3 }, T0)).toMatchObject({ committedEpoch: 3 });
    expect(caught(() => transition(runIn("PROPOSED"), { type: "committed", etaMs: ETA, activateAtMs: ETA, epoch: 0 }, T0))).toBeInstanceOf(IllegalTransitionError);
  });

  it("keeps an APPLIED run's times when its activation is held by a pause", () => {
    const run = runIn("APPLIED");
    expect(transition(run, { type: "activationPaused" }, T0 + 5)).toEqual({ ...run, version: run.version + 1, updatedAtMs: T0 + 5 });
  });

  it("refuses a commit whose activation time is before the ETA", () => {
    const error = caught(() => transition(runIn("PROPOSED"), { type: "committed", etaMs: ETA, activateAtMs: ETA - 1 }, T0));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect((error as Error).message).toMatch(/before the ETA/);
  });

  it("goes from COMMITTED straight to APPLIED when the manifest has one batch", () => {
    const run: Run = { ...runIn("COMMITTED"), batchCount: 1 };
    expect(transition(run, { type: "batchApplied", index: 0 }, T0).state).toBe("APPLIED");
  });

  it("becomes APPLIED when the last batch is applied", () => {
    const run: Run = { ...runIn("APPLYING"), batchesApplied: N - 1 };
    const next = transition(run, { type: "batchApplied", index: N - 1 }, T0);
    expect(next).toMatchObject({ state: "APPLIED", batchesApplied: N });
  });

  it.each([0, 2, -1, 1.5])("refuses batch %d when batch 1 is next", (index) => {
    const error = caught(() => transition(runIn("APPLYING"), { type: "batchApplied", index }, T0));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect((error as Error).message).toMatch(/batch 1 of 3 is next/);
  });

  it("keeps APPLIED and moves activation to the retry time when activation was early", () => {
    const next = transition(runIn("APPLIED"), { type: "activationNotReady", retryAtMs: ETA + 12_000 }, T0);
    expect(next).toMatchObject({ state: "APPLIED", activateAtMs: ETA + 12_000, etaMs: ETA });
  });

  it("never moves activation earlier than a coordinated cut-over when activation was early", () => {
    const run: Run = { ...runIn("APPLIED"), activateAtMs: ETA + 600_000 };
    expect(transition(run, { type: "activationNotReady", retryAtMs: ETA }, T0).activateAtMs).toBe(ETA + 600_000);
  });

  it("records the failure's code and message when failed", () => {
    const next = transition(runIn("APPLYING"), { type: "failed", code: "drift", message: "epoch moved" }, T0);
    expect(next).toMatchObject({ state: "FAILED", failure: { code: "drift", message: "epoch moved" }, batchesApplied: 1 });
  });

  it("refuses a failure without a code", () => {
    expect(() => transition(runIn("COMMITTED"), { type: "failed", code: " ", message: "?" }, T0)).toThrow(IllegalTransitionError);
  });

  it("says a final run accepts nothing when the run is terminal", () => {
    expect(() => transition(runIn("ACTIVATED"), { type: "cancelled" }, T0)).toThrow(/ACTIVATED is final/);
  });

  it("refuses a non-finite time", () => {
    expect(() => transition(runIn("APPLIED"), { type: "activated" }, Number.NaN)).toThrow(IllegalTransitionError);
  });

  it.each<[string, Partial<Run>]>([
    ["0 batches", { batchCount: 0 }],
    ["APPLYING at k = n", { state: "APPLYING", batchesApplied: N }],
    ["APPLYING at k = 0", { state: "APPLYING", batchesApplied: 0 }],
    ["more batches applied than planned", { state: "APPLIED", batchesApplied: N + 1 }],
    ["COMMITTED without an ETA", { state: "COMMITTED", etaMs: undefined }],
    ["FAILED without a failure", { state: "FAILED", failure: undefined }],
    ["a negative version", { version: -1 }],
  ])("throws InvalidRunError for a run with %s", (_, patch) => {
    const run = { ...runIn("COMMITTED"), ...patch } as Run;
    expect(() => transition(run, { type: "cancelled" }, T0)).toThrow(InvalidRunError);
  });
});

describe("createRun", () => {
  it("creates a PROPOSED run at version 0", () => {
    const run = createRun({ proposalId: "p", network: "base", batchCount: 2, nowMs: T0 });
    expect(run).toEqual({ proposalId: "p", network: "base", state: "PROPOSED", batchesApplied: 0, batchCount: 2, version: 0, updatedAtMs: T0 });
  });

  it("refuses a run with 0 batches", () => {
    expect(() => createRun({ proposalId: "p", network: "base", batchCount: 0, nowMs: T0 })).toThrow(InvalidRunError);
  });
});

describe("nextStep", () => {
  it("commits a PROPOSED run now, or at the earliest commit time if later", () => {
    expect(nextStep(runIn("PROPOSED"))).toEqual({ step: "commit", attempt: "0", atMs: T0 });
    expect(nextStep(runIn("PROPOSED"), { earliestCommitAtMs: T0 + 5 })).toEqual({ step: "commit", attempt: "0", atMs: T0 + 5 });
    expect(nextStep(runIn("PROPOSED"), { earliestCommitAtMs: T0 - 5 })?.atMs).toBe(T0);
  });

  it("applies batch 0 right after the commit", () => {
    expect(nextStep(runIn("COMMITTED"))).toEqual({ step: "apply", attempt: "0", atMs: T0 });
  });

  it("applies batch k five seconds after batch k-1 when APPLYING", () => {
    expect(nextStep(runIn("APPLYING"))).toEqual({ step: "apply", attempt: "1", atMs: T0 + APPLY_BATCH_GAP_MS });
    expect(APPLY_BATCH_GAP_MS).toBe(5_000);
  });

  it("activates at activateAtMs when APPLIED", () => {
    expect(nextStep({ ...runIn("APPLIED"), activateAtMs: ETA + 7 })).toEqual({ step: "activate", attempt: "4", atMs: ETA + 7 });
  });

  it("gives a rescheduled activation a new attempt when activation was early", () => {
    const run = runIn("APPLIED");
    const retried = transition(run, { type: "activationNotReady", retryAtMs: ETA }, T0);
    expect(nextStep(retried)?.attempt).not.toBe(nextStep(run)?.attempt);
    expect(nextStep(retried)?.atMs).toBe(ETA);
  });

  it.each(["ACTIVATED", "FAILED", "CANCELLED", "EXPIRED"] as const)("returns nothing when %s", (state) => {
    expect(nextStep(runIn(state))).toBeUndefined();
  });
});

describe("describeRunState", () => {
  it.each<[RunState, string]>([
    ["PROPOSED", "PROPOSED"],
    ["COMMITTED", "COMMITTED"],
    ["APPLYING", "APPLYING(1/3)"],
    ["APPLIED", "APPLIED"],
    ["ACTIVATED", "ACTIVATED"],
    ["FAILED", "FAILED(drift)"],
    ["CANCELLED", "CANCELLED"],
    ["EXPIRED", "EXPIRED"],
  ])("describes %s as %s", (state, text) => {
    expect(describeRunState(runIn(state))).toBe(text);
  });
});

/** An event template: `next` batch events are filled in with the run's next index. */
const eventArb: fc.Arbitrary<RunEvent | { type: "nextBatch" }> = fc.oneof(
  fc.record({ type: fc.constant("committed" as const), etaMs: fc.integer({ min: 0, max: 2 * ETA }), activateAtMs: fc.integer({ min: 0, max: 2 * ETA }) }),
  fc.record({ type: fc.constant("batchApplied" as const), index: fc.integer({ min: -1, max: 8 }) }),
  fc.constant({ type: "nextBatch" as const }),
  fc.constant({ type: "nextBatch" as const }),
  fc.constant({ type: "activated" as const }),
  fc.record({ type: fc.constant("activationNotReady" as const), retryAtMs: fc.integer({ min: 0, max: 2 * ETA }) }),
  fc.record({ type: fc.constant("failed" as const), code: fc.constantFrom("drift", "", "reverted"), message: fc.string() }),
  fc.constant({ type: "cancelled" as const }),
  fc.constant({ type: "expired" as const }),
);

describe("transition (properties)", () => {
  it("never produces an invalid run, bumps the version by exactly 1 per accepted event, and terminal is absorbing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(eventArb, { maxLength: 40 }), (batchCount, templates) => {
        let run = createRun({ proposalId: "p", network: "devnet-1", batchCount, nowMs: T0 });
        let now = T0;
        for (const template of templates) {
          const event: RunEvent = template.type === "nextBatch" ? { type: "batchApplied", index: run.batchesApplied } : template;
          now += 1_000;
          const wasTerminal = TERMINAL_STATES.has(run.state);
          let next: Run;
          try {
            next = transition(run, event, now);
          } catch (error) {
            expect(error).toBeInstanceOf(IllegalTransitionError);
            continue;
          }
          expect(wasTerminal).toBe(false);
          expect(next.version).toBe(run.version + 1);
          expect(next.batchesApplied).toBeGreaterThanOrEqual(run.batchesApplied);
          expect(next.batchesApplied).toBeLessThanOrEqual(next.batchCount);
          expect(() => assertValidRun(next)).not.toThrow();
          run = next;
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reaches ACTIVATED after commit, n batches and activation, at version n + 2", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (n) => {
        let run = createRun({ proposalId: "p", network: "base", batchCount: n, nowMs: T0 });
        run = transition(run, { type: "committed", etaMs: ETA, activateAtMs: ETA }, T0);
        for (let k = 0; k < n; k++) run = transition(run, { type: "batchApplied", index: k }, T0);
        run = transition(run, { type: "activated" }, ETA);
        expect(run).toMatchObject({ state: "ACTIVATED", batchesApplied: n, version: n + 2 });
        expect(nextStep(run)).toBeUndefined();
      }),
    );
  });
});
