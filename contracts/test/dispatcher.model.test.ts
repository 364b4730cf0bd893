/**
 * Model-based test of the ManifestDispatcher (v2): fast-check generates random sequences of lifecycle and
 * emergency actions (commit — also with a wrong leaf count or a recommitted earlier manifest —, apply,
 * activate, chunked and named cancel, pause, unpause, disable, activation-delay changes, time jumps), each
 * action is run on the contract and on a small reference model, and they must agree.
 *
 * The model is deliberately naive TypeScript, with no knowledge of the contract's storage encoding:
 *   - `live`: selector → facet of every LIVE route (unknown, staged-only, removed and disabled selectors are
 *     simply absent),
 *   - `pending`: the committed manifest (leaves, tree, leaf count, ETA), the set of applied leaf indices and
 *     the routes they staged (selector → facet, zero = removal),
 *   - `paused`, `activeEpoch`, `activeRoot`, `lastEpoch` (every commit takes the next epoch), the cancel in
 *     progress, the activation delay and a scheduled decrease, and `now` (the timestamp of the latest block:
 *     every transaction is mined at exactly `now + 1`, so time-based checks are exact).
 * For every transaction the model predicts success or the exact custom error (name and arguments); after
 * every action the routed calls, the loupe and the views are compared with the model.
 */
import fc from "fast-check";
import { Contract, ZeroAddress, ZeroHash, id } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { describe, expect, it } from "vitest";
import { removal, type RouteLeaf } from "../lib/batch.js";
import {
  DELAY,
  EXPIRY,
  buildManifestTree,
  codehashOf,
  deployDispatcher,
  encodeBatch,
  errorsInterface,
  ethers,
  revertData,
  time,
  type DispatcherFixture,
} from "./fixtures.js";

/** Runs and the seed can be overridden for a longer hunt: FC_RUNS=500 FC_SEED=123 npx vitest run ... */
const NUM_RUNS = Number(process.env.FC_RUNS ?? 30);
const MAX_STEPS = 25;
/** A run takes ~1 s; the limit mostly bounds shrinking after a failure (the smallest case so far is reported). */
const TIME_LIMIT_MS = Math.max(240_000, NUM_RUNS * 3_000);
const GAS = 5_000_000n; // explicit, so a reverting transaction is still mined (at the timestamp we set)

// ───────────────────────────── the selector pool ─────────────────────────────

type FacetKey = "bench" | "v1" | "v2" | "zero";
type Target = "natural" | "alt" | "zero";

const selectorOf = (signature: string) => id(signature).slice(0, 10);

/**
 * Selectors manifests route, each with the facet that implements it ("natural") and another one ("alt").
 * A routed call's result identifies the facet in most cases: version() returns 1 or 2, f0x() returns x on
 * BenchFacet and reverts without data on a counter facet, and so on (expected results are obtained by
 * calling the facet directly).
 */
const POOL: { selector: string; natural: FacetKey; alt: FacetKey }[] = [
  { selector: selectorOf("version()"), natural: "v1", alt: "v2" },
  { selector: selectorOf("count()"), natural: "v2", alt: "v1" },
  { selector: selectorOf("greet()"), natural: "v1", alt: "bench" },
  { selector: selectorOf("decrement()"), natural: "v2", alt: "v1" },
  { selector: selectorOf("f00()"), natural: "bench", alt: "v2" },
  { selector: selectorOf("f01()"), natural: "bench", alt: "v1" },
  { selector: selectorOf("f02()"), natural: "bench", alt: "v2" },
  { selector: selectorOf("f03()"), natural: "bench", alt: "v1" },
  { selector: selectorOf("stored()"), natural: "bench", alt: "v2" },
];

/** Selectors that can never be routed or disabled: an admin-facet one, a router one, and 0x00000000. */
const SPECIAL = [selectorOf("pause()"), selectorOf("commitRoot(bytes32,uint64,uint32,bytes32,bytes32[])"), "0x00000000"];

const ROLE = {
  admin: ZeroHash,
  commit: id("COMMIT_ROLE"),
  apply: id("APPLY_ROLE"),
  emergency: id("EMERGENCY_ROLE"),
};

// ───────────────────────────── actions ─────────────────────────────

type Who = "role" | "outsider";
type TimeJump = "small" | "beforeEta" | "atEta" | "inWindow" | "atDeadline" | "pastExpiry" | "big";
type ApplyMode = "all" | "some" | "overlap" | "foreign" | "empty";

