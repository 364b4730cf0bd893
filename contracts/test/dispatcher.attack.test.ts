/**
 * Security review of ManifestDispatcher v2: attacks on the claimed properties (DESIGN.md 1–13, contracts/README.md).
 * Every test asserts the SAFE behaviour: a passing test documents an attack that the contract defends.
 *
 * Facets used here are raw-bytecode "id facets" (runtime: return a 32-byte constant), so a routed call tells
 * exactly which facet served it, whatever the selector.
 */
import fc from "fast-check";
import { concat, hexlify, id, keccak256, toBeHex, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { headerLeaf, manifestBinding, initializerHash } from "@payrox/core";
import { removal } from "../lib/batch.js";
import {
  activate,
  applyAll,
  buildManifestTree,
  cancelAll,
  codehashOf,
  commit,
  DELAY,
  deployDispatcher,
  encodeBatch,
  errorsInterface,
  ethers,
  expectRevert,
  EXPIRY,
  hre,
  revertData,
  sendActivate,
  sendCommit,
  time,
  upgrade,
  type DispatcherFixture,
  type ManifestTree,
  type RouteLeaf,
} from "./fixtures.js";

const TX_GAS_CAP = 16_777_216;
const GAS = 6_000_000n;

// ───────────────────────────── helpers ─────────────────────────────

/** Deploys a facet whose runtime returns `tag` (32 bytes) for any call. */
async function deployIdFacet(f: DispatcherFixture, tag: bigint): Promise<string> {
  const runtime = concat(["0x7f", toBeHex(tag, 32), "0x60005260206000f3"]);
  const init = concat(["0x602980600b6000396000f3", runtime]);
  const receipt = await (await f.admin.sendTransaction({ data: init })).wait();
  return receipt!.contractAddress!;
}

/** Deploys arbitrary runtime code and returns its address. */
async function deployRuntime(f: DispatcherFixture, runtime: string): Promise<string> {
  const len = (runtime.length - 2) / 2;
  if (len > 255) throw new Error("runtime too long for this tiny init code");
  const init = concat(["0x60", toBeHex(len, 1), "0x80600b6000396000f3", runtime]);
  const receipt = await (await f.admin.sendTransaction({ data: init })).wait();
  return receipt!.contractAddress!;
}

async function pin(address: string): Promise<{ facet: string; codehash: string }> {
  return { facet: address, codehash: await codehashOf(address) };
}

/** Result of a routed call of `selector`: the serving facet's tag, or the custom error's name. */
async function callRouted(f: DispatcherFixture, selector: string): Promise<bigint | string> {
  try {
    const out = await ethers.provider.call({ to: f.address, data: selector });
    return BigInt(out);
  } catch (error) {
    const data = revertData(error);
    if (!data) return "revert-no-data";
    try {
      const parsed = errorsInterface.parseError(data);
      return parsed ? `${parsed.name}(${[...parsed.args].join(",")})` : `raw:${data}`;
    } catch {
      return `raw:${data}`;
    }
  }
}

/** The loupe's raw list (walking at most `cap` entries; a loop shows up as > cap entries or a repeat). */
async function rawList(f: DispatcherFixture, cap = 400): Promise<{ selector: string; dead: boolean }[]> {
  const [selectors, dead] = await f.dispatcher.listedSelectors("0x00000000", cap);
  return [...selectors].map((s: string, i: number) => ({ selector: s, dead: dead[i] }));
}

function pruneHints(list: { selector: string; dead: boolean }[]): string[] {
  const hints: string[] = [];
  let before = "0x00000000";
  for (const entry of list) {
    if (entry.dead) hints.push(before);
    else before = entry.selector;
  }
  return hints;
}

function batchArgs(b: ReturnType<typeof encodeBatch>) {
  return [b.facets, b.initHash, b.leaves, b.proof, b.proofFlags] as const;
}

function applyBatch(f: DispatcherFixture, tree: ManifestTree, indices: number[], overrides: Record<string, unknown> = {}) {
  const b = encodeBatch(tree, indices);
  return f.router.connect(f.applier).getFunction("applyRoutes")(...batchArgs(b), overrides);
}

function indexOfSelector(tree: ManifestTree, selector: string): number {
  for (let i = 0; i < tree.leafCount; i++) if (tree.route(i).selector.toLowerCase() === selector.toLowerCase()) return i;
  throw new Error(`selector ${selector} not in tree`);
}

const sel = (name: string) => id(name).slice(0, 10);

/** A multiproof of a hand-built StandardMerkleTree as the dispatcher's packed flags. */
function packFlags(flags: boolean[]): string {
  const out = new Uint8Array(Math.ceil(flags.length / 8));
  flags.forEach((flag, i) => flag && (out[i >> 3] |= 1 << (i & 7)));
  return hexlify(out);
}

// ───────────────────── model-based fuzz: routing, cancel, prune, loupe ─────────────────────

const UNIVERSE = Array.from({ length: 7 }, (_, i) => sel(`attack${i}()`));
const PAUSE_SELECTOR = sel("pause()");
const COMMIT_SELECTOR = sel("commitRoot(bytes32,uint64,uint32,bytes32,bytes32[])");
const HINT_POOL = ["0x00000000", ...UNIVERSE, PAUSE_SELECTOR, COMMIT_SELECTOR, "0xdeadbeef"];

type Step =
  | { kind: "commit"; entries: { s: number; f: number }[] } // f = -1: removal
  | { kind: "apply"; n: number; seed: number }
  | { kind: "applyAll" }
  | { kind: "activate"; jump: boolean }
  | { kind: "cancel"; chunk: number }
  | { kind: "disable"; s: number }
  | { kind: "prune"; smart: boolean; hints: number[] }
  | { kind: "pause" }
  | { kind: "unpause" }
  | { kind: "time"; to: "small" | "eta" | "expire" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("commit" as const), entries: fc.uniqueArray(fc.record({ s: fc.nat(UNIVERSE.length - 1), f: fc.integer({ min: -1, max: 2 }) }), { minLength: 1, maxLength: 5, selector: (e) => e.s }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("apply" as const), n: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }) },
  { weight: 4, arbitrary: fc.constant({ kind: "applyAll" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("activate" as const), jump: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("cancel" as const), chunk: fc.constantFrom(0, 1, 1, 2, 3, 1000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("disable" as const), s: fc.nat(UNIVERSE.length - 1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("prune" as const), smart: fc.boolean(), hints: fc.array(fc.nat(HINT_POOL.length - 1), { maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "unpause" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("time" as const), to: fc.constantFrom("small" as const, "eta" as const, "expire" as const) }) },
);

const noiseArb = fc.array(stepArb.filter((x) => x.kind !== "commit"), { maxLength: 2 });
const entriesArb = fc.uniqueArray(fc.record({ s: fc.nat(UNIVERSE.length - 1), f: fc.integer({ min: -1, max: 2 }) }), { minLength: 1, maxLength: 5, selector: (e) => e.s });
/** Episodes: an upgrade (commit → apply → activate) or an aborted one (commit → some apply → chunked cancel), with noise. */
const episodeArb: fc.Arbitrary<Step[]> = fc
  .tuple(entriesArb, noiseArb, fc.boolean(), noiseArb, fc.boolean(), noiseArb, fc.constantFrom(0, 1, 2, 3, 1000), noiseArb, fc.option(fc.nat(4)), fc.record({ kind: fc.constant("prune" as const), smart: fc.boolean(), hints: fc.array(fc.nat(HINT_POOL.length - 1), { maxLength: 8 }) }))
  .map(([entries, n1, partial, n2, abort, n3, chunk, n4, disable, prune]) => [
    { kind: "commit", entries } as Step,
    ...n1,
    ...(partial ? [{ kind: "apply", n: 2, seed: 3 } as Step] : []),
    ...n2,
    ...(abort ? [] : [{ kind: "applyAll" } as Step]),
    ...(disable !== null ? [{ kind: "disable", s: entries[disable % entries.length].s } as Step] : []),
    prune as Step,
    ...n3,
    ...(abort
      ? Array.from({ length: 6 }, () => ({ kind: "cancel", chunk: chunk || 1 }) as Step)
      : [{ kind: "activate", jump: true } as Step]),
    ...n4,
    { kind: "cancel", chunk: 1000 } as Step,
    { kind: "prune", smart: true, hints: [] } as Step,
  ]);
const scenarioArb = fc.array(episodeArb, { minLength: 2, maxLength: 4 }).map((e) => e.flat());

interface Pending {
  tree: ManifestTree;
  entries: Map<string, number>; // selector → facet index (-1 removal)
  applied: Set<string>;
  appliedCount: number;
  epoch: bigint;
  eta: number;
  cancelling: boolean;
}

describe("model-based fuzz (routing, chunked cancel, hostile prune hints, loupe)", () => {
  it("keeps routed calls, the loupe and the raw list consistent with a naive model under random sequences", async () => {
    const f = await deployDispatcher();
    const facetAddrs = [await deployIdFacet(f, 0xf0n), await deployIdFacet(f, 0xf1n), await deployIdFacet(f, 0xf2n)];
    const pins = await Promise.all(facetAddrs.map(pin));
    const base = await hre.network.provider.send("evm_snapshot", []);
    let snapshot = base;
    const stats: Record<string, number> = {};
    const count = (k: string) => (stats[k] = (stats[k] ?? 0) + 1);
    const runs = Number(process.env.ATTACK_RUNS ?? 12);

    await fc.assert(
      fc.asyncProperty(scenarioArb, async (steps) => {
        await hre.network.provider.send("evm_revert", [snapshot]);
        snapshot = await hre.network.provider.send("evm_snapshot", []);
        const live = new Map<string, number>();
        let paused = false;
        let pending: Pending | undefined;
        let nextEpoch = 1n;
        let target = 0;

        const send = async (make: () => Promise<{ wait(): Promise<unknown> }>): Promise<boolean> => {
          const latest = await time.latest();
          const ts = Math.max(latest + 1, target);
          await time.setNextBlockTimestamp(ts);
          const before = await ethers.provider.getBlockNumber();
          let ok = false;
          try {
            await (await make()).wait();
            ok = true;
          } catch {
            ok = false;
          }
          if ((await ethers.provider.getBlockNumber()) === before) await hre.network.provider.send("evm_mine", [ts]);
          target = 0;
          return ok;
        };
        const nowNext = async () => Math.max((await time.latest()) + 1, target);

        const trace: string[] = [];
        for (const step of steps) {
          trace.push(JSON.stringify(step));
          if (step.kind === "activate" && pending && pending.appliedCount === pending.entries.size) count("activateReady");
          const label = trace.join("\n");
          switch (step.kind) {
            case "commit": {
              const routes: RouteLeaf[] = step.entries.map((e) => (e.f < 0 ? removal(UNIVERSE[e.s]) : { selector: UNIVERSE[e.s], ...pins[e.f] }));
              const tree = buildManifestTree(routes);
              const ok = await send(() => sendCommit(f, tree, { epoch: nextEpoch }).then((tx) => tx) as never);
              expect(ok, label).toBe(pending === undefined);
              if (ok) {
                pending = { tree, entries: new Map(step.entries.map((e) => [UNIVERSE[e.s], e.f])), applied: new Set(), appliedCount: 0, epoch: nextEpoch, eta: Number(await f.dispatcher.pendingEta()), cancelling: false };
                expect(pending.eta, label).toBe((await time.latest()) + DELAY);
                nextEpoch++;
              }
              break;
            }
            case "apply":
            case "applyAll": {
              if (!pending) break;
              const todo = [...pending.entries.keys()].filter((s) => !pending!.applied.has(s));
              if (todo.length === 0) break;
              const chosen = step.kind === "applyAll" ? todo : Array.from(new Set(Array.from({ length: step.n }, (_, i) => todo[(step.seed + i * 7) % todo.length])));
              const indices = chosen.map((s) => indexOfSelector(pending!.tree, s));
              const expectOk = !pending.cancelling && (await nowNext()) <= pending.eta + EXPIRY;
              const ok = await send(() => applyBatch(f, pending!.tree, indices, { gasLimit: GAS }));
              expect(ok, label).toBe(expectOk);
              if (ok) {
                chosen.forEach((s) => pending!.applied.add(s));
                pending.appliedCount += chosen.length;
              }
              break;
            }
            case "activate": {
              if (pending && step.jump && (await nowNext()) < pending.eta) target = pending.eta;
              const now = await nowNext();
              const expectOk = !!pending && !pending.cancelling && !paused && now >= pending.eta && now <= pending.eta + EXPIRY && pending.appliedCount === pending.entries.size;
              const tree = pending?.tree ?? buildManifestTree([removal(UNIVERSE[0])]);
              const ok = await send(() => sendActivate(f, tree).then((tx) => tx) as never);
              expect(ok, label).toBe(expectOk);
              if (ok) {
                count("activated");
                for (const [s, fi] of pending!.entries) {
                  if (live.has(s)) count("replacedGoneLive");
                  if (fi < 0) live.delete(s);
                  else live.set(s, fi);
                }
                pending = undefined;
              }
              break;
            }
            case "cancel": {
              const root = pending?.tree.root ?? ZeroHash;
              const epoch = pending?.epoch ?? 0n;
              const ok = await send(() => f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot")(root, epoch, step.chunk, { gasLimit: GAS }));
              expect(ok, label).toBe(pending !== undefined);
              if (ok) {
                const unstaged = Math.min(step.chunk, pending!.appliedCount);
                pending!.appliedCount -= unstaged;
                pending!.cancelling = true;
                if (pending!.appliedCount === 0) {
                  count(unstaged ? "cancelDoneWithRoutes" : "cancelDoneEmpty");
                  pending = undefined;
                } else count("cancelPartial");
              }
              break;
            }
            case "disable": {
              const s = UNIVERSE[step.s];
              const ok = await send(() => f.dispatcher.connect(f.emergency).getFunction("disableSelector")(s, { gasLimit: GAS }));
              expect(ok, label).toBe(live.has(s));
              if (ok) live.delete(s);
              break;
            }
            case "prune": {
              const hints = step.smart ? pruneHints(await rawList(f)) : step.hints.map((i) => HINT_POOL[i]);
              const ok = await send(() => f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(hints, { gasLimit: GAS }));
              expect(ok, label).toBe(true);
              const before = hints.length;
              if (before && (await rawList(f)).length) count("pruneCalls");
              break;
            }
            case "pause": {
              const ok = await send(() => f.dispatcher.connect(f.emergency).getFunction("pause")({ gasLimit: GAS }));
              expect(ok, label).toBe(!paused);
              paused = true;
              break;
            }
            case "unpause": {
              const ok = await send(() => f.dispatcher.connect(f.admin).getFunction("unpause")({ gasLimit: GAS }));
              expect(ok, label).toBe(paused);
              paused = false;
              break;
            }
            case "time": {
              const latest = await time.latest();
              if (step.to === "small") target = latest + 7;
              else if (pending && step.to === "eta") target = Math.max(latest + 1, pending.eta);
              else if (pending && step.to === "expire") target = Math.max(latest + 1, pending.eta + EXPIRY + 1);
              break;
            }
          }

          // ── compare with the model ──
          for (const s of UNIVERSE) {
            const got = await callRouted(f, s);
            const want = paused || !live.has(s) ? `FunctionNotFound(${s})` : BigInt(0xf0 + live.get(s)!);
            expect(got, `${label}\nrouted ${s}`).toBe(want);
            const wantAddr = live.has(s) ? facetAddrs[live.get(s)!] : ZeroAddress;
            expect(await f.dispatcher.facetAddress(s), `${label}\nfacetAddress ${s}`).toBe(wantAddr);
            expect(await f.dispatcher.supportsInterface(s), `${label}\nsupportsInterface ${s}`).toBe(live.has(s));
          }
          const facetsView = (await f.dispatcher.facets()) as { facetAddress: string; functionSelectors: string[] }[];
          const seen = new Map<string, string>();
          for (const entry of facetsView) {
            expect(entry.functionSelectors.length, label).toBeGreaterThan(0);
            for (const s of entry.functionSelectors) {
              expect(seen.has(s), `${label}\nselector listed twice in facets(): ${s}`).toBe(false);
              seen.set(s, entry.facetAddress);
            }
          }
          for (const s of UNIVERSE) expect(seen.get(s) ?? ZeroAddress, `${label}\nfacets() ${s}`).toBe(live.has(s) ? facetAddrs[live.get(s)!] : ZeroAddress);
          expect(seen.size, label).toBe(53 + live.size);
          const addresses = (await f.dispatcher.facetAddresses()) as string[];
          expect([...addresses].sort(), label).toEqual([...new Set(facetsView.map((e) => e.facetAddress))].sort());
          for (let i = 0; i < facetAddrs.length; i++) {
            const got = [...((await f.dispatcher.facetFunctionSelectors(facetAddrs[i])) as string[])].sort();
            const want = [...live.entries()].filter(([, fi]) => fi === i).map(([s]) => s).sort();
            expect(got, `${label}\nfacetFunctionSelectors ${i}`).toEqual(want);
          }
          // the raw list: no repeat, no loop; nothing staged for nothing once no manifest is pending
          const list = await rawList(f);
          expect(list.length, `${label}\nraw list too long (loop?)`).toBeLessThan(200);
          expect(new Set(list.map((e) => e.selector)).size, `${label}\nraw list repeats`).toBe(list.length);
          for (const s of live.keys()) expect(list.some((e) => e.selector === s), `${label}\nlive ${s} not listed`).toBe(true);
          if (!pending) {
            for (const e of list) {
              if (UNIVERSE.includes(e.selector)) expect(e.dead || live.has(e.selector), `${label}\nleftover staged entry ${e.selector}`).toBe(true);
            }
          }
          const [applied, leafCount] = await f.dispatcher.pendingProgress();
          expect([applied, leafCount], label).toEqual(pending ? [BigInt(pending.appliedCount), BigInt(pending.entries.size)] : [0n, 0n]);
          expect(await f.dispatcher.nextEpoch(), label).toBe(nextEpoch);
        }
      }),
      { numRuns: runs, seed: process.env.ATTACK_SEED ? Number(process.env.ATTACK_SEED) : undefined, endOnFailure: true },
    );
    if (process.env.ATTACK_STATS) console.log(JSON.stringify(stats));
  }, Number(process.env.ATTACK_TIMEOUT ?? 120_000));
});

// ───────────────────────────── targeted attacks ─────────────────────────────

async function idFacets(f: DispatcherFixture, n: number, base = 0xa0n) {
  const out: { facet: string; codehash: string; tag: bigint }[] = [];
  for (let i = 0; i < n; i++) {
    const address = await deployIdFacet(f, base + BigInt(i));
    out.push({ ...(await pin(address)), tag: base + BigInt(i) });
  }
  return out;
}

const route = (selector: string, p: { facet: string; codehash: string }): RouteLeaf => ({ selector, facet: p.facet, codehash: p.codehash });
const cancel = (f: DispatcherFixture, root: string, epoch: bigint, chunk: number) => f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot")(root, epoch, chunk);
const notFound = (s: string) => `FunctionNotFound(${s})`;

describe("timelock: activation window, pause and admin delay games", () => {
  it("refuses activation one second before the ETA, after the expiry deadline and while paused; accepts ETA and ETA + expiry exactly", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const s = sel("window()");
    const tree = await commit(f, [route(s, a)]);
    await applyAll(f, tree);
    const eta = Number(await f.dispatcher.pendingEta());
    const snap = await hre.network.provider.send("evm_snapshot", []);
    await time.setNextBlockTimestamp(eta - 1);
    await expectRevert(sendActivate(f, tree), "ActivationNotReady", [BigInt(eta), BigInt(eta - 1)]);
    expect(await callRouted(f, s)).toBe(notFound(s));
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    await time.setNextBlockTimestamp(eta + 10);
    await expectRevert(sendActivate(f, tree), "ActivationPaused");
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    await time.setNextBlockTimestamp(eta + EXPIRY);
    await (await sendActivate(f, tree)).wait();
    expect(await callRouted(f, s)).toBe(a.tag);
    await hre.network.provider.send("evm_revert", [snap]);
    await time.setNextBlockTimestamp(eta + EXPIRY + 1);
    await expectRevert(sendActivate(f, tree), "RootExpired", [BigInt(eta + EXPIRY), BigInt(eta + EXPIRY + 1)]);
    // an expired root can't be completed either, and can only be cancelled
    expect(await callRouted(f, s)).toBe(notFound(s));
    await cancelAll(f);
    expect(await f.dispatcher.nextEpoch()).toBe(2n);
  });

  it("refuses apply after expiry (RootExpired), so a late batch can't stage anything", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const tree = await commit(f, [route(sel("x1()"), a), route(sel("x2()"), a)]);
    await (await applyBatch(f, tree, [0])).wait();
    const eta = Number(await f.dispatcher.pendingEta());
    await time.setNextBlockTimestamp(eta + EXPIRY + 1);
    await expectRevert(applyBatch(f, tree, [1]), "RootExpired");
  });

  it("never lets chained delay decreases, decrease-then-increase-then-decrease, or edge-second commits beat the old delay", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const setDelay = (d: number) => f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(d);
    const tree = buildManifestTree([route(sel("d()"), a)]);
    /** The ETA a commit mined at `ts` would get (the chain is rolled back afterwards). */
    const commitAt = async (ts: number) => {
      const snap = await hre.network.provider.send("evm_snapshot", []);
      await time.setNextBlockTimestamp(ts);
      await (await sendCommit(f, tree)).wait();
      const eta = Number(await f.dispatcher.pendingEta());
      await hre.network.provider.send("evm_revert", [snap]);
      return eta;
    };
    // chained: 60 → 30 at t0, → 1 as soon as 30 is in effect; then step down by one every second
    const t0 = (await time.latest()) + 10;
    await time.setNextBlockTimestamp(t0);
    await (await setDelay(30)).wait();
    expect(await commitAt(t0 + 29)).toBe(t0 + 29 + DELAY); // one second before the effect: old delay
    await time.setNextBlockTimestamp(t0 + 30);
    await (await setDelay(1)).wait(); // 30 is now in effect: effect of 1 at t0 + 59
    for (const at of [t0 + 31, t0 + 45, t0 + 58, t0 + 59, t0 + 60]) expect(await commitAt(at)).toBeGreaterThanOrEqual(t0 + DELAY);
    expect(await commitAt(t0 + 70)).toBe(t0 + 71);
    // step-down every second from 60 to 1 (each request made as soon as the previous one took effect)
    await (await setDelay(DELAY)).wait(); // increase: at once
    const t1 = (await time.latest()) + 1;
    for (let d = DELAY - 1; d >= 1; d--) {
      await time.setNextBlockTimestamp(t1 + (DELAY - 1 - d));
      await (await setDelay(d)).wait();
    }
    const last = await time.latest();
    for (const at of [last + 1, last + 2]) expect(await commitAt(at)).toBeGreaterThanOrEqual(t1 + DELAY);
    // decrease, then increase (cancels it), then decrease again: the second decrease counts from the increased delay
    await (await setDelay(DELAY)).wait();
    const t2 = (await time.latest()) + 1;
    await time.setNextBlockTimestamp(t2);
    await (await setDelay(1)).wait();
    await time.setNextBlockTimestamp(t2 + 1);
    await (await setDelay(DELAY + 1)).wait();
    await time.setNextBlockTimestamp(t2 + 2);
    await (await setDelay(1)).wait();
    expect(await commitAt(t2 + 3)).toBe(t2 + 3 + DELAY + 1);
    expect(await commitAt(t2 + 2 + DELAY)).toBe(t2 + 3 + DELAY); // effect second: new delay, ETA = request + old
  });

  it("does not move a pending ETA when the delay changes, and a scheduled decrease cannot be used by a commit already pending", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    await (await f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(30 * 86400)).wait();
    const tree = await commit(f, [route(sel("late()"), a)]);
    const eta = await f.dispatcher.pendingEta();
    await (await f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(1)).wait();
    await applyAll(f, tree);
    await time.increase(86400);
    expect(await f.dispatcher.pendingEta()).toBe(eta);
    await expectRevert(sendActivate(f, tree), "ActivationNotReady");
  });
});

