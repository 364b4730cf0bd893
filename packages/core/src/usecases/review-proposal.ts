/**
 * `reviewProposal`: what a proposal will do, per target network, before any transaction — the diff against
 * the dispatcher's live routing read at one stated block, facets whose code differs, drift, the batch plan
 * with gas per step, its cost from `eth_feeHistory`, the timeline, and the approval digest in full.
 * Reads only: it never writes, schedules or signs.
 */
import { diffManifest, type ManifestChanges } from "../manifest/diff.js";
import { isRemoval, manifestInitializer, type Manifest } from "../manifest/format.js";
import { buildManifestTree } from "../manifest/merkle.js";
import { lifecycleGas, planBatches } from "../manifest/planner.js";
import { parseManifest } from "../manifest/validate.js";
import { approvalSubject } from "../governance/approval.js";
import { ApprovalAction, approvalHashes, approvalTypedData, type ApprovalHashes, type ApprovalTypedData } from "../governance/typed-data.js";
import { costOf, FEE_HISTORY_BLOCKS, FEE_PERCENTILES, feeEstimate, sumCosts, type CostRange, type FeeEstimate } from "../review/cost.js";
import type { ReadBlock, RoutingSnapshot } from "../run/gateway.js";
import type { Proposal, Run } from "../run/types.js";
import type { SchedulerDeps } from "./deps.js";
import { ProposalNotFoundError } from "./errors.js";

/** Input of {@link reviewProposal}. */
export interface ReviewProposalParameters {
  proposalId: string;
}

/** One selector's change: the live route it leaves (absent for an add) and the manifest's (absent for a removal). */
export interface RouteChangeView {
  selector: string;
  /** The manifest's signature, when it names one. */
  signature: string;
  /** Live facet and its code hash at the review's block (null: no code). */
  old?: { facet: string; codehash: string | null };
  /** The manifest's facet and code hash. */
  new?: { facet: string; codehash: string };
}

/** A manifest facet whose code on the network is not the code the manifest pins. */
export interface CodehashMismatch {
  facet: string;
  facetName: string;
  /** The manifest's code hash. */
  expected: string;
  /** EXTCODEHASH at the review's block; null when the address has no code. */
  actual: string | null;
}

/** One step of the plan with its estimated gas. */
export interface PlannedStepView {
  step: "commit" | "apply" | "activate";
  /** Apply batch index. */
  batch?: number;
  /** Route leaves of an apply batch. */
  leaves?: number;
  estimatedGas: number;
}

/** A cost in the native token's smallest unit (wei), decimal strings. */
export interface CostView {
  low: string;
  mid: string;
  high: string;
}

/** The review of one network that could be read. */
export interface NetworkReview {
  network: string;
  ok: true;
  chainId: number;
  /** The run's state (`PROPOSED` until committed). */
  runState?: string;
  /** Every read of this network was made at this block. */
  block: ReadBlock;
  dispatcher: { activeEpoch: number; activeRoot: string; pendingRoot: string | null; paused: boolean; activationDelaySeconds: number; expiryWindowSeconds: number };
  diff: { added: RouteChangeView[]; replaced: RouteChangeView[]; removed: RouteChangeView[]; unchanged: number; removalsNotLive: string[] };
  codehashMismatches: CodehashMismatch[];
  /**
   * The active state the diff is computed against compared with the manifest's base (what the commit
   * checks: `drifted` means the commit would be refused; never set once the run has committed) and with
   * the state observed when the proposal was made (`sinceProposal`; null when nothing was recorded then).
   */
  drift: {
    base: { epoch: number; root: string };
    atProposal: { epoch: number; root: string } | null;
    live: { epoch: number; root: string };
    drifted: boolean;
    sinceProposal: boolean | null;
  };
  plan: { steps: PlannedStepView[]; batches: number; totalGas: number };
  /** Cost of the plan's gas; absent when the network's fee history can't be read. */
  cost?: CostView & { symbol: string; decimals: 18; baseFeePerGas: string; priorityFeePerGas: CostView; percentiles: readonly number[] };
  /** Why there is no `cost` (the fee history could not be read). */
  costUnavailable?: string;
  /** Unix ms; estimates until the run commits (`committed`), then the run's own ETA. */
  timeline: { committed: boolean; commitAtMs: number; etaMs: number; activateAtMs: number; expiresAtMs: number; cutoverAfterExpiry: boolean };
}