type Action =
  | {
      kind: "commit";
      entries: { pool: number; target: Target }[];
      /** Add a second leaf for the first entry's selector (the manifest can then never be fully applied). */
      dup: boolean;
      /** Add a leaf for an unroutable selector (index into SPECIAL). */
      special: number | null;
      /** Recommit an earlier manifest (v2: allowed, as a new epoch). */
      reuse: boolean;
      epochDelta: number;
      leafDelta: number;
      who: Who;
    }
  | { kind: "apply"; mode: ApplyMode; batches: number; seed: number; who: Who }
  | { kind: "activate"; who: Who }
  /** A cancel chunk of `chunk` routes, naming the pending root (or, `stale`, an earlier one). */
  | { kind: "cancel"; by: "committer" | "emergency" | "outsider"; chunk: number; stale: boolean }
  | { kind: "delay"; seconds: number; who: Who }
  | { kind: "pause"; who: Who }
  | { kind: "unpause"; who: Who }
  /**
   * Disable a live selector, one the pending manifest staged, one it staged over a live route, a pool
   * selector or an unroutable one.
   */
  | { kind: "disable"; pick: "live" | "staged" | "replaced" | "pool" | "special"; index: number; who: Who }
  | { kind: "time"; to: TimeJump };

const weighted = <T,>(...options: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...options.map(([weight, arbitrary]) => ({ weight, arbitrary })));
const rarely = <T,>(usual: T, rare: fc.Arbitrary<T>, odds = 12) => weighted([odds, fc.constant(usual)], [1, rare]);
const whoArb: fc.Arbitrary<Who> = rarely<Who>("role", fc.constant("outsider"));

type Of<K extends Action["kind"]> = Extract<Action, { kind: K }>;

const entriesArb = (target: fc.Arbitrary<Target>, minLength: number) =>
  fc.array(fc.record({ pool: fc.nat(POOL.length - 1), target }), { minLength, maxLength: 6, size: "max" });

const commitArb: fc.Arbitrary<Of<"commit">> = fc.record({
  kind: fc.constant("commit" as const),
  entries: entriesArb(weighted<Target>([3, fc.constant("natural")], [1, fc.constant("alt")], [1, fc.constant("zero")]), 1),
  dup: rarely(false, fc.constant(true), 20),
  special: rarely<number | null>(null, fc.nat(SPECIAL.length - 1), 20),
  reuse: rarely(false, fc.constant(true), 10),
  epochDelta: rarely(0, fc.constantFrom(-1, 1), 15),
  leafDelta: rarely(0, fc.constantFrom(-1, 1), 20),
  who: whoArb,
});

const applyArb = (mode: fc.Arbitrary<ApplyMode>, who: fc.Arbitrary<Who>): fc.Arbitrary<Of<"apply">> =>
  fc.record({ kind: fc.constant("apply" as const), mode, batches: fc.integer({ min: 1, max: 3 }), seed: fc.nat(), who });

const timeArb = (to: fc.Arbitrary<TimeJump>): fc.Arbitrary<Of<"time">> => fc.record({ kind: fc.constant("time" as const), to });

const activateArb = (who: fc.Arbitrary<Who>): fc.Arbitrary<Of<"activate">> => fc.record({ kind: fc.constant("activate" as const), who });

const cancelArb = (by: fc.Arbitrary<Of<"cancel">["by"]>): fc.Arbitrary<Of<"cancel">> =>
  fc.record({
    kind: fc.constant("cancel" as const),
    by,
    chunk: weighted([3, fc.constant(1000)], [2, fc.integer({ min: 0, max: 3 })]),
    stale: rarely(false, fc.constant(true), 10),
  });

const delayArb: fc.Arbitrary<Of<"delay">> = fc.record({
  kind: fc.constant("delay" as const),
  seconds: fc.constantFrom(0, 1, 5, DELAY - 1, DELAY, DELAY + 30, 30 * 86400 + 1),
  who: whoArb,
});

const disableArb = (pick: fc.Arbitrary<Of<"disable">["pick"]>): fc.Arbitrary<Of<"disable">> =>
  fc.record({ kind: fc.constant("disable" as const), pick, index: fc.nat(), who: whoArb });

/** Any single action. */
const actionArb: fc.Arbitrary<Action> = weighted<Action>(
  [4, commitArb],
  [
    6,
    applyArb(
      weighted<ApplyMode>([4, fc.constant("all")], [3, fc.constant("some")], [1, fc.constant("overlap")], [1, fc.constant("foreign")], [1, fc.constant("empty")]),
      whoArb,
    ),
  ],
  [4, activateArb(whoArb)],
  [3, cancelArb(fc.constantFrom("committer", "committer", "emergency", "outsider"))],
  [2, delayArb],
  [2, fc.record({ kind: fc.constant("pause" as const), who: whoArb })],
  [3, fc.record({ kind: fc.constant("unpause" as const), who: whoArb })],
  [5, disableArb(weighted([4, fc.constant("live")], [3, fc.constant("staged")], [2, fc.constant("pool")], [1, fc.constant("special")]))],
  [
    5,
    timeArb(
      weighted<TimeJump>(
        [1, fc.constant("small")],
        [1, fc.constant("beforeEta")],
        [2, fc.constant("atEta")],
        [2, fc.constant("inWindow")],
        [1, fc.constant("atDeadline")],
        [1, fc.constant("pastExpiry")],
        [1, fc.constant("big")],
      ),
    ),
  ],
);