describe("commitments: replay, epochs, whole tree", () => {
  it("refuses re-committing a cancelled or consumed commitment at its epoch, and an epoch skip", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const t1 = buildManifestTree([route(sel("r()"), a)]);
    await (await sendCommit(f, t1)).wait();
    await cancelAll(f);
    await expectRevert(sendCommit(f, t1, { epoch: 1n }), "EpochMismatch", [2n, 1n]);
    await expectRevert(sendCommit(f, t1, { epoch: 3n }), "EpochMismatch", [2n, 3n]);
    await expectRevert(sendCommit(f, t1, { epoch: 0n }), "EpochMismatch", [2n, 0n]);
    // the same route set again, as a new commitment (rollback semantics)
    await upgrade(f, [route(sel("r()"), a)]);
    expect(await f.dispatcher.activeEpoch()).toBe(2n);
    await expectRevert(sendCommit(f, t1, { epoch: 2n }), "EpochMismatch", [3n, 2n]);
    // roll forward then back to the epoch-2 route set: the old root becomes a new commitment (epoch 4)
    await upgrade(f, [route(sel("r()"), b)]);
    expect(await callRouted(f, sel("r()"))).toBe(b.tag);
    await upgrade(f, [route(sel("r()"), a)]);
    expect(await callRouted(f, sel("r()"))).toBe(a.tag);
    expect(await f.dispatcher.activeEpoch()).toBe(4n);
    expect(await f.dispatcher.activeRoot()).toBe(t1.root);
  });

  it("never serves routes staged by cancelled epochs after a later epoch activates (epoch gap)", async () => {
    const f = await deployDispatcher();
    const [a, b, c] = await idFacets(f, 3);
    const live = sel("live()");
    await upgrade(f, [route(live, a)]);
    // three aborted epochs, each staging new and replacing routes, cancelled in chunks of 1
    for (let k = 0; k < 3; k++) {
      const tree = await commit(f, [route(live, b), route(sel(`ghost${k}()`), b), removal(sel(`ghostR${k}()`))]);
      await applyAll(f, tree);
      await cancelAll(f, 1);
    }
    expect(await f.dispatcher.nextEpoch()).toBe(5n);
    await upgrade(f, [route(sel("other()"), c)]);
    expect(await f.dispatcher.activeEpoch()).toBe(5n);
    expect(await callRouted(f, live)).toBe(a.tag);
    for (let k = 0; k < 3; k++) expect(await callRouted(f, sel(`ghost${k}()`))).toBe(notFound(sel(`ghost${k}()`)));
    expect((await rawList(f)).some((e) => e.selector.startsWith("0x") && [0, 1, 2].some((k) => e.selector === sel(`ghost${k}()`)))).toBe(false);
  });

  it("binds the leaf count: a header claiming more leaves than the tree holds can never be activated", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const r = route(sel("h()"), a);
    const binding = manifestBinding([{ facet: a.facet, codehash: a.codehash }]);
    const forged = StandardMerkleTree.of([[r.selector, r.facet, r.codehash], headerLeaf(2, binding)], ["bytes4", "address", "bytes32"]);
    await (await f.router.connect(f.committer).getFunction("commitRoot")(forged.root, 1n, 2, binding, forged.getProof(1))).wait();
    const multi = forged.getMultiProof([0]);
    const apply = (leaves: string) => f.router.connect(f.applier).getFunction("applyRoutes")([[a.facet, a.codehash]], initializerHash(), leaves, multi.proof, packFlags(multi.proofFlags));
    await (await apply(concat([r.selector, "0x00"]))).wait();
    // the same leaf again, as the "second" leaf: duplicate
    await expectRevert(apply(concat([r.selector, "0x00"])), "DuplicateSelector", [r.selector]);
    await time.increase(DELAY);
    await expectRevert(f.router.connect(f.applier).getFunction("activateCommittedRoot")([[a.facet, a.codehash]], [ZeroAddress, ZeroHash, "0x"]), "ManifestIncomplete", [1n, 2n]);
    expect(await callRouted(f, r.selector)).toBe(notFound(r.selector));
  });

  it("refuses malformed batches: facet index out of the list, 255 on a non-removal, duplicate leaf, bad flag length, foreign proof, >255 facets", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const tree = await commit(f, [route(sel("m0()"), a), route(sel("m1()"), b), removal(sel("m2()"))]);
    const i0 = indexOfSelector(tree, sel("m0()"));
    const good = encodeBatch(tree, [i0]);
    const call = (facets: unknown, leaves: string, proof: string[], flags: string) => f.router.connect(f.applier).getFunction("applyRoutes")(facets, good.initHash, leaves, proof, flags);
    await expectRevert(call(good.facets, concat([sel("m0()"), "0x02"]), good.proof, good.proofFlags), "MalformedBatch");
    await expectRevert(call(good.facets, concat([sel("m0()"), "0xff"]), good.proof, good.proofFlags), "InvalidProof");
    const other = tree.facets.findIndex((p) => p.facet !== a.facet);
    await expectRevert(call(good.facets, concat([sel("m0()"), toBeHex(other, 1)]), good.proof, good.proofFlags), "InvalidProof");
    await expectRevert(call(good.facets, concat([good.leaves, good.leaves]), [...good.proof, ZeroHash], "0x00"), "DuplicateSelector");
    await expectRevert(call(good.facets, good.leaves, good.proof, good.proofFlags + "00"), "MalformedBatch");
    await expectRevert(call(good.facets, good.leaves + "00", good.proof, good.proofFlags), "MalformedBatch");
    const foreign = buildManifestTree([route(sel("m0()"), a), route(sel("zz()"), a)]);
    const fb = encodeBatch(foreign, [indexOfSelector(foreign, sel("m0()"))]);
    await expectRevert(call(good.facets, good.leaves, fb.proof, fb.proofFlags), "InvalidProof");
    const many = Array.from({ length: 256 }, () => [a.facet, a.codehash]);
    await expectRevert(call(many, good.leaves, good.proof, good.proofFlags), "MalformedBatch");
    await expectRevert(call([], good.leaves, good.proof, good.proofFlags), "ManifestBindingMismatch");
    expect(await f.dispatcher.pendingProgress()).toEqual([0n, 3n]);
    // the honest batch still works, and extra set bits in the flag bitmap's last byte don't prove anything else
    await (await call(good.facets, good.leaves, good.proof, good.proofFlags)).wait();
  });
});

