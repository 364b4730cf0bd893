import { describe, expect, it } from "vitest";
import { getAddress, id, keccak256, toBeHex } from "ethers";
import { findNetwork, jobName, manifestInitializer, manifestRoot, NetworkGasCapError, NetworkReadError, parseManifest, planBatches, ProposalRejectedError, proposeUpgrade, RunState, serializeManifest, ZeroAddress, ZeroHash, type Network, type ProposeUpgradeParameters } from "../../../src/index.js";
import { inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const NETWORKS = ["ethereum", "base"];

describe("proposeUpgrade", () => {
  it("stores one PROPOSED run per network and schedules each commit at the earliest commit time", async () => {
    // Prepare
    const h = inMemoryPorts();
    const earliest = h.clock.now() + 600_000;
    // Act
    const { proposal, runs } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, earliestCommitAtMs: earliest, proposer: "alice" }, h.deps());
    // Assess
    expect(runs.map((r) => [r.network, r.state, r.batchCount])).toEqual([
      ["ethereum", RunState.PROPOSED, 3],
      ["base", RunState.PROPOSED, 3],
    ]);
    expect(await h.store.listRuns(proposal.id)).toHaveLength(2);
    expect([...h.scheduler.jobs.values()]).toEqual(
      NETWORKS.map((network) => ({ name: jobName(proposal.id, network, "commit", "0"), step: "commit", proposalId: proposal.id, network, attempt: "0", runAtMs: earliest })),
    );
    expect((await h.audit.list(proposal.id)).map((e) => e.event)).toEqual(["proposal.created"]);
  });

  it("schedules the commit now when earliestCommitAtMs is in the past", async () => {
    const h = inMemoryPorts();
    await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], earliestCommitAtMs: 0, proposer: "alice" }, h.deps());
    expect([...h.scheduler.jobs.values()][0]!.runAtMs).toBe(h.clock.now());
  });

  const valid: ProposeUpgradeParameters = { manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" };
  const tampered = syntheticManifestJson().replace(/"root": "0x[0-9a-f]{4}/, '"root": "0xdead');
  const cases: [string, Partial<ProposeUpgradeParameters>, string, string][] = [
    ["malformed JSON", { manifestJson: "{ nope" }, "invalid-manifest", "manifest"],
    ["a wrong root", { manifestJson: tampered }, "invalid-manifest", "manifest"],
    ["an oversized manifest", { manifestJson: syntheticManifestJson(12) }, "manifest-too-large", "manifest"],
    ["no networks", { networks: [] }, "no-networks", "networks"],
    ["an unknown network", { networks: ["ethereum", "goerli"] }, "unknown-network", "networks[1]"],
    ["a repeated network", { networks: ["base", "base"] }, "duplicate-network", "networks[1]"],
    ["22 networks", { networks: Array.from({ length: 22 }, (_, i) => `devnet-${i}`) }, "too-many-networks", "networks"],
    ["a negative commit time", { earliestCommitAtMs: -1 }, "invalid-time", "earliestCommitAtMs"],
    ["a cut-over before the commit", { earliestCommitAtMs: 2_000, cutoverAtMs: 1_000 }, "invalid-time", "cutoverAtMs"],
    ["an empty proposer", { proposer: " " }, "invalid-proposer", "proposer"],
  ];
  it.each(cases)("rejects %s with a typed error and writes nothing", async (_label, patch, code, field) => {
    // Prepare
    const h = inMemoryPorts();
    // Act
    const attempt = proposeUpgrade({ ...valid, ...patch }, h.deps({ options: { planOptions: { maxBatchSize: 2 }, maxManifestEntries: 10 } }));
    // Assess
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProposalRejectedError);
    expect(error).toMatchObject({ code, field });
    expect(h.store.proposals.size).toBe(0);
    expect(h.store.runs.size).toBe(0);
    expect(h.scheduler.requested).toEqual([]);
    expect(h.audit.entries.size).toBe(0);
  });
});

