import { describe, expect, it } from "vitest";
import { jobName, ProposalRejectedError, proposeUpgrade, RunState, type ProposeUpgradeParameters } from "../../../src/index.js";
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