describe("emergency powers never add or redirect a route", () => {
  it("restores exactly the replaced routes through a chunked cancel interleaved with disable, prune, pause and expiry", async () => {
    const f = await deployDispatcher();
    const [a, b, c] = await idFacets(f, 3);
    const S = Array.from({ length: 6 }, (_, i) => sel(`mix${i}()`));
    await upgrade(f, [route(S[0], a), route(S[1], a), route(S[2], a), route(S[3], a)]);
    await upgrade(f, [removal(S[3])]); // S3 live removal (dead)
    const tree = await commit(f, [route(S[0], b), removal(S[1]), route(S[2], c), route(S[3], b), route(S[4], b), removal(S[5])]);
    await applyAll(f, tree);
    const expectRouting = async (want: (bigint | null)[]) => {
      for (let i = 0; i < S.length; i++) expect(await callRouted(f, S[i]), `selector ${i}`).toBe(want[i] === null ? notFound(S[i]) : want[i]);
    };
    await expectRouting([a.tag, a.tag, a.tag, null, null, null]);
    const epoch = await f.dispatcher.pendingEpoch();
    await (await cancel(f, tree.root, epoch, 1)).wait();
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(S[0])).wait();
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(S[2])).wait();
    await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(pruneHints(await rawList(f)).concat(["0x00000000", S[0], S[1], S[2], S[3], S[4], S[5]]))).wait();
    await expectRouting([null, a.tag, null, null, null, null]);
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    await time.increase(DELAY + EXPIRY + 10);
    await (await cancel(f, tree.root, epoch, 2)).wait();
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    await expectRouting([null, a.tag, null, null, null, null]);
    await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(pruneHints(await rawList(f)))).wait();
    await cancelAll(f, 1);
    await expectRouting([null, a.tag, null, null, null, null]);
    // nothing of the cancelled manifest goes live with the next activation
    await upgrade(f, [route(sel("next()"), c)]);
    await expectRouting([null, a.tag, null, null, null, null]);
    expect(await f.dispatcher.facetFunctionSelectors(b.facet)).toEqual([]);
    // the disabled ones come back only through the timelock
    await upgrade(f, [route(S[0], c), route(S[2], c)]);
    await expectRouting([c.tag, a.tag, c.tag, null, null, null]);
  });

  it("never revives a stale previous record: replaced, then removed, disabled, pruned, re-added and cancelled", async () => {
    const f = await deployDispatcher();
    const [a, b, c] = await idFacets(f, 3);
    const s = sel("stale()");
    await upgrade(f, [route(s, a)]);
    await upgrade(f, [route(s, b)]); // previous[s] = a (stale after activation)
    expect(await callRouted(f, s)).toBe(b.tag);
    await upgrade(f, [removal(s)]); // previous[s] = b
    expect(await callRouted(f, s)).toBe(notFound(s));
    await expectRevert(f.dispatcher.connect(f.emergency).getFunction("disableSelector")(s), "FunctionNotFound", [s]);
    // re-add then cancel: back to removed, neither a nor b
    let tree = await commit(f, [route(s, c)]);
    await applyAll(f, tree);
    expect(await callRouted(f, s)).toBe(notFound(s));
    expect(await f.dispatcher.facetAddress(s)).toBe(ZeroAddress);
    await cancelAll(f, 1);
    expect(await callRouted(f, s)).toBe(notFound(s));
    // prune it, stage it again as new, cancel: still nothing
    await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(pruneHints(await rawList(f)))).wait();
    tree = await commit(f, [route(s, c)]);
    await applyAll(f, tree);
    await cancelAll(f, 1);
    expect(await callRouted(f, s)).toBe(notFound(s));
    // live on c, then disabled while a replacement to a is pending, then the replacement cancelled
    await upgrade(f, [route(s, c)]);
    tree = await commit(f, [route(s, a)]);
    await applyAll(f, tree);
    expect(await callRouted(f, s)).toBe(c.tag);
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(s)).wait();
    expect(await callRouted(f, s)).toBe(notFound(s));
    await cancelAll(f, 1);
    expect(await callRouted(f, s)).toBe(notFound(s));
    expect(await f.dispatcher.facetAddress(s)).toBe(ZeroAddress);
    for (const p of [true, false]) {
      if (p) await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
      else await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
      expect(await callRouted(f, s)).toBe(notFound(s));
    }
  });

  it("keeps protected selectors out of reach: no leaf, removal, disable or prune can touch them", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    for (const s of [PAUSE_SELECTOR, COMMIT_SELECTOR, sel("grantRole(bytes32,address)"), "0x00000000"]) {
      for (const leaf of [route(s, a), removal(s)]) {
        const tree = await commit(f, [leaf, route(sel("filler()"), a)]);
        await expectRevert(applyBatch(f, tree, [indexOfSelector(tree, s)]), "ProtectedSelector", [s]);
        await cancelAll(f);
      }
      await expectRevert(f.dispatcher.connect(f.emergency).getFunction("disableSelector")(s), "ProtectedSelector", [s]);
    }
    const before = await rawList(f);
    await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(["0x00000000", ...before.map((e) => e.selector), PAUSE_SELECTOR, PAUSE_SELECTOR])).wait();
    expect(await rawList(f)).toEqual(before);
    expect(before).toHaveLength(53);
    expect(await f.dispatcher.paused()).toBe(false);
  });

  it("refuses every role-gated function to accounts without the role", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const tree = buildManifestTree([route(sel("q()"), a)]);
    const b = encodeBatch(tree, [0]);
    const denied = "AccessControlUnauthorizedAccount";
    for (const who of [f.outsider, f.applier, f.emergency]) await expectRevert(f.router.connect(who).getFunction("commitRoot")(tree.root, 1n, 1, tree.binding, tree.headerProof), denied);
    await (await sendCommit(f, tree)).wait();
    for (const who of [f.outsider, f.committer, f.emergency, f.admin]) {
      await expectRevert(f.router.connect(who).getFunction("applyRoutes")(...batchArgs(b)), denied);
      await expectRevert(f.router.connect(who).getFunction("activateCommittedRoot")(b.facets, [ZeroAddress, ZeroHash, "0x"]), denied);
      await expectRevert(f.dispatcher.connect(who).getFunction("pruneSelectors")([]), denied);
    }
    for (const who of [f.outsider, f.applier, f.admin]) await expectRevert(f.dispatcher.connect(who).getFunction("cancelCommittedRoot")(tree.root, 1n, 10), denied);
    for (const who of [f.outsider, f.applier, f.committer, f.admin]) {
      await expectRevert(f.dispatcher.connect(who).getFunction("disableSelector")(sel("q()")), denied);
      await expectRevert(f.dispatcher.connect(who).getFunction("pause")(), denied);
    }
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    for (const who of [f.outsider, f.applier, f.committer, f.emergency]) {
      await expectRevert(f.dispatcher.connect(who).getFunction("unpause")(), denied);
      await expectRevert(f.dispatcher.connect(who).getFunction("setActivationDelay")(1), denied);
      await expectRevert(f.dispatcher.connect(who).getFunction("grantRole")(id("APPLY_ROLE"), who.address), denied);
    }
  });
});