describe("proposeUpgrade › network fit", () => {
  /** The registry, with `id`'s per-transaction gas limit replaced. */
  const withLimit = (id: string, maxTxGas: number) => (lookup: string): Network | undefined => {
    const network = findNetwork(lookup);
    return network && lookup === id ? { ...network, maxTxGas } : network;
  };

  async function rejection(networks: string[], lookup = findNetwork, manifestJson = syntheticManifestJson()) {
    const h = inMemoryPorts();
    const error = await proposeUpgrade({ manifestJson, networks, proposer: "alice" }, h.deps({ networks: lookup })).catch((e: unknown) => e);
    expect(h.store.proposals.size + h.store.runs.size + h.audit.entries.size + h.scheduler.requested.length).toBe(0);
    return error as ProposalRejectedError;
  }

  it("refuses ZKsync Era and its testnet with an unsupported-network error naming them", async () => {
    for (const [id, name] of [["zksync-era", "ZKsync Era"], ["zksync-sepolia", "ZKsync Era Sepolia"]]) {
      const error = await rejection(["base", id!]);
      expect(error).toBeInstanceOf(ProposalRejectedError);
      expect(error).toMatchObject({ code: "unsupported-network", field: "networks[1]" });
      expect(error.message).toContain(`${name} (${id})`);
    }
  });

  it("refuses a manifest whose apply batch can't fit a network's gas limit, naming the network and its cap", async () => {
    const error = await rejection(["ethereum", "base"], withLimit("base", 100_000));
    expect(error).toBeInstanceOf(NetworkGasCapError);
    expect(error).toMatchObject({ code: "over-network-gas-cap", field: "networks[1]", network: "base", maxTxGas: 100_000, call: "apply" });
    expect(error.message).toMatch(/base allows at most 100,000 gas per transaction/);
  });

  it("refuses a manifest whose commit can't fit a network's gas limit", async () => {
    const error = await rejection(["base"], withLimit("base", 80_000));
    expect(error).toMatchObject({ code: "over-network-gas-cap", network: "base", call: "commit", maxTxGas: 80_000 });
    expect((error as NetworkGasCapError).gas).toBeGreaterThan(80_000);
  });

  it("refuses a manifest whose activation (facet re-verification) can't fit a network's gas limit", async () => {
    // Prepare: 12 facets: the activation re-verifies each (~5,000 gas), the commit does not grow with them
    const manyFacets = syntheticManifestJson(12, "many-facets", 12);
    // Act
    const error = await rejection(["base"], withLimit("base", 110_000), manyFacets);
    // Assess
    expect(error).toMatchObject({ code: "over-network-gas-cap", network: "base", call: "activate", maxTxGas: 110_000 });
    expect((error as NetworkGasCapError).gas).toBeGreaterThan(110_000);
  });

  it("plans each network's batches under the lower of the planner's cap and the network's limit", async () => {
    // Prepare: a planner cap far above base's limit of 200,000 gas, which one batch of 6 leaves exceeds
    const h = inMemoryPorts();
    const planOptions = { gasCap: 30_000_000, maxBatchSize: 300 };
    const deps = h.deps({ networks: withLimit("base", 200_000), options: { planOptions } });
    const manifestJson = syntheticManifestJson(6);
    // Act
    const { runs } = await proposeUpgrade({ manifestJson, networks: ["ethereum", "base"], proposer: "alice" }, deps);
    // Assess
    const base = planBatches(parseManifest(manifestJson), { ...planOptions, maxTxGas: 200_000 });
    expect(base.batches.length).toBeGreaterThan(1);
    expect(runs.map((r) => [r.network, r.batchCount])).toEqual([
      ["ethereum", 1],
      ["base", base.batches.length],
    ]);
  });
});