/*
 * Purely random sequences rarely get through a whole lifecycle, so scenarios are mostly built from
 * episodes: an upgrade (commit → apply everything → wait for the ETA → activate) or an aborted one
 * (commit → apply → cancel), each with up to two random actions between its steps (which may well derail
 * it: that's the point) and maybe an emergency disable of a selector the manifest just staged. An episode
 * may start with a cancel (a derailed, e.g. expired, root blocks every later commit). Most scenarios start
 * with an undisturbed upgrade, so that later manifests replace and remove live routes.
 */
const one = (arbitrary: fc.Arbitrary<Action>) => arbitrary.map((a) => [a]);
const sequence = (...parts: fc.Arbitrary<Action[]>[]) => fc.tuple(...parts).map((p) => p.flat());
const noiseArb = fc.array(actionArb, { maxLength: 2 });
const maybe = (arbitrary: fc.Arbitrary<Action>, freq: number) => fc.option(one(arbitrary), { nil: [], freq });
const maybeDisableStagedArb = maybe(disableArb(fc.constantFrom("replaced", "replaced", "staged")), 2);
const maybeCancelArb = maybe(cancelArb(fc.constantFrom("committer", "emergency")), 3);
const cancelToTheEndArb = fc
  .tuple(fc.constantFrom<Of<"cancel">["by"]>("committer", "emergency"), fc.integer({ min: 1, max: 3 }))
  .map(([by, chunk]): Action[] => Array.from({ length: 8 }, () => ({ kind: "cancel", by, chunk, stale: false })));

/** Routes at least three selectors to their natural facets, undisturbed. */
const bootstrapArb = sequence(
  one(
    entriesArb(fc.constant("natural"), 3).map(
      (entries): Action => ({ kind: "commit", entries, dup: false, special: null, reuse: false, epochDelta: 0, leafDelta: 0, who: "role" }),
    ),
  ),
  one(applyArb(fc.constant("all"), fc.constant("role"))),
  one(timeArb(fc.constant("atEta"))),
  one(activateArb(fc.constant("role"))),
);

const upgradeArb = sequence(
  maybeCancelArb,
  one(commitArb),
  noiseArb,
  one(applyArb(fc.constant("all"), fc.constant("role"))),
  maybeDisableStagedArb,
  noiseArb,
  one(timeArb(fc.constantFrom("atEta", "inWindow"))),
  noiseArb,
  one(activateArb(fc.constant("role"))),
);

const abortArb = sequence(
  maybeCancelArb,
  one(commitArb),
  noiseArb,
  one(applyArb(fc.constantFrom("all", "some"), fc.constant("role"))),
  maybeDisableStagedArb,
  noiseArb,
  fc.oneof(one(cancelArb(fc.constantFrom("committer", "emergency"))), cancelToTheEndArb),
);

const scenarioArb: fc.Arbitrary<Action[]> = fc
  .tuple(
    fc.option(bootstrapArb, { nil: [], freq: 5 }),
    fc.array(weighted([4, upgradeArb], [2, abortArb], [1, one(actionArb)]), { minLength: 1, maxLength: 5 }),
  )
  .map(([bootstrap, parts]) => [...bootstrap, ...parts.flat()].slice(0, MAX_STEPS));

// ───────────────────────────── the model ─────────────────────────────

interface Manifest {
  routes: RouteLeaf[];
  tree: ReturnType<typeof buildManifestTree>;
  root: string;
}

interface Pending {
  manifest: Manifest;
  epoch: number;
  leafCount: number;
  eta: number;
  applied: Set<number>; // leaf indices
  staged: Map<string, string>; // selector → facet (ZeroAddress = removal)
  /** Routes still staged while a cancel runs (null: no cancel started). */
  cancelRemaining: number | null;
}

interface Model {
  now: number;
  activeEpoch: number;
  activeRoot: string;
  live: Map<string, string>;
  pending: Pending | null;
  paused: boolean;
  /** Epoch of the last commit (cancelled or not); the next commit must name lastEpoch + 1. */
  lastEpoch: number;
  delay: number;
  /** A scheduled decrease: the delay and the time it takes effect. */
  scheduled: { delay: number; at: number } | null;
  /** Every distinct manifest built in this run (for reuse and foreign batches). */
  manifests: Manifest[];
}

/** What the model expects a transaction to do: revert with exactly this error, or succeed with an effect. */
type Prediction = { error: string; args: unknown[] } | { effect: () => void };
const fail = (error: string, ...args: unknown[]): Prediction => ({ error, args });
const succeed = (effect: () => void = () => {}): Prediction => ({ effect });

