import { getAddress, id, keccak256, toBeHex, TypedDataEncoder, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import {
  findNetwork,
  LEAF_ENCODING,
  MANIFEST_FORMAT,
  manifestRoot,
  parseManifest,
  ProposalNotFoundError,
  proposeUpgrade,
  reviewProposal,
  runStep,
  serializeManifest,
  type FeeHistory,
  type FeeHistoryQuery,
  type Manifest,
  type ManifestEntry,
  type NetworkReview,
  type RoutingSnapshot,
} from "../../../src/index.js";
import { eoaPolicy, governanceDeps } from "../../support/governance.js";
import { inMemoryPorts, ScriptedGateway, syntheticManifestJson, type ManualClock } from "../../support/in-memory-ports.js";

const GWEI = 1_000_000_000n;
const facet = (n: number) => getAddress(toBeHex(n, 20));
const codehash = (n: number) => keccak256(toBeHex(n, 32));

/** The scripted dispatcher plus the review's reads: a live routing table, code per address and a fee history. */
class ReviewableGateway extends ScriptedGateway {
  routes = new Map<string, string>();
  code = new Map<string, string>();
  unreadable = new Set<string>();
  fees: FeeHistory = { oldestBlock: 1, baseFeePerGas: [9n * GWEI, 10n * GWEI], reward: [[1n * GWEI, 2n * GWEI, 3n * GWEI]], gasUsedRatio: [0.5] };
  feeQueries: FeeHistoryQuery[] = [];
  constructor(clock: ManualClock) {
    super(clock);
  }
  async readRouting(network: string, facets: readonly string[]): Promise<RoutingSnapshot> {
    if (this.unreadable.has(network)) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
    const latest = await this.latestBlock(network);
    const addresses = new Set([...this.routes.values(), ...facets].map((a) => a.toLowerCase()));
    return {
      block: { ...latest, hash: keccak256(toBeHex(latest.number, 32)) },
      state: await this.readState(network),
      activationDelaySeconds: this.delaySeconds,
      routes: this.routes,
      codeHashes: new Map([...addresses].map((a) => [a, this.code.get(a) ?? null])),
    };
  }
  async feeHistory(_network: string, query: FeeHistoryQuery): Promise<FeeHistory> {
    this.feeQueries.push(query);
    return this.fees;
  }
}

/** Six routes over facets 0x1000 and 0x1001, plus the removal of a live selector and of one never routed. */
function manifestWithRemovals(): { json: string; manifest: Manifest; removedLive: string; removedNotLive: string } {
  const routes = parseManifest(syntheticManifestJson()).entries;
  const removedLive = id("gone()").slice(0, 10);
  const removedNotLive = id("never()").slice(0, 10);
  const removals: ManifestEntry[] = [removedLive, removedNotLive].map((selector) => ({ selector, signature: "", facet: ZeroAddress, facetName: "", codehash: ZeroHash }));
  const entries = [...routes, ...removals].sort((a, b) => (a.selector < b.selector ? -1 : 1));
  const manifest: Manifest = { format: MANIFEST_FORMAT, name: "review", baseEpoch: 0, previousRoot: ZeroHash, leafEncoding: [...LEAF_ENCODING], root: manifestRoot(entries), entries };
  return { json: serializeManifest(manifest), manifest: parseManifest(serializeManifest(manifest)), removedLive, removedNotLive };
}

function setup() {
  const h = inMemoryPorts();
  const gateway = new ReviewableGateway(h.clock);
  const { json, manifest, removedLive, removedNotLive } = manifestWithRemovals();
  const [same, replaced] = manifest.entries.filter((e) => e.facet !== ZeroAddress);
  // Live: one manifest route already on its facet, one on another facet, the selector the manifest removes, and one it leaves alone.
  gateway.routes = new Map([
    [same!.selector, same!.facet],
    [replaced!.selector, facet(0x2000)],
    [removedLive, facet(0x2000)],
    [id("untouched()").slice(0, 10), facet(0x2000)],
  ]);
  gateway.code = new Map([
    [facet(0x1000).toLowerCase(), codehash(1)],
    [facet(0x1001).toLowerCase(), codehash(99)],
    [facet(0x2000).toLowerCase(), codehash(5)],
  ]);
  const deps = h.deps({ gateway });
  return { h, gateway, deps, json, manifest, same: same!, replaced: replaced!, removedLive, removedNotLive };
}

describe("reviewProposal", () => {
  it("diffs the manifest against the live routing read at one block, with old and new facets and code hashes", async () => {
    // Prepare
    const { deps, json, same, replaced, removedLive, removedNotLive } = setup();
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], proposer: "alice" }, deps);
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    const ethereum = review.networks[0] as NetworkReview;
    expect(ethereum.ok).toBe(true);
    expect(ethereum.block).toMatchObject({ number: expect.any(Number), hash: expect.stringMatching(/^0x[0-9a-f]{64}$/), timestamp: expect.any(Number) });
    expect(ethereum.diff.added.map((c) => c.selector)).toHaveLength(4);
    expect(ethereum.diff.added.every((c) => c.old === undefined && c.new !== undefined)).toBe(true);
    expect(ethereum.diff.replaced).toEqual([{ selector: replaced.selector, signature: replaced.signature, old: { facet: facet(0x2000), codehash: codehash(5) }, new: { facet: replaced.facet, codehash: replaced.codehash } }]);
    expect(ethereum.diff.removed).toEqual([{ selector: removedLive, signature: "", old: { facet: facet(0x2000), codehash: codehash(5) } }]);
    expect(ethereum.diff.unchanged).toBe(1);
    expect(ethereum.diff.removalsNotLive).toEqual([removedNotLive]);
    expect(ethereum.diff.added.map((c) => c.selector)).not.toContain(same.selector);
  });

  it("flags each manifest facet whose code hash on the network differs or is missing", async () => {
    // Prepare
    const { deps, gateway, json } = setup();
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], proposer: "alice" }, { ...deps, gateway: Object.assign(Object.create(gateway), { codeHash: undefined }) });
    gateway.code.delete(facet(0x1000).toLowerCase());
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    expect((review.networks[0] as NetworkReview).codehashMismatches).toEqual([
      { facet: facet(0x1000), facetName: "Facet0", expected: codehash(1), actual: null },
      { facet: facet(0x1001), facetName: "Facet1", expected: codehash(2), actual: codehash(99) },
    ]);
  });

  it("reports drift against the manifest's base and against the state recorded when the proposal was made", async () => {
    // Prepare
    const { deps, gateway, json } = setup();
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], proposer: "alice" }, deps);
    const moved = keccak256("0x01");
    Object.assign(gateway.state("ethereum"), { activeEpoch: 3n, activeRoot: moved });
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    expect(proposal.liveAtProposal).toEqual({ ethereum: { activeEpoch: 0, activeRoot: ZeroHash } });
    expect((review.networks[0] as NetworkReview).drift).toEqual({ base: { epoch: 0, root: ZeroHash }, atProposal: { epoch: 0, root: ZeroHash }, live: { epoch: 3, root: moved }, drifted: true, sinceProposal: true });
  });

  it("plans commit, each apply batch and activate, and prices the gas at the next base fee plus the p25/p50/p75 priority fees", async () => {
    // Prepare
    const { deps, gateway, json } = setup();
    gateway.fees = {
      oldestBlock: 10,
      baseFeePerGas: [8n * GWEI, 9n * GWEI, 9n * GWEI, 9n * GWEI, 10n * GWEI],
      // The empty block (zeros) is left out of the medians.
      reward: [[1n * GWEI, 2n * GWEI, 3n * GWEI], [0n, 0n, 0n], [2n * GWEI, 4n * GWEI, 6n * GWEI], [1n * GWEI, 3n * GWEI, 5n * GWEI]],
      gasUsedRatio: [0.5, 0, 0.5, 0.5],
    };
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum", "base"], proposer: "alice" }, deps);
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    const ethereum = review.networks[0] as NetworkReview;
    expect(ethereum.plan.steps.map((s) => s.step)).toEqual(["commit", "apply", "apply", "apply", "apply", "activate"]);
    expect(ethereum.plan.batches).toBe(4);
    const total = BigInt(ethereum.plan.totalGas);
    expect(total).toBe(BigInt(ethereum.plan.steps.reduce((sum, s) => sum + s.estimatedGas, 0)));
    expect(ethereum.cost).toMatchObject({ symbol: "ETH", decimals: 18, baseFeePerGas: String(10n * GWEI), priorityFeePerGas: { low: String(GWEI), mid: String(3n * GWEI), high: String(5n * GWEI) } });
    expect(ethereum.cost).toMatchObject({ low: String(total * 11n * GWEI), mid: String(total * 13n * GWEI), high: String(total * 15n * GWEI) });
    expect(gateway.feeQueries[0]).toEqual({ blocks: 20, newestBlock: ethereum.block.number, percentiles: [25, 50, 75] });
    expect(review.totals).toEqual([{ symbol: "ETH", networks: ["ethereum", "base"], low: String(2n * total * 11n * GWEI), mid: String(2n * total * 13n * GWEI), high: String(2n * total * 15n * GWEI) }]);
  });

  it("reviews a network whose fee history can't be read without a cost, saying why", async () => {
    // Prepare
    const { deps, gateway, json } = setup();
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], proposer: "alice" }, deps);
    gateway.feeHistory = async () => {
      throw new Error("the method eth_feeHistory does not exist");
    };
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    const ethereum = review.networks[0] as NetworkReview;
    expect(ethereum.ok).toBe(true);
    expect(ethereum.cost).toBeUndefined();
    expect(ethereum.costUnavailable).toBe("eth_feeHistory failed: the method eth_feeHistory does not exist");
    expect(review.totals).toEqual([]);
  });

  it("gives the timeline from the earliest commit, the activation delay, the cut-over and the expiry window", async () => {
    // Prepare
    const { deps, h, json } = setup();
    const earliest = h.clock.now() + 600_000;
    const cutover = earliest + 7_200_000;
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], earliestCommitAtMs: earliest, cutoverAtMs: cutover, proposer: "alice" }, deps);
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    expect((review.networks[0] as NetworkReview).timeline).toEqual({ committed: false, commitAtMs: earliest, etaMs: earliest + 3_600_000, activateAtMs: cutover, expiresAtMs: earliest + 3_600_000 + 86_400_000, cutoverAfterExpiry: false });
    expect(review.timeline).toEqual({ createdAtMs: h.clock.now(), earliestCommitAtMs: earliest, cutoverAtMs: cutover, approvalDeadlineMs: null });
  });

  it("takes the timeline from the run once it committed, with the root pending and no drift reported", async () => {
    // Prepare
    const { deps, h, json } = setup();
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], proposer: "alice" }, deps);
    await runStep([...h.scheduler.jobs.values()][0]!, deps);
    const run = (await h.store.getRun(proposal.id, "ethereum"))!;
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    const ethereum = review.networks[0] as NetworkReview;
    expect(run.state).toBe("COMMITTED");
    expect(ethereum).toMatchObject({ runState: "COMMITTED", dispatcher: { pendingRoot: proposal.root }, drift: { drifted: false } });
    expect(ethereum.timeline).toMatchObject({ committed: true, etaMs: run.etaMs, commitAtMs: run.etaMs! - 3_600_000, activateAtMs: run.activateAtMs });
  });

  it("gives a network that can't be read an error entry and still reviews the others", async () => {
    // Prepare
    const { deps, gateway, json } = setup();
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum", "base"], proposer: "alice" }, deps);
    gateway.unreadable.add("base");
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, deps);
    // Assess
    expect(review.networks.map((n) => [n.network, n.ok])).toEqual([["ethereum", true], ["base", false]]);
    expect(review.networks[1]).toEqual({ network: "base", ok: false, error: { code: "network-unreadable", message: expect.stringContaining("ECONNREFUSED") } });
    expect(review.totals.map((t) => t.networks)).toEqual([["ethereum"]]);
  });

  it("shows the Approve typed data at nonce 0 with its domain separator, struct hash and digest under a policy", async () => {
    // Prepare
    const { h, deps, json } = setup();
    const governed = { ...deps, governance: governanceDeps(h.store, eoaPolicy(3, 2), (n) => findNetwork(n)!.chainId) };
    const { proposal } = await proposeUpgrade({ manifestJson: json, networks: ["ethereum"], proposer: "alice" }, governed);
    // Act
    const review = await reviewProposal({ proposalId: proposal.id }, governed);
    // Assess
    const approval = review.approval!;
    expect(approval).toMatchObject({ status: "AWAITING_APPROVAL", threshold: 2, nonce: 0 });
    expect(approval.typedData.primaryType).toBe("Approve");
    expect(approval.typedData.message).toMatchObject({ proposalId: proposal.id, nonce: 0 });
    const { domain, types, message } = approval.typedData;
    expect(approval.domainSeparator).toBe(TypedDataEncoder.hashDomain(domain));
    expect(approval.structHash).toBe(TypedDataEncoder.from(types).hash(message));
    expect(approval.digest).toBe(TypedDataEncoder.hash(domain, types, message));
  });

  it("refuses an unknown proposal", async () => {
    const { deps } = setup();
    await expect(reviewProposal({ proposalId: "nope" }, deps)).rejects.toBeInstanceOf(ProposalNotFoundError);
  });
});