describe("facet and initializer checks", () => {
  it("refuses the dispatcher, its admin facet, an EOA, an oversized contract and an EIP-7702 delegation as facets", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const big = await deployIdFacet(f, 0xb16n);
    await ethers.provider.send("hardhat_setCode", [big, "0x" + "00".repeat(24_577)]);
    const delegated = await deployIdFacet(f, 0x7702n);
    await ethers.provider.send("hardhat_setCode", [delegated, concat(["0xef0100", a.facet])]);
    const cases: [string, string][] = [
      [f.address, "InvalidFacet"],
      [f.adminFacet, "InvalidFacet"],
      [f.outsider.address, "FacetHasNoCode"],
      [big, "FacetTooLarge"],
      [delegated, "InvalidFacet"],
    ];
    for (const [facet, error] of cases) {
      const tree = await commit(f, [{ selector: sel("bad()"), facet, codehash: await codehashOf(facet) }]);
      await expectRevert(applyBatch(f, tree, [0]), error);
      await cancelAll(f);
    }
  });

  it("runs the initializer after the switch (it can call the new routes) and a reverting re-entry undoes everything", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const s = sel("inited()");
    // initializer bytecode: ok := call(gas(), address(), 0, 0, 4, 0, 32) with calldata s; revert unless ok && mload(0) == a's tag
    const parts = ["0x63", s, "0x60e01b600052", "0x6020600060046000600030", "0x5a", "0xf1", "0x600051", "0x7f", toBeHex(a.tag, 32), "0x14", "0x16"];
    const prefix = concat(parts);
    const dest = (prefix.length - 2) / 2 + 2 + 1 + 5; // PUSH1 dest, JUMPI, revert(0,0)
    const runtime = concat([prefix, "0x60", toBeHex(dest, 1), "0x57", "0x60006000fd", "0x5b00"]);
    const init = await deployRuntime(f, runtime);
    const initializer = { facet: init, codehash: await codehashOf(init), data: "0x" };
    // the same initializer calling a route that does NOT exist in its manifest reverts → nothing live
    const refused = await commit(f, [route(sel("other()"), a)], initializer);
    await applyAll(f, refused);
    await time.increase(DELAY);
    await expectRevert(sendActivate(f, refused), "InitializerFailed", [init]);
    expect(await callRouted(f, sel("other()"))).toBe(notFound(sel("other()")));
    await cancelAll(f);
    // with the route in its manifest, the initializer sees it live
    await upgrade(f, [route(s, a)], undefined, initializer);
    expect(await callRouted(f, s)).toBe(a.tag);
  });

  it("an initializer re-entering activate/commit/cancel (no role for the dispatcher) makes the whole activation revert", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    for (const target of [sel("activateCommittedRoot((address,bytes32)[],(address,bytes32,bytes))"), COMMIT_SELECTOR, sel("cancelCommittedRoot(bytes32,uint64,uint32)"), PAUSE_SELECTOR]) {
      // call(gas, address(), 0, 0, 4, 0, 0); if !ok revert(0,0)
      const prefix = concat(["0x63", target, "0x60e01b600052", "0x6000600060046000600030", "0x5a", "0xf1"]);
      const dest = (prefix.length - 2) / 2 + 3 + 5;
      const runtime = concat([prefix, "0x60", toBeHex(dest, 1), "0x57", "0x60006000fd", "0x5b00"]);
      const init = await deployRuntime(f, runtime);
      const tree = await commit(f, [route(sel("re()"), a)], { facet: init, codehash: await codehashOf(init), data: "0x" });
      await applyAll(f, tree);
      await time.increase(DELAY);
      await expectRevert(sendActivate(f, tree), "InitializerFailed", [init]);
      expect(await f.dispatcher.activeEpoch()).toBe(0n);
      expect(await callRouted(f, sel("re()"))).toBe(notFound(sel("re()")));
      await cancelAll(f);
    }
  });

  it("a self-destructing initializer cannot remove the dispatcher's code (Cancun EIP-6780)", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const init = await deployRuntime(f, "0x33ff"); // selfdestruct(caller)
    const codeBefore = await ethers.provider.getCode(f.address);
    await upgrade(f, [route(sel("sd()"), a)], undefined, { facet: init, codehash: await codehashOf(init), data: "0x" });
    expect(await ethers.provider.getCode(f.address)).toBe(codeBefore);
    expect(await callRouted(f, sel("sd()"))).toBe(a.tag);
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
  });

  it("re-verifies every listed facet's code at activation, including one whose leaves were applied long before", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const tree = await commit(f, [route(sel("c0()"), a), route(sel("c1()"), b)]);
    await (await applyBatch(f, tree, [indexOfSelector(tree, sel("c0()"))])).wait();
    await ethers.provider.send("hardhat_setCode", [a.facet, concat(["0x7f", toBeHex(0xbadn, 32), "0x60005260206000f3"])]);
    await (await applyBatch(f, tree, [indexOfSelector(tree, sel("c1()"))])).wait();
    await time.increase(DELAY);
    // Read the live hash before sending: an argument awaited after the send leaves its rejection unhandled meanwhile.
    const live = await codehashOf(a.facet);
    await expectRevert(sendActivate(f, tree), "CodehashMismatch", [a.facet, a.codehash, live]);
  });
});

