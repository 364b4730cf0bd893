/**
 * `GET /proposals/{id}/review` through the API handler on the real local services (DynamoDB Local, the
 * local KMS server, an anvil node with the real ManifestDispatcher, from the devnet's e2e harness): epoch 1
 * routes CounterFacetV1 and goes live; epoch 2 moves the counter to CounterFacetV2 (three selectors
 * replaced, one added, `greet()` removed), and V2's code is then changed on chain so its code hash no
 * longer matches the manifest's.
 */
import { ContractFactory, id, keccak256 } from "ethers";
import { buildManifest, nextManifest, proposeUpgrade, serializeManifest, type NetworkReview, type ReviewProposalReturnType } from "@payrox/core";
import { readLiveRouting } from "@payrox/chain/dispatcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadArtifact } from "../../contracts/lib/artifacts.js";
import { ACTIVATION_DELAY_SECONDS, counterManifest, driveToTerminal, schedulerDeps, startE2eWorld, type E2eWorld } from "../../packages/devnet/tests/support/e2e-harness.js";
import { startLocalApi } from "@payrox/devnet";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createApiHandler } from "../src/api.js";
import { apiEvent } from "./support/api-harness.js";

const NET = "devnet-1";
const selector = (signature: string) => id(signature).slice(0, 10);
let world: E2eWorld;
let deps: ReturnType<typeof schedulerDeps>;
let api: ReturnType<typeof createApiHandler>;
let counterV2: string;
let proposalId: string;

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await api(apiEvent({ method: "GET", path }), { awsRequestId: "e2e" });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  world = await startE2eWorld([NET]);
  deps = schedulerDeps(world);
  api = createApiHandler(() => deps);
  const n = world.networks[NET]!;
  // Epoch 1: CounterFacetV1 live.
  const epoch1 = await proposeUpgrade({ manifestJson: serializeManifest(await counterManifest(world, NET, "epoch-1")), networks: [NET], proposer: "e2e" }, deps);
  const runs = await driveToTerminal(deps, world.scheduler, epoch1.proposal.id, [NET]);
  expect(runs[NET]!.state).toBe("ACTIVATED");
  // Epoch 2: the desired routing is CounterFacetV2's; the diff tool makes the manifest (adds, replaces, removes).
  const v2 = loadArtifact("CounterFacetV2");
  counterV2 = await (await (await new ContractFactory(v2.abi as never, v2.bytecode, n.wallet).deploy()).waitForDeployment()).getAddress();
  const live = await readLiveRouting(n.provider, n.dispatcher);
  const desired = await buildManifest({ name: "epoch-2", baseEpoch: Number(live.activeEpoch), previousRoot: live.activeRoot, facets: [{ name: v2.contractName, abi: v2.abi as never, deployedBytecode: v2.deployedBytecode, address: counterV2 }] }, { readCode: (a) => n.provider.getCode(a) });
  const next = nextManifest("epoch-2", desired.entries, live, new Map([[selector("greet()"), "greet()"]]))!;
  const proposed = await api(apiEvent({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: serializeManifest(next), networks: [NET] }) }), { awsRequestId: "e2e" });
  expect(proposed.statusCode).toBe(201);
  proposalId = JSON.parse(proposed.body).id;
  // After the proposal: V2's address now holds other code (V1's), so its code hash no longer matches.
  await n.provider.send("anvil_setCode", [counterV2, loadArtifact("CounterFacetV1").deployedBytecode]);
}, 240_000);

afterAll(async () => {
  await world?.stop();
});