interface Run {
  f: DispatcherFixture;
  model: Model;
  facets: Record<FacetKey, { address: string; codehash: string }>;
  adminSelectors: string[];
  routerSelectors: string[];
  unroutable: Set<string>;
  /** `selector@facet` → outcome of calling the facet directly (what a routed call must return). */
  direct: Map<string, string>;
  /** Every selector that appeared in a manifest or the pool (the routed-call and facetAddress checks). */
  observed: Set<string>;
  salt: number;
  stats: Map<string, number>;
}

async function setUp(): Promise<Run> {
  const f = await deployDispatcher(); // snapshot revert: every run starts from the same fresh deployment
  const facets = {} as Run["facets"];
  for (const key of ["bench", "v1", "v2"] as const) {
    const address = await f[key].getAddress();
    facets[key] = { address, codehash: await codehashOf(address) };
  }
  facets.zero = { address: ZeroAddress, codehash: ZeroHash };
  const admin = new Contract(f.adminFacet, f.dispatcher.interface, ethers.provider);
  const adminSelectors = ([...(await admin.routedSelectors())] as string[]).map((s) => s.toLowerCase());
  const routerSelectors = ["commitRoot", "applyRoutes", "activateCommittedRoot"].map((n) => f.router.interface.getFunction(n)!.selector);
  const direct = new Map<string, string>();
  for (const { selector } of POOL) {
    for (const key of ["bench", "v1", "v2"] as const) {
      direct.set(`${selector}@${facets[key].address}`, await outcome(facets[key].address, selector));
    }
  }
  return {
    f,
    facets,
    adminSelectors,
    routerSelectors,
    unroutable: new Set([...adminSelectors, ...routerSelectors, "0x00000000"]),
    direct,
    observed: new Set(POOL.map((p) => p.selector)),
    salt: 0,
    stats: new Map(),
    model: {
      now: await time.latest(),
      activeEpoch: 0,
      activeRoot: ZeroHash,
      live: new Map(),
      pending: null,
      paused: false,
      lastEpoch: 0,
      delay: DELAY,
      scheduled: null,
      manifests: [],
    },
  };
}

/** Builds (and records) a manifest. */
function manifestOf(run: Run, routes: RouteLeaf[]): Manifest {
  const tree = buildManifestTree(routes);
  const manifest = { routes, tree, root: tree.root };
  if (!run.model.manifests.some((m) => m.root === manifest.root)) run.model.manifests.push(manifest);
  for (const r of routes) if (!run.unroutable.has(r.selector)) run.observed.add(r.selector);
  return manifest;
}

function freshManifest(run: Run, a: Of<"commit">): Manifest {
  const leaf = (selector: string, key: FacetKey): RouteLeaf => ({ selector, facet: run.facets[key].address, codehash: run.facets[key].codehash });
  const facetFor = (pool: number, target: Target): FacetKey => (target === "zero" ? "zero" : POOL[pool][target]);
  const routes: RouteLeaf[] = [];
  for (const e of a.entries) {
    if (!routes.some((r) => r.selector === POOL[e.pool].selector)) routes.push(leaf(POOL[e.pool].selector, facetFor(e.pool, e.target)));
  }
  if (a.dup) {
    const first = a.entries[0];
    const other: Target = first.target === "natural" ? "alt" : first.target === "alt" ? "zero" : "natural";
    routes.push(leaf(POOL[first.pool].selector, facetFor(first.pool, other)));
  }
  if (a.special !== null) routes.push(leaf(SPECIAL[a.special], "bench"));
  return manifestOf(run, routes);
}

// ───────────────────────────── predictions ─────────────────────────────

/** The delay a commit mined at `at` gets (a scheduled decrease applies from its effect time on). */
function delayAt(m: Model, at: number): number {
  return m.scheduled && at >= m.scheduled.at ? m.scheduled.delay : m.delay;
}

function predictCommit(run: Run, manifest: Manifest, epoch: number, leafCount: number, who: Who): Prediction {
  const m = run.model;
  if (who === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, ROLE.commit);
  if (m.pending) return fail("PendingRootExists", m.pending.manifest.root);
  if (epoch !== m.lastEpoch + 1) return fail("EpochMismatch", m.lastEpoch + 1, epoch);
  if (leafCount === 0) return fail("InvalidCommitment", manifest.root, 0);
  // The tree commits to its own size: any other count is refused, whatever the committer claims.
  if (leafCount !== manifest.tree.leafCount) return fail("ManifestHeaderMismatch", manifest.root, leafCount);
  const at = m.now + 1;
  const eta = at + delayAt(m, at);
  return succeed(() => {
    m.lastEpoch = epoch;
    m.pending = { manifest, epoch, leafCount, eta, applied: new Set(), staged: new Map(), cancelRemaining: null };
  });
}