describe("loupe and ERC-165 follow live routing", () => {
  it("reports the old facet while a replacement is staged, nothing for staged-only selectors, and never 0xffffffff", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const s = sel("loupe()");
    await upgrade(f, [route(s, a), route("0xffffffff", a)]);
    expect(await callRouted(f, "0xffffffff")).toBe(a.tag);
    expect(await f.dispatcher.supportsInterface("0xffffffff")).toBe(false);
    const tree = await commit(f, [route(s, b), route(sel("new()"), b)]);
    await applyAll(f, tree);
    expect(await f.dispatcher.facetAddress(s)).toBe(a.facet);
    expect(await f.dispatcher.facetAddress(sel("new()"))).toBe(ZeroAddress);
    expect(await f.dispatcher.supportsInterface(sel("new()"))).toBe(false);
    expect(await f.dispatcher.facetAddresses()).not.toContain(b.facet);
    await activate(f, tree);
    expect(await f.dispatcher.facetAddresses()).toContain(a.facet);
    expect([...(await f.dispatcher.facetFunctionSelectors(a.facet))]).toEqual(["0xffffffff"]);
    expect([...(await f.dispatcher.facetFunctionSelectors(b.facet))].sort()).toEqual([s, sel("new()")].sort());
  });
});

describe("the veto fits: cancel chunk gas (execution gas, before refunds) vs the 16,777,216 cap", () => {
  it("needs at most ~12,000 gas of gas limit per restored or dropped route", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const N = 500;
    const sels = Array.from({ length: N }, (_, i) => keccak256(toBeHex(0xc0ffee00n + BigInt(i), 32)).slice(0, 10));
    await upgrade(f, sels.map((s) => route(s, a)));
    const extra = Array.from({ length: N }, (_, i) => keccak256(toBeHex(0xbeef0000n + BigInt(i), 32)).slice(0, 10));
    const tree = await commit(f, [...sels.map((s) => route(s, b)), ...extra.map((s) => route(s, b))]);
    await applyAll(f, tree);
    const epoch = await f.dispatcher.pendingEpoch();
    const fn = f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot");
    const restore100 = await fn.estimateGas(tree.root, epoch, 100);
    const restore400 = await fn.estimateGas(tree.root, epoch, 400);
    const perRestore = Number(restore400 - restore100) / 300;
    await (await fn(tree.root, epoch, N)).wait(); // all replaced routes restored
    const drop100 = await fn.estimateGas(tree.root, epoch, 100);
    const drop400 = await fn.estimateGas(tree.root, epoch, 400);
    const perDrop = Number(drop400 - drop100) / 300;
    console.log(`cancel gas limit per route: restore ${perRestore.toFixed(0)}, drop ${perDrop.toFixed(0)}; fixed ${restore100 - 100n * BigInt(Math.round(perRestore))}`);
    expect(perRestore).toBeLessThanOrEqual(12_000);
    expect(perDrop).toBeLessThanOrEqual(12_000);
    // a chunk sized from the cap at 12k per route fits the cap
    const chunk = Math.floor((TX_GAS_CAP - 100_000) / 12_000);
    expect(Number(restore100) + (chunk - 100) * perRestore).toBeLessThan(TX_GAS_CAP);
  });
});