/** A network that could not be reviewed; the others still are. */
export interface NetworkReviewError {
  network: string;
  ok: false;
  error: { code: "review-unsupported" | "network-unreadable"; message: string };
}

/** Result of {@link reviewProposal}. */
export interface ReviewProposalReturnType {
  proposalId: string;
  name: string;
  root: string;
  leafCount: number;
  reviewedAtMs: number;
  networks: (NetworkReview | NetworkReviewError)[];
  /** Cost summed per native token symbol over the networks that have one. */
  totals: (CostView & { symbol: string; networks: string[] })[];
  timeline: { createdAtMs: number; earliestCommitAtMs: number | null; cutoverAtMs: number | null; approvalDeadlineMs: number | null };
  /** The Approve typed data at nonce 0 and its hashes, when the proposal is under an approval policy. */
  approval?: { status: string; threshold: number; nonce: 0; typedData: ApprovalTypedData } & ApprovalHashes;
}

/**
 * Reviews a proposal on every target network. A network that can't be read gets an error entry; the
 * review as a whole fails only for an unknown proposal.
 * @throws {ProposalNotFoundError}
 * @example
 * const review = await reviewProposal({ proposalId }, deps);
 * for (const n of review.networks) if (n.ok) console.log(n.network, n.diff.added.length, n.cost?.mid);
 */
export async function reviewProposal({ proposalId }: ReviewProposalParameters, deps: SchedulerDeps): Promise<ReviewProposalReturnType> {
  const proposal = await deps.store.getProposal(proposalId);
  if (!proposal) throw new ProposalNotFoundError(proposalId);
  const runs = new Map((await deps.store.listRuns(proposalId)).map((run) => [run.network, run]));
  const manifest = parseManifest(proposal.manifestJson);
  const nowMs = deps.clock.now();
  const networks = await Promise.all(proposal.networks.map((network) => reviewNetwork(network, proposal, manifest, runs.get(network), nowMs, deps)));
  return {
    proposalId,
    name: proposal.name,
    root: proposal.root,
    leafCount: manifest.entries.length,
    reviewedAtMs: nowMs,
    networks,
    totals: totalsOf(networks),
    timeline: {
      createdAtMs: proposal.createdAtMs,
      earliestCommitAtMs: proposal.earliestCommitAtMs ?? null,
      cutoverAtMs: proposal.cutoverAtMs ?? null,
      approvalDeadlineMs: proposal.approval?.deadlineMs ?? null,
    },
    ...(proposal.approval && { approval: approvalView(proposal as Proposal & Required<Pick<Proposal, "approval">>) }),
  };
}