// Issue 13, defect 2: a facet without code committed, then reverted FacetHasNoCode at apply, leaving its root pending.
describe("proposeUpgrade › facet code on the target networks", () => {
  /** The in-memory ports with a gateway that reads code: `codes` maps `network:facet` to its hash (missing: no code). */
  function withCode(codes: (network: string, facet: string) => string | undefined) {
    const h = inMemoryPorts();
    const reads: string[] = [];
    const gateway = Object.assign(Object.create(h.gateway) as typeof h.gateway, {
      codeHash: async (network: string, facet: string) => (reads.push(`${network}:${facet}`), codes(network, facet)),
    });
    return { h, deps: h.deps({ gateway }), reads };
  }
  const manifest = parseManifest(JSON.parse(syntheticManifestJson()));
  const hashOf = (facet: string) => manifest.entries.find((e) => e.facet.toLowerCase() === facet.toLowerCase())?.codehash;

  it("accepts a manifest whose every facet has the manifest's code hash on every target network", async () => {
    // Prepare
    const { h, deps, reads } = withCode((_n, facet) => hashOf(facet));
    // Act
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base", "ethereum"], proposer: "alice" }, deps);
    // Assess: 2 facets × 2 networks read
    expect(reads).toHaveLength(4);
    expect(await h.store.getProposal(proposal.id)).toBeDefined();
  });

  it("refuses a manifest whose facet has no code on one target network, writing nothing", async () => {
    // Prepare: the second facet is missing on ethereum only
    const missing = manifest.entries.map((e) => e.facet.toLowerCase()).sort().at(-1)!;
    const { h, deps } = withCode((network, facet) => (network === "ethereum" && facet === missing ? undefined : hashOf(facet)));
    // Act
    const error = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base", "ethereum"], proposer: "alice" }, deps).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ProposalRejectedError);
    expect(error).toMatchObject({ code: "facet-has-no-code", field: "networks[1]", message: expect.stringContaining(`facet ${missing} has no code on ethereum`) });
    expect(await h.store.listProposals({ limit: 10 })).toMatchObject({ proposals: [] });
    expect(h.scheduler.jobs.size).toBe(0);
  });

  it("refuses a manifest whose facet has another code hash on a target network", async () => {
    // Prepare
    const { deps } = withCode(() => `0x${"ab".repeat(32)}`);
    // Act
    const error = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: "facet-codehash-mismatch", field: "networks[0]", message: expect.stringContaining(`has code hash 0x${"ab".repeat(32)}`) });
  });

  /** The synthetic manifest plus a removal (facet zero) and an initializer on a facet of its own. */
  function withInitAndRemoval(): { json: string; initFacet: string } {
    const initFacet = getAddress(toBeHex(0x2000, 20));
    const removal = { selector: id("gone()").slice(0, 10), signature: "gone()", facet: ZeroAddress, facetName: "", codehash: ZeroHash };
    const entries = [...manifest.entries, removal].sort((a, b) => (a.selector < b.selector ? -1 : 1));
    const init = { facet: initFacet, facetName: "Init", codehash: keccak256(toBeHex(9, 32)), calldata: "0x" };
    const root = manifestRoot(entries, manifestInitializer({ init }));
    return { json: serializeManifest({ ...manifest, entries, init, root }), initFacet };
  }

  it("refuses a manifest whose initializer has no code on a target network, and never reads code for a removal", async () => {
    // Prepare: every routed facet is deployed; the initializer is missing on base
    const { json, initFacet } = withInitAndRemoval();
    const { h, deps, reads } = withCode((_n, facet) => hashOf(facet));
    // Act
    const error = await proposeUpgrade({ manifestJson: json, networks: ["ethereum", "base"], proposer: "alice" }, deps).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ code: "facet-has-no-code", field: "networks[0]", message: expect.stringContaining(`facet ${initFacet.toLowerCase()} has no code on ethereum`) });
    expect(reads.some((r) => r.endsWith(ZeroAddress))).toBe(false);
    expect(await h.store.listProposals({ limit: 10 })).toMatchObject({ proposals: [] });
  });

  it("refuses an initializer with another code hash, and accepts the manifest once the initializer's code matches", async () => {
    // Prepare
    const { json, initFacet } = withInitAndRemoval();
    const initHash = keccak256(toBeHex(9, 32));
    const other = withCode((_n, facet) => (facet.toLowerCase() === initFacet.toLowerCase() ? `0x${"cd".repeat(32)}` : hashOf(facet)));
    const same = withCode((_n, facet) => (facet.toLowerCase() === initFacet.toLowerCase() ? initHash : hashOf(facet)));
    // Act
    const refused = await proposeUpgrade({ manifestJson: json, networks: ["base"], proposer: "alice" }, other.deps).catch((e: unknown) => e);
    const accepted = await proposeUpgrade({ manifestJson: json, networks: ["base"], proposer: "alice" }, same.deps);
    // Assess
    expect(refused).toMatchObject({ code: "facet-codehash-mismatch", message: expect.stringContaining(`facet ${initFacet.toLowerCase()} on base has code hash 0x${"cd".repeat(32)}`) });
    expect(accepted.proposal.root).toBe(parseManifest(JSON.parse(json)).root);
  });

  it("answers NetworkReadError naming the network when a code read fails, writing nothing", async () => {
    // Prepare: ethereum's RPC is down
    const h = inMemoryPorts();
    const gateway = Object.assign(Object.create(h.gateway) as typeof h.gateway, {
      codeHash: async (network: string, facet: string) => {
        if (network === "ethereum") throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
        return hashOf(facet);
      },
    });
    // Act
    const error = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base", "ethereum"], proposer: "alice" }, h.deps({ gateway })).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(NetworkReadError);
    expect(error).toMatchObject({ network: "ethereum" });
    expect(await h.store.listProposals({ limit: 10 })).toMatchObject({ proposals: [] });
  });
});