describe("pruneSelectors with hostile predecessor hints", () => {
  it("only ever unlinks dead entries, keeps the order of the rest and never changes routing, whatever the hints", async () => {
    const f = await deployDispatcher();
    const [a] = await idFacets(f, 1);
    const S = Array.from({ length: 16 }, (_, i) => sel(`prune${i}()`));
    await upgrade(f, S.map((s) => route(s, a)));
    await upgrade(f, S.filter((_, i) => i % 3 !== 1).slice(0, 8).map((s) => removal(s)));
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(S[13])).wait();
    // a pending manifest staging a new selector and replacing a live and a dead one
    const pendingTree = await commit(f, [route(sel("pnew()"), a), route(S[1], a), route(S[0], a)]);
    await applyAll(f, pendingTree);
    const routingOf = async () => Promise.all([...S, sel("pnew()")].map((s) => callRouted(f, s)));
    const routing = await routingOf();
    const initial = await rawList(f);
    const pool = ["0x00000000", ...initial.map((e) => e.selector), "0xdeadbeef", S[0]];
    const snap0 = await hre.network.provider.send("evm_snapshot", []);
    let snap = snap0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.nat(pool.length - 1), { maxLength: 12 }), { minLength: 1, maxLength: 3 }), async (rounds) => {
        await hre.network.provider.send("evm_revert", [snap]);
        snap = await hre.network.provider.send("evm_snapshot", []);
        let before = initial;
        for (const round of rounds) {
          await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(round.map((i) => pool[i]))).wait();
          const after = await rawList(f);
          // a subsequence of the list before, missing only dead entries
          let j = 0;
          for (const e of before) {
            if (j < after.length && after[j].selector === e.selector) j++;
            else expect(e.dead, `live entry ${e.selector} unlinked`).toBe(true);
          }
          expect(j).toBe(after.length);
          before = after;
        }
        expect(await routingOf()).toEqual(routing);
        // the smart hints then clean up everything that is left, and the pending manifest still activates
        await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(pruneHints(before))).wait();
        expect((await rawList(f)).filter((e) => e.dead)).toEqual([]);
      }),
      { numRuns: 25 },
    );
    await activate(f, pendingTree);
    expect(await callRouted(f, S[0])).toBe(a.tag);
    expect(await callRouted(f, sel("pnew()"))).toBe(a.tag);
  });
});