async function reviewNetwork(network: string, proposal: Proposal, manifest: Manifest, run: Run | undefined, nowMs: number, deps: SchedulerDeps): Promise<NetworkReview | NetworkReviewError> {
  const { gateway } = deps;
  const registry = deps.networks(network);
  if (!gateway.readRouting || !registry) {
    return { network, ok: false, error: { code: "review-unsupported", message: registry ? "this deployment's gateway cannot read live routing" : `network ${network} is not configured here` } };
  }
  // Planned before any read: only the chain's answers make a network "unreadable".
  const steps = planSteps(proposal, manifest, registry.maxTxGas, deps);
  const totalGas = steps.reduce((sum, s) => sum + s.estimatedGas, 0);
  const pinned = manifestFacets(manifest);
  try {
    const snapshot = await gateway.readRouting(network, [...pinned.keys()]);
    const fees = await readFees(network, snapshot.block.number, deps);
    return {
      network,
      ok: true,
      chainId: registry.chainId,
      ...(run && { runState: run.state }),
      block: snapshot.block,
      dispatcher: {
        activeEpoch: Number(snapshot.state.activeEpoch),
        activeRoot: snapshot.state.activeRoot,
        pendingRoot: /^0x0{64}$/.test(snapshot.state.pendingRoot) ? null : snapshot.state.pendingRoot,
        paused: snapshot.state.paused,
        activationDelaySeconds: snapshot.activationDelaySeconds,
        expiryWindowSeconds: snapshot.state.expiryWindowSeconds,
      },
      diff: diffView(diffManifest(manifest.entries, { activeEpoch: snapshot.state.activeEpoch, activeRoot: snapshot.state.activeRoot, routes: snapshot.routes }), snapshot),
      codehashMismatches: codehashMismatches(pinned, snapshot),
      drift: driftOf(manifest, proposal.liveAtProposal?.[network], snapshot, run?.etaMs !== undefined),
      plan: { steps, batches: steps.filter((s) => s.step === "apply").length, totalGas },
      ...("estimate" in fees
        ? { cost: { ...costView(costOf(BigInt(totalGas), fees.estimate)), ...feeView(fees.estimate), symbol: registry.nativeSymbol, decimals: 18 as const, percentiles: FEE_PERCENTILES } }
        : { costUnavailable: fees.unavailable }),
      timeline: timelineOf(proposal, run, snapshot, nowMs),
    };
  } catch (error) {
    return { network, ok: false, error: { code: "network-unreadable", message: `could not read ${network}: ${(error as Error).message.split("\n")[0]!.slice(0, 300)}; review again in a moment` } };
  }
}

/** The fee history up to the review's block; a network that can't give one is reviewed without a cost. */
async function readFees(network: string, newestBlock: number, deps: SchedulerDeps): Promise<{ estimate: FeeEstimate } | { unavailable: string }> {
  if (!deps.gateway.feeHistory) return { unavailable: "this deployment's gateway cannot read fee history" };
  try {
    return { estimate: feeEstimate(await deps.gateway.feeHistory(network, { blocks: FEE_HISTORY_BLOCKS, newestBlock, percentiles: FEE_PERCENTILES })) };
  } catch (error) {
    return { unavailable: `eth_feeHistory failed: ${(error as Error).message.split("\n")[0]!.slice(0, 200)}` };
  }
}

/** Every facet the manifest pins (routes and initializer): address (lowercase) → name and code hash. */
function manifestFacets(manifest: Manifest): Map<string, { facet: string; facetName: string; codehash: string }> {
  const pinned = new Map<string, { facet: string; facetName: string; codehash: string }>();
  for (const e of [...manifest.entries.filter((e) => !isRemoval(e)), ...(manifest.init ? [manifest.init] : [])]) {
    pinned.set(e.facet.toLowerCase(), { facet: e.facet, facetName: e.facetName, codehash: e.codehash });
  }
  return pinned;
}

function diffView(changes: ManifestChanges, snapshot: RoutingSnapshot): NetworkReview["diff"] {
  const old = (facet: string) => ({ facet, codehash: snapshot.codeHashes.get(facet.toLowerCase()) ?? null });
  const live = (selector: string) => snapshot.routes.get(selector)!;
  return {
    added: changes.add.map((e) => ({ selector: e.selector, signature: e.signature, new: { facet: e.facet, codehash: e.codehash } })),
    replaced: changes.replace.map(({ entry: e, from }) => ({ selector: e.selector, signature: e.signature, old: old(from), new: { facet: e.facet, codehash: e.codehash } })),
    removed: changes.remove.map((e) => ({ selector: e.selector, signature: e.signature, old: old(live(e.selector)) })),
    unchanged: changes.unchanged,
    removalsNotLive: changes.removeNotLive.map((e) => e.selector),
  };
}

function codehashMismatches(pinned: ReturnType<typeof manifestFacets>, snapshot: RoutingSnapshot): CodehashMismatch[] {
  return [...pinned.values()]
    .map((p) => ({ facet: p.facet, facetName: p.facetName, expected: p.codehash, actual: snapshot.codeHashes.get(p.facet.toLowerCase()) ?? null }))
    .filter((m) => m.actual?.toLowerCase() !== m.expected.toLowerCase())
    .sort((a, b) => (a.facet.toLowerCase() < b.facet.toLowerCase() ? -1 : 1));
}