describe("GET /proposals/{id}/review (anvil, DynamoDB Local)", () => {
  let review: ReviewProposalReturnType;
  let net: NetworkReview;
  beforeAll(async () => {
    const response = await get(`/proposals/${proposalId}/review`);
    expect(response.status).toBe(200);
    review = response.body;
    net = review.networks[0] as NetworkReview;
  });

  it("reads the live routing at one stated block of the network", async () => {
    const n = world.networks[NET]!;
    expect(net.ok).toBe(true);
    const block = (await n.provider.getBlock(net.block.number))!;
    expect(net.block).toEqual({ number: block.number, hash: block.hash, timestamp: block.timestamp });
    expect(net.dispatcher).toMatchObject({ activeEpoch: 1, pendingRoot: null, paused: false, activationDelaySeconds: ACTIVATION_DELAY_SECONDS });
  });

  it("lists the selectors added, replaced and removed with their old and new facets and code hashes", () => {
    const v1 = { facet: world.networks[NET]!.counterV1, codehash: keccak256(loadArtifact("CounterFacetV1").deployedBytecode) };
    const v2Hash = keccak256(loadArtifact("CounterFacetV2").deployedBytecode);
    expect(net.diff.added).toEqual([{ selector: selector("decrement()"), signature: "decrement()", new: { facet: counterV2, codehash: v2Hash } }]);
    expect(net.diff.replaced.map((c) => c.signature).sort()).toEqual(["count()", "increment()", "version()"]);
    for (const change of net.diff.replaced) expect(change).toMatchObject({ old: v1, new: { facet: counterV2, codehash: v2Hash } });
    expect(net.diff.removed).toEqual([{ selector: selector("greet()"), signature: "greet()", old: v1 }]);
    expect(net.diff).toMatchObject({ unchanged: 0, removalsNotLive: [] });
  });

  it("flags the facet whose code on the network differs from the manifest's", () => {
    expect(net.codehashMismatches).toEqual([
      { facet: counterV2, facetName: "CounterFacetV2", expected: keccak256(loadArtifact("CounterFacetV2").deployedBytecode), actual: keccak256(loadArtifact("CounterFacetV1").deployedBytecode) },
    ]);
  });

  it("computes against the active epoch and root, with no drift since the proposal", () => {
    expect(net.drift).toMatchObject({ drifted: false, sinceProposal: false, live: { epoch: 1, root: net.dispatcher.activeRoot } });
    expect(net.drift.atProposal).toEqual(net.drift.live);
  });

  it("plans commit, one apply per leaf (maxBatchSize 1) and activate, priced from eth_feeHistory", () => {
    expect(net.plan.steps.map((s) => s.step)).toEqual(["commit", "apply", "apply", "apply", "apply", "apply", "activate"]);
    const gas = BigInt(net.plan.totalGas);
    const cost = net.cost!;
    expect(cost.symbol).toBe("ETH");
    expect(BigInt(cost.baseFeePerGas)).toBeGreaterThan(0n);
    const price = (tip: string) => gas * (BigInt(cost.baseFeePerGas) + BigInt(tip));
    expect([cost.low, cost.mid, cost.high]).toEqual([price(cost.priorityFeePerGas.low), price(cost.priorityFeePerGas.mid), price(cost.priorityFeePerGas.high)].map(String));
    expect(review.totals).toEqual([{ symbol: "ETH", networks: [NET], low: cost.low, mid: cost.mid, high: cost.high }]);
  });

  it("gives the timeline: commit now, ETA after the activation delay, expiry after the window", () => {
    const t = net.timeline;
    expect(t.committed).toBe(false);
    expect(t.etaMs - t.commitAtMs).toBe(ACTIVATION_DELAY_SECONDS * 1000);
    expect(t.activateAtMs).toBe(t.etaMs);
    expect(t.expiresAtMs - t.etaMs).toBe(net.dispatcher.expiryWindowSeconds * 1000);
    expect(review.approval).toBeUndefined();
  });

  it("never touched the chain: nothing is pending after the review", async () => {
    expect((await deps.gateway.readState(NET)).pendingRoot).toMatch(/^0x0{64}$/);
  });

  it("answers 404 proposal-not-found for an unknown proposal", async () => {
    const response = await get("/proposals/00000000-0000-4000-8000-000000000000/review");
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("proposal-not-found");
  });
});

describe("payrox review (the real bin against the API on the local services)", () => {
  const bin = new URL("../../packages/cli/bin/payrox.js", import.meta.url).pathname;
  const payrox = async (...args: string[]) => {
    const local = await startLocalApi({ handler: api });
    try {
      return await promisify(execFile)(process.execPath, [bin, ...args, "--api", local.url], { env: { ...process.env, NO_COLOR: "1" } });
    } finally {
      await local.stop();
    }
  };

  it("prints the per-network table: block, diff with each change, the mismatch flagged, plan gas, cost and timeline", async () => {
    // Act
    const { stdout, stderr } = await payrox("review", proposalId);
    // Assess
    const n = world.networks[NET]!;
    expect(stderr).toBe("");
    expect(stdout).toContain(`proposal ${proposalId}: epoch-2`);
    expect(stdout).toMatch(new RegExp(`${NET} \\(chain \\d+\\) at block \\d+ 0x[0-9a-f]{64}`));
    expect(stdout).toContain("changes: 1 added, 3 replaced, 1 removed, 0 unchanged");
    expect(stdout).toContain(`+ ${selector("decrement()")} decrement()  -> ${counterV2}`);
    expect(stdout).toContain(`- ${selector("greet()")} greet()  ${n.counterV1}`);
    expect(stdout).toMatch(new RegExp(`~ ${selector("count()")} count\\(\\)  ${n.counterV1} \\(code 0x[0-9a-f]{64}\\) -> ${counterV2}`));
    expect(stdout).toContain("CODE HASH MISMATCH (1)");
    expect(stdout).toContain(`! CounterFacetV2 ${counterV2}: manifest ${keccak256(loadArtifact("CounterFacetV2").deployedBytecode)}, on chain ${keccak256(loadArtifact("CounterFacetV1").deployedBytecode)}`);
    expect(stdout).toMatch(/plan: commit [\d,]+ \| apply #0 \(1 leaves\) [\d,]+ .* \| activate [\d,]+/);
    expect(stdout).toMatch(/cost \(ETH\): low [\d.,]+ {2}mid [\d.,]+ {2}high [\d.,]+/);
    expect(stdout).toMatch(/timeline: commit \S+Z, ETA \S+Z, cut-over \S+Z, expiry \S+Z/);
    expect(stdout).toContain("total cost:");
  }, 60_000);

  it("prints only the API's JSON with --json", async () => {
    // Act
    const { stdout } = await payrox("review", proposalId, "--json");
    // Assess
    const body = JSON.parse(stdout) as ReviewProposalReturnType;
    expect(body.proposalId).toBe(proposalId);
    expect((body.networks[0] as NetworkReview).diff.added).toHaveLength(1);
    expect(Object.keys(body).sort()).toEqual(["leafCount", "name", "networks", "proposalId", "reviewedAtMs", "root", "timeline", "totals"]);
  }, 60_000);
});