describe("property 8: the dispatcher's own selectors", () => {
  it("routes every admin-facet function (but initialize/routedSelectors) and the router's three to the dispatcher, protected", async () => {
    const f = await deployDispatcher();
    const adminAbi = (await hre.artifacts.readArtifact("DispatcherAdminFacet")).abi as { type: string; name: string; inputs: { type: string }[] }[];
    const fns = adminAbi.filter((x) => x.type === "function" && !["initialize", "routedSelectors"].includes(x.name));
    const iface = f.dispatcher.interface;
    for (const fn of fns) {
      const selector = iface.getFunction(fn.name)!.selector;
      expect(await f.dispatcher.facetAddress(selector), fn.name).toBe(f.adminFacet);
    }
    for (const name of ["commitRoot", "applyRoutes", "activateCommittedRoot"]) expect(await f.dispatcher.facetAddress(f.router.interface.getFunction(name)!.selector)).toBe(f.address);
    // initialize is not reachable through the dispatcher
    const init = (await ethers.getContractAt("DispatcherAdminFacet", f.address)).interface.encodeFunctionData("initialize", [f.outsider.address, 0]);
    await expectRevert(f.outsider.sendTransaction({ to: f.address, data: init }), "FunctionNotFound");
  });
});

describe("multiproof edge cases", () => {
  it("refuses a batch with an unused extra proof element, a dropped proof element, or a leaf swapped for another tree leaf", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const S = Array.from({ length: 6 }, (_, i) => sel(`mp${i}()`));
    const tree = await commit(f, S.map((s, i) => route(s, i % 2 ? a : b)));
    const apply = (leaves: string, proof: string[], flagsLength: number, flags?: string) => {
      const bits = flags ?? hexlify(new Uint8Array(Math.ceil(flagsLength / 8)));
      return f.router.connect(f.applier).getFunction("applyRoutes")(tree.facets.map((p) => [p.facet, p.codehash]), initializerHash(), leaves, proof, bits);
    };
    const idx = [indexOfSelector(tree, S[0]), indexOfSelector(tree, S[3])];
    const good = encodeBatch(tree, idx);
    const reverts = async (p: Promise<unknown>) => {
      let failed = false;
      try {
        await p;
      } catch {
        failed = true;
      }
      expect(failed).toBe(true);
    };
    await reverts(apply(good.leaves, [...good.proof, good.proof[0]], 0, good.proofFlags + (good.proof.length + 2 > (good.proofFlags.length - 2) * 4 ? "00" : "")));
    await reverts(apply(good.leaves, good.proof.slice(1), 0, good.proofFlags));
    // swap one leaf of the batch for another leaf of the tree (same proof): refused
    const other = encodeBatch(tree, [indexOfSelector(tree, S[5])]);
    const swapped = concat([good.leaves.slice(0, 12), "0x" + other.leaves.slice(2)]);
    await expectRevert(apply(swapped, good.proof, 0, good.proofFlags), "InvalidProof");
    expect(await f.dispatcher.pendingProgress()).toEqual([0n, 6n]);
    // sibling leaves in the other order still prove the same set (commutative pairs): harmless
    await (await apply(good.leaves, good.proof, 0, good.proofFlags)).wait();
    expect(await f.dispatcher.pendingProgress()).toEqual([2n, 6n]);
  });
});