function predictDelay(run: Run, seconds: number, who: Who): Prediction {
  const m = run.model;
  const max = 30 * 86400;
  if (who === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, ROLE.admin);
  if (seconds < 1 || seconds > max) return fail("ActivationDelayOutOfRange", seconds, 1, max);
  const at = m.now + 1;
  return succeed(() => {
    const current = delayAt(m, at);
    m.scheduled = null;
    m.delay = current;
    if (seconds >= current) m.delay = seconds;
    else m.scheduled = { delay: seconds, at: at + (current - seconds) };
  });
}

function predictApply(run: Run, manifest: Manifest, batch: ReturnType<typeof encodeBatch>, who: Who): Prediction {
  const m = run.model;
  const p = m.pending;
  if (who === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, ROLE.apply);
  if (!p) return fail("NoPendingRoot");
  if (p.cancelRemaining !== null) return fail("CancelInProgress", p.manifest.root);
  const at = m.now + 1;
  if (at > p.eta + EXPIRY) return fail("RootExpired", p.eta + EXPIRY, at);
  const count = batch.routes.length;
  if (p.applied.size + count > p.leafCount) return fail("LeafCountExceeded", p.applied.size + count, p.leafCount);
  // A batch carries its manifest's facet list and initializer hash: another manifest's are refused whole.
  if (count > 0 && manifest.tree.binding !== p.manifest.tree.binding) return fail("ManifestBindingMismatch", p.manifest.tree.binding, manifest.tree.binding);
  // Leaves are staged in multiproof order; the first unroutable or already staged selector reverts.
  const staged = new Set(p.staged.keys());
  for (const r of batch.routes) {
    const selector = r.selector.toLowerCase();
    if (run.unroutable.has(selector)) return fail("ProtectedSelector", selector);
    if (staged.has(selector)) return fail("DuplicateSelector", selector);
    staged.add(selector);
  }
  if (count > 0 && manifest.root !== p.manifest.root) return fail("InvalidProof");
  return succeed(() => {
    for (const r of batch.routes) {
      const index = manifest.routes.findIndex((x) => x.selector === r.selector && x.facet.toLowerCase() === r.facet.toLowerCase());
      p.applied.add(index);
      p.staged.set(r.selector.toLowerCase(), r.facet);
    }
  });
}

function predictActivate(run: Run, who: Who): Prediction {
  const m = run.model;
  const p = m.pending;
  if (who === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, ROLE.apply);
  if (!p) return fail("NoPendingRoot");
  if (p.cancelRemaining !== null) return fail("CancelInProgress", p.manifest.root);
  const at = m.now + 1;
  if (at < p.eta) return fail("ActivationNotReady", p.eta, at);
  if (at > p.eta + EXPIRY) return fail("RootExpired", p.eta + EXPIRY, at);
  if (m.paused) return fail("ActivationPaused");
  if (p.applied.size !== p.leafCount) return fail("ManifestIncomplete", p.applied.size, p.leafCount);
  return succeed(() => {
    for (const [selector, facet] of p.staged) {
      if (facet === ZeroAddress) m.live.delete(selector);
      else m.live.set(selector, facet);
    }
    m.activeEpoch = p.epoch;
    m.activeRoot = p.manifest.root;
    m.pending = null;
  });
}

function predictCancel(run: Run, by: Of<"cancel">["by"], root: string, epoch: number, chunk: number): Prediction {
  const p = run.model.pending;
  if (by === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, ROLE.commit);
  if (!p) return fail("NoPendingRoot");
  if (root !== p.manifest.root || epoch !== p.epoch) return fail("CancelTargetMismatch", p.manifest.root, p.epoch);
  // Each chunk unstages up to `chunk` routes; the one that unstages the last ends the cancel. Staged
  // routes were never live and replaced ones kept serving, so routed calls see no change meanwhile.
  return succeed(() => {
    const remaining = p.cancelRemaining ?? p.applied.size;
    if (chunk >= remaining) run.model.pending = null;
    else p.cancelRemaining = remaining - chunk;
  });
}

function predictPause(run: Run, pause: boolean, who: Who): Prediction {
  if (who === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, pause ? ROLE.emergency : ROLE.admin);
  if (run.model.paused === pause) return fail("PauseStateUnchanged", pause);
  return succeed(() => (run.model.paused = pause));
}

function predictDisable(run: Run, selector: string, who: Who): Prediction {
  if (who === "outsider") return fail("AccessControlUnauthorizedAccount", run.f.outsider.address, ROLE.emergency);
  if (run.unroutable.has(selector)) return fail("ProtectedSelector", selector);
  if (!run.model.live.has(selector)) return fail("FunctionNotFound", selector);
  // Disables the live route only: a replacement staged by the pending manifest still goes live at activation.
  return succeed(() => run.model.live.delete(selector));
}

// ───────────────────────────── running actions ─────────────────────────────