/** Drift of the live state; a run that already committed passed the commit's own check, so it is not `drifted`. */
function driftOf(manifest: Manifest, atProposal: { activeEpoch: number; activeRoot: string } | undefined, snapshot: RoutingSnapshot, committed: boolean): NetworkReview["drift"] {
  const live = { epoch: Number(snapshot.state.activeEpoch), root: snapshot.state.activeRoot.toLowerCase() };
  const same = (a: { epoch: number; root: string }) => a.epoch === live.epoch && a.root.toLowerCase() === live.root;
  const base = { epoch: manifest.baseEpoch, root: manifest.previousRoot };
  const recorded = atProposal ? { epoch: atProposal.activeEpoch, root: atProposal.activeRoot.toLowerCase() } : null;
  return { base, atProposal: recorded, live, drifted: !committed && !same(base), sinceProposal: recorded ? !same(recorded) : null };
}

/** The steps the runs will send, with the planner's gas: the apply batches are planned as the apply step plans them. */
function planSteps(proposal: Proposal, manifest: Manifest, maxTxGas: number, deps: SchedulerDeps): PlannedStepView[] {
  const gas = lifecycleGas(buildManifestTree(manifest.entries, manifestInitializer(manifest)));
  const plan = planBatches(manifest, { ...deps.options?.planOptions, ...proposal.plan, maxTxGas });
  return [
    { step: "commit", estimatedGas: gas.commit },
    ...plan.batches.map((b) => ({ step: "apply" as const, batch: b.index, leaves: b.routes.length, estimatedGas: b.estimatedGas })),
    { step: "activate", estimatedGas: gas.activate },
  ];
}

function timelineOf(proposal: Proposal, run: Run | undefined, snapshot: RoutingSnapshot, nowMs: number): NetworkReview["timeline"] {
  const delayMs = snapshot.activationDelaySeconds * 1000;
  const committed = run?.etaMs !== undefined;
  const commitAtMs = committed ? run!.etaMs! - delayMs : Math.max(nowMs, proposal.earliestCommitAtMs ?? 0);
  const etaMs = committed ? run!.etaMs! : commitAtMs + delayMs;
  const activateAtMs = run?.activateAtMs ?? Math.max(etaMs, proposal.cutoverAtMs ?? 0);
  const expiresAtMs = etaMs + snapshot.state.expiryWindowSeconds * 1000;
  return { committed, commitAtMs, etaMs, activateAtMs, expiresAtMs, cutoverAfterExpiry: activateAtMs > expiresAtMs };
}

function totalsOf(networks: readonly (NetworkReview | NetworkReviewError)[]): ReviewProposalReturnType["totals"] {
  const bySymbol = new Map<string, { costs: CostRange[]; networks: string[] }>();
  for (const n of networks) {
    if (!n.ok || !n.cost) continue;
    const entry = bySymbol.get(n.cost.symbol) ?? { costs: [], networks: [] };
    entry.costs.push({ low: BigInt(n.cost.low), mid: BigInt(n.cost.mid), high: BigInt(n.cost.high) });
    entry.networks.push(n.network);
    bySymbol.set(n.cost.symbol, entry);
  }
  return [...bySymbol].map(([symbol, { costs, networks }]) => ({ symbol, ...costView(sumCosts(costs)), networks }));
}

function approvalView(proposal: Proposal & Required<Pick<Proposal, "approval">>): NonNullable<ReviewProposalReturnType["approval"]> {
  const typedData = approvalTypedData(approvalSubject(proposal), ApprovalAction.APPROVE, 0);
  return { status: proposal.approval.status, threshold: proposal.approval.threshold, nonce: 0, typedData, ...approvalHashes(typedData) };
}

function costView(cost: CostRange): CostView {
  return { low: cost.low.toString(), mid: cost.mid.toString(), high: cost.high.toString() };
}

function feeView(fees: FeeEstimate): { baseFeePerGas: string; priorityFeePerGas: CostView } {
  return { baseFeePerGas: fees.baseFeePerGas.toString(), priorityFeePerGas: costView(fees.priorityFeePerGas) };
}