describe("facet index edges", () => {
  it("with 255 listed facets, index 254 is a facet and 255 is still only a removal", async () => {
    const f = await deployDispatcher();
    const [a, b] = await idFacets(f, 2);
    const list = [...Array.from({ length: 254 }, () => ({ facet: a.facet, codehash: a.codehash })), { facet: b.facet, codehash: b.codehash }];
    const s = sel("edge()");
    const binding = manifestBinding(list);
    const t = StandardMerkleTree.of([[s, b.facet, b.codehash], headerLeaf(1, binding)], ["bytes4", "address", "bytes32"]);
    await (await f.router.connect(f.committer).getFunction("commitRoot")(t.root, 1n, 1, binding, t.getProof(1))).wait();
    const multi = t.getMultiProof([0]);
    const apply = (index: string) => f.router.connect(f.applier).getFunction("applyRoutes")(list.map((p) => [p.facet, p.codehash]), initializerHash(), concat([s, index]), multi.proof, packFlags(multi.proofFlags));
    await expectRevert(apply("0xff"), "InvalidProof"); // 255 never selects list[255] (there is none) nor b
    await expectRevert(apply("0xfd"), "InvalidProof"); // a, not b
    await (await apply("0xfe")).wait();
    await time.increase(DELAY);
    await (await f.router.connect(f.applier).getFunction("activateCommittedRoot")(list.map((p) => [p.facet, p.codehash]), [ZeroAddress, ZeroHash, "0x"])).wait();
    expect(await callRouted(f, s)).toBe(b.tag);
  });
});