/** Sends one transaction at `now + 1` and checks it against the model's prediction (applied on success). */
async function transact(
  run: Run,
  label: string,
  contract: Contract,
  signer: HardhatEthersSigner,
  fn: string,
  args: unknown[],
  prediction: Prediction,
): Promise<void> {
  run.model.now += 1;
  await time.setNextBlockTimestamp(run.model.now);
  let caught: unknown;
  try {
    await (await (contract.connect(signer) as Contract).getFunction(fn)(...args, { gasLimit: GAS })).wait();
  } catch (error) {
    caught = error;
  }
  const data = caught === undefined ? undefined : revertData(caught);
  const parsed = data ? errorsInterface.parseError(data) : null;
  const actual = caught === undefined ? "success" : (parsed?.name ?? `unknown revert ${data ?? String(caught)}`);
  const outcomeKey = `${fn}:${actual}`;
  run.stats.set(outcomeKey, (run.stats.get(outcomeKey) ?? 0) + 1);
  if ("effect" in prediction) {
    expect(actual, `${label}: model expected ${fn} to succeed`).toBe("success");
    prediction.effect();
  } else {
    expect(actual, `${label}: model expected ${fn} to revert with ${prediction.error}`).toBe(prediction.error);
    expect(normalise([...parsed!.args]), `${label}: ${prediction.error} arguments`).toEqual(normalise(prediction.args));
  }
}

async function step(run: Run, a: Action, label: string): Promise<void> {
  const { f, model: m } = run;
  switch (a.kind) {
    case "commit": {
      const earlier = m.manifests;
      const manifest = a.reuse && earlier.length > 0 ? earlier[a.entries[0].pool % earlier.length] : freshManifest(run, a);
      const epoch = Math.max(0, m.lastEpoch + 1 + a.epochDelta);
      const leafCount = Math.max(0, manifest.tree.leafCount + a.leafDelta);
      const signer = a.who === "outsider" ? f.outsider : f.committer;
      const prediction = predictCommit(run, manifest, epoch, leafCount, a.who);
      const args = [manifest.root, epoch, leafCount, manifest.tree.binding, manifest.tree.headerProof];
      return transact(run, label, f.router, signer, "commitRoot", args, prediction);
    }
    case "apply": {
      const { manifest, batches } = planApply(run, a);
      const signer = a.who === "outsider" ? f.outsider : f.applier;
      for (const indices of batches) {
        const batch = encodeBatch(manifest.tree, indices);
        const prediction = predictApply(run, manifest, batch, a.who);
        const args = [batch.facets, batch.initHash, batch.leaves, batch.proof, batch.proofFlags];
        await transact(run, `${label} [leaves ${indices.join(",")}]`, f.router, signer, "applyRoutes", args, prediction);
      }
      return;
    }
    case "activate": {
      // The facet list and initializer of the pending manifest (or of the last one built, when none is).
      const tree = (m.pending?.manifest ?? m.manifests.at(-1) ?? manifestOf(run, [removal(POOL[0].selector)])).tree;
      const args = [tree.facets.map((p) => [p.facet, p.codehash]), [tree.init.facet, tree.init.codehash, tree.init.data]];
      return transact(run, label, f.router, a.who === "outsider" ? f.outsider : f.applier, "activateCommittedRoot", args, predictActivate(run, a.who));
    }
    case "cancel": {
      const p = m.pending;
      const earlier = m.manifests.find((x) => x.root !== p?.manifest.root);
      const root = a.stale || !p ? (earlier?.root ?? ZeroHash) : p.manifest.root;
      const epoch = a.stale || !p ? Math.max(1, m.lastEpoch - 1) : p.epoch;
      return transact(run, label, f.dispatcher, f[a.by], "cancelCommittedRoot", [root, epoch, a.chunk], predictCancel(run, a.by, root, epoch, a.chunk));
    }
    case "delay":
      return transact(run, label, f.dispatcher, a.who === "outsider" ? f.outsider : f.admin, "setActivationDelay", [a.seconds], predictDelay(run, a.seconds, a.who));
    case "pause":
      return transact(run, label, f.dispatcher, a.who === "outsider" ? f.outsider : f.emergency, "pause", [], predictPause(run, true, a.who));
    case "unpause":
      return transact(run, label, f.dispatcher, a.who === "outsider" ? f.outsider : f.admin, "unpause", [], predictPause(run, false, a.who));
    case "disable": {
      const candidates = {
        live: [...m.live.keys()].sort(),
        staged: [...(m.pending?.staged.keys() ?? [])].sort(),
        replaced: [...(m.pending?.staged.keys() ?? [])].filter((s) => m.live.has(s)).sort(),
        pool: POOL.map((p) => p.selector),
        special: SPECIAL,
      }[a.pick];
      const from = candidates.length > 0 ? candidates : POOL.map((p) => p.selector);
      const selector = from[a.index % from.length];
      const signer = a.who === "outsider" ? f.outsider : f.emergency;
      return transact(run, label, f.dispatcher, signer, "disableSelector", [selector], predictDisable(run, selector, a.who));
    }
    case "time": {
      // Only the model's clock moves: the next transaction is mined at `now + 1`.
      const eta = m.pending?.eta;
      const target =
        a.to === "big" ? m.now + DELAY + EXPIRY
        : eta === undefined || a.to === "small" ? m.now + 7
        : { beforeEta: eta - 2, atEta: eta - 1, inWindow: eta + EXPIRY / 2, atDeadline: eta + EXPIRY - 1, pastExpiry: eta + EXPIRY }[a.to];
      m.now = Math.max(m.now, target);
      return;
    }
  }
}

/** Resolves an apply action against the model: which manifest, and the leaf indices of each batch. */
function planApply(run: Run, a: Of<"apply">): { manifest: Manifest; batches: number[][] } {
  const m = run.model;
  const p = m.pending;
  const random = prng(a.seed);
  if (!p) {
    const manifest = m.manifests.at(-1) ?? manifestOf(run, [removal(POOL[0].selector)]);
    return { manifest, batches: [[0]] };
  }
  const remaining = shuffle(
    p.manifest.routes.map((_, i) => i).filter((i) => !p.applied.has(i)),
    random,
  );
  const some = () => remaining.slice(0, 1 + Math.floor(random() * remaining.length));
  switch (a.mode) {
    case "empty":
      return { manifest: p.manifest, batches: [[]] };
    case "all":
      return { manifest: p.manifest, batches: split(remaining, a.batches) };
    case "some":
      return { manifest: p.manifest, batches: split(some(), a.batches) };
    case "overlap": {
      const applied = [...p.applied];
      const chosen = remaining.length > 0 ? some() : [];
      if (applied.length > 0) chosen.push(applied[Math.floor(random() * applied.length)]);
      return { manifest: p.manifest, batches: [chosen] };
    }
    case "foreign": {
      // Leaves of another manifest: their multiproof can't prove anything against the pending root.
      const others = m.manifests.filter((x) => x.root !== p.manifest.root);
      const manifest =
        others.length > 0 ? others[Math.floor(random() * others.length)] : manifestOf(run, [...p.manifest.routes, removal("0x5a17ffff")]);
      const indices = shuffle(
        manifest.routes.map((_, i) => i),
        random,
      ).slice(0, 1 + Math.floor(random() * 2));
      return { manifest, batches: [indices] };
    }
  }
}

// ───────────────────────────── checking the contract against the model ─────────────────────────────

/**
 * Compares the contract with the model. The `full` check (at deployment, after commits and at the end of
 * a run) also covers what never changes: facetFunctionSelectors of the admin facet, the router and
 * address(0).
 */
async function checkAgainstModel(run: Run, label: string, full: boolean): Promise<void> {
  const { f, model: m } = run;
  const at = `after ${label}`;
  const view = (fn: string, ...args: unknown[]) => callView(run, fn, args);

  // (1) Routed calls reach the model's live facet; anything else (including staged routes) is
  // FunctionNotFound, and so is everything while paused.
  for (const selector of run.observed) {
    const facet = m.live.get(selector);
    const expected =
      m.paused || facet === undefined
        ? `revert:${errorsInterface.encodeErrorResult("FunctionNotFound", [selector])}`
        : run.direct.get(`${selector}@${facet}`)!;
    expect(await outcome(f.address, selector), `${at}: routed call ${selector} (model: ${facet ?? "not live"}, paused ${m.paused})`).toBe(
      expected,
    );
    // (2) The loupe reports live routes, ignoring pause.
    expect(await view("facetAddress", selector), `${at}: facetAddress(${selector})`).toBe(facet ?? ZeroAddress);
  }

  // The loupe also lists the dispatcher's own selectors: the admin facet's and the router's three.
  const table = new Map<string, Set<string>>([
    [f.adminFacet, new Set(run.adminSelectors)],
    [f.address, new Set(run.routerSelectors)],
  ]);
  for (const [selector, facet] of m.live) {
    if (!table.has(facet)) table.set(facet, new Set());
    table.get(facet)!.add(selector);
  }
  const canonical = (entries: [string, Iterable<string>][]) => entries.map(([a, s]) => `${a}:${[...s].sort().join(",")}`).sort();

  const loupe = ([...(await view("facets"))] as [string, string[]][]).map(([a, s]) => [a, [...s]] as [string, string[]]);
  expect(canonical(loupe), `${at}: facets()`).toEqual(canonical([...table]));
  for (const [address, selectors] of loupe) expect(new Set(selectors).size, `${at}: duplicate selectors of ${address}`).toBe(selectors.length);

  const addresses = [...(await view("facetAddresses"))] as string[];
  expect([...addresses].sort(), `${at}: facetAddresses()`).toEqual([...table.keys()].sort());

  const examples = [run.facets.bench.address, run.facets.v1.address, run.facets.v2.address];
  for (const facet of full ? [...examples, f.adminFacet, f.address, ZeroAddress] : examples) {
    const selectors = [...(await view("facetFunctionSelectors", facet))] as string[];
    expect(selectors.sort(), `${at}: facetFunctionSelectors(${facet})`).toEqual([...(table.get(facet) ?? [])].sort());
  }

  // (3) Views.
  const p = m.pending;
  expect(await view("activeEpoch"), `${at}: activeEpoch`).toBe(BigInt(m.activeEpoch));
  expect(await view("activeRoot"), `${at}: activeRoot`).toBe(m.activeRoot);
  expect(await view("pendingRoot"), `${at}: pendingRoot`).toBe(p?.manifest.root ?? ZeroHash);
  expect(await view("pendingEpoch"), `${at}: pendingEpoch`).toBe(p ? BigInt(p.epoch) : 0n);
  expect(await view("nextEpoch"), `${at}: nextEpoch`).toBe(BigInt(m.lastEpoch + 1));
  expect(await view("pendingEta"), `${at}: pendingEta`).toBe(BigInt(p?.eta ?? 0));
  const staged = p ? (p.cancelRemaining ?? p.applied.size) : 0;
  expect([...(await view("pendingProgress"))], `${at}: pendingProgress`).toEqual([BigInt(staged), BigInt(p?.leafCount ?? 0)]);
  expect(await view("cancelInProgress"), `${at}: cancelInProgress`).toBe(p ? p.cancelRemaining !== null : false);
  expect(await view("paused"), `${at}: paused`).toBe(m.paused);
  // The delay in force at the chain's latest block (the model's `time` actions move only the model's
  // clock; a call at the very second a scheduled decrease takes effect is left out).
  const chainNow = await time.latest();
  if (!m.scheduled || Math.abs(m.scheduled.at - chainNow) > 2) {
    expect(await view("activationDelay"), `${at}: activationDelay`).toBe(BigInt(delayAt(m, chainNow)));
  }
}

// ───────────────────────────── helpers ─────────────────────────────

/** A view of the dispatcher (admin facet ABI) by a plain eth_call; single return values are unwrapped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function callView(run: Run, fn: string, args: unknown[]): Promise<any> {
  const abi = run.f.dispatcher.interface;
  const result = abi.decodeFunctionResult(fn, await ethers.provider.call({ to: run.f.address, data: abi.encodeFunctionData(fn, args) }));
  return result.length === 1 ? result[0] : result;
}

/** `ok:<return data>` or `revert:<revert data>` of an eth_call of `selector` (no arguments) on `to`. */
async function outcome(to: string, selector: string): Promise<string> {
  try {
    return `ok:${await ethers.provider.call({ to, data: selector })}`;
  } catch (error) {
    return `revert:${revertData(error) ?? String(error)}`;
  }
}

function normalise(values: unknown[]): unknown[] {
  return values.map((v) => (typeof v === "string" ? v.toLowerCase() : typeof v === "number" ? BigInt(v) : v));
}

/** Small deterministic PRNG (mulberry32), so an action's random choices replay identically when shrunk. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Splits `items` into at most `parts` consecutive non-empty batches ([[]] when there is nothing). */
function split<T>(items: T[], parts: number): T[][] {
  if (items.length === 0) return [[]];
  const n = Math.min(parts, items.length);
  const size = Math.ceil(items.length / n);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function describeAction(a: Action): string {
  const { kind, ...rest } = a;
  return `${kind} ${JSON.stringify(rest)}`;
}

// ───────────────────────────── the property ─────────────────────────────

describe("ManifestDispatcher (model-based)", () => {
  it("agrees with the reference model over random command sequences", { timeout: TIME_LIMIT_MS + 60_000 }, async () => {
    const totals = new Map<string, number>();
    let steps = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (actions) => {
        const run = await setUp();
        await checkAgainstModel(run, "deployment", true);
        for (const [i, action] of actions.entries()) {
          const label = `step ${i} (${describeAction(action)})`;
          await step(run, action, label);
          await checkAgainstModel(run, label, action.kind === "commit");
        }
        await checkAgainstModel(run, "the last step", true);
        steps += actions.length;
        for (const [key, n] of run.stats) totals.set(key, (totals.get(key) ?? 0) + n);
      }),
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
    const outcomes = [...totals].sort().map(([key, n]) => `${key} ×${n}`);
    console.log(`${NUM_RUNS} runs, ${steps} actions. Outcomes: ${outcomes.join(", ")}`);
    // Not vacuous: the runs reached activations and both sides of the lifecycle.
    expect(totals.get("activateCommittedRoot:success") ?? 0, "no successful activation in any run").toBeGreaterThan(0);
  });
});
