/**
 * Issue 13, defect 2, through the API handler on the real local services (DynamoDB Local, the local KMS
 * server, an anvil node with the dispatcher, from the devnet's e2e harness): a run that failed after its
 * commit left its root pending, and `POST /proposals/{id}/cancel` answered 409 `proposal-finished`. The
 * run now cancels its own root; when that cancel could not go through, the API's cancel does it; and a
 * proposal of a facet without code is refused before it commits. A run whose root expired on chain cancels
 * it the same way.
 */
import { buildManifest, proposeUpgrade, serializeManifest, type DispatcherGateway } from "@payrox/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Contract, ZeroHash } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadArtifact } from "../../contracts/lib/artifacts.js";
import { counterManifest, driveToTerminal, schedulerDeps, startE2eWorld, type E2eWorld } from "../../packages/devnet/tests/support/e2e-harness.js";
import { createApiHandler } from "../src/api.js";
import { apiEvent } from "./support/api-harness.js";

const NET = "devnet-1";
/** An address with no code on the fresh chain: the commit succeeds, the first apply reverts `FacetHasNoCode`. */
const NO_CODE = "0x00000000000000000000000000000000000c0de1";
let world: E2eWorld;
let deps: ReturnType<typeof schedulerDeps>;
let api: ReturnType<typeof createApiHandler>;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  world = await startE2eWorld([NET]);
  deps = schedulerDeps(world);
  api = createApiHandler(() => deps);
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

async function cancel(id: string): Promise<{ status: number; body: any }> {
  const event: APIGatewayProxyEventV2 = apiEvent({ method: "POST", path: `/proposals/${id}/cancel` });
  const response = await api(event, { awsRequestId: "e2e" });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

async function pending(): Promise<{ root: string; epoch: bigint }> {
  const n = world.networks[NET]!;
  const admin = new Contract(n.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, n.provider);
  const [root, epoch] = (await admin.getFunction("pendingManifest")()) as [string, bigint];
  return { root, epoch };
}

/** A manifest routing CounterFacetV1's selectors to {@link NO_CODE}, on top of epoch 0. */
async function noCodeManifest(name: string): Promise<string> {
  const artifact = loadArtifact("CounterFacetV1");
  return serializeManifest(await buildManifest({ name, baseEpoch: 0, previousRoot: ZeroHash, facets: [{ name: artifact.contractName, abi: artifact.abi as never, deployedBytecode: artifact.deployedBytecode, address: NO_CODE }] }));
}

/**
 * A proposal of {@link noCodeManifest}, made through a gateway that can't read code (so the proposal's
 * facet check is skipped, as for a proposal made before it existed): its run commits, then fails.
 */
async function noCodeProposal(name: string) {
  const blind: DispatcherGateway = { readState: (n) => deps.gateway.readState(n), latestBlock: (n) => deps.gateway.latestBlock(n), send: (n, id, call) => deps.gateway.send(n, id, call), resume: (n, id) => deps.gateway.resume(n, id) };
  return (await proposeUpgrade({ manifestJson: await noCodeManifest(name), networks: [NET], proposer: "e2e" }, { ...deps, gateway: blind })).proposal;
}

describe("POST /proposals", () => {
  it("refuses with 400 facet-has-no-code a manifest whose facet has no code on the target network, before any commit", async () => {
    // Act
    const response = await api(apiEvent({ method: "POST", path: "/proposals", body: JSON.stringify({ manifest: await noCodeManifest("no-code-refused"), networks: [NET] }) }), { awsRequestId: "e2e" });
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatchObject({ code: "facet-has-no-code", field: "networks[0]", message: expect.stringContaining(`has no code on ${NET}`) });
    expect(await pending()).toEqual({ root: ZeroHash, epoch: 0n });
  });
});

describe("a run failing after its commit", () => {
  it("cancels its own pending root when an apply reverts with FacetHasNoCode", async () => {
    // Prepare
    const proposal = await noCodeProposal("no-code-released");
    // Act
    const runs = await driveToTerminal(deps, world.scheduler, proposal.id, [NET]);
    // Assess: the commit took epoch 1; nothing pending after, and the next commit takes epoch 2
    expect(runs[NET]).toMatchObject({ state: "FAILED", failure: { code: "FacetHasNoCode" }, committedEpoch: 1 });
    expect(await pending()).toEqual({ root: ZeroHash, epoch: 0n });
    const cancelled = (await world.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled");
    expect(cancelled).toMatchObject({ details: { root: proposal.root, epoch: 1, chunks: 1 } });
    expect((await world.networks[NET]!.provider.getTransactionReceipt(cancelled!.txHash!))!.status).toBe(1);
    expect(deps.alerts.alerts).toMatchObject([{ type: "run-failed", message: expect.stringContaining(`was cancelled on ${NET}`) }]);
  });
});

describe("POST /proposals/{id}/cancel of a finished proposal", () => {
  it("cancels the root a run left pending when it failed after its commit, then answers 409", async () => {
    // Prepare: the run commits (epoch 2) and fails at apply; its own cancel can't reach the chain (an RPC outage)
    const proposal = await noCodeProposal("no-code-leftover");
    const outage = schedulerDeps(world, {
      wrapGateway: (gateway) => ({
        readState: (network) => gateway.readState(network),
        latestBlock: (network) => gateway.latestBlock(network),
        resume: (network, stepId) => gateway.resume(network, stepId),
        send: async (network, stepId, call) => {
          if (call.kind === "cancel") throw new Error("rpc down");
          return gateway.send(network, stepId, call);
        },
      }),
    });
    const runs = await driveToTerminal(outage, world.scheduler, proposal.id, [NET]);
    expect(runs[NET]).toMatchObject({ state: "FAILED", failure: { code: "FacetHasNoCode" }, committedEpoch: 2 });
    expect(await pending()).toEqual({ root: proposal.root, epoch: 2n });

    // Act
    const first = await cancel(proposal.id);
    const second = await cancel(proposal.id);

    // Assess
    expect(first.status).toBe(200);
    expect(first.body.runs).toEqual([{ network: NET, outcome: "root-cancelled", state: "FAILED", txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), chunks: 1 }]);
    expect(await pending()).toEqual({ root: ZeroHash, epoch: 0n });
    expect((await world.store.getRun(proposal.id, NET))!.state).toBe("FAILED");
    expect((await world.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled")).toMatchObject({ actor: expect.any(String), txHash: first.body.runs[0].txHash });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("proposal-finished");
  });
});

describe("a run whose root expired on chain", () => {
  it("is EXPIRED, cancels its root on chain (audited run.root-cancelled) and the root-expired alert names the root", async () => {
    // Prepare: a valid proposal; right before its activation, the chain's clock jumps past ETA + expiry window
    const manifest = await counterManifest(world, NET, "expires");
    const { proposal } = await proposeUpgrade({ manifestJson: serializeManifest(manifest), networks: [NET], proposer: "e2e" }, deps);
    const provider = world.networks[NET]!.provider;
    let jumped = false;
    const beforeStep = async (job: { step: string }) => {
      if (job.step !== "activate" || jumped) return;
      jumped = true;
      const state = await deps.gateway.readState(NET);
      const latest = await provider.getBlock("latest");
      await provider.send("evm_increaseTime", [state.pendingEta + state.expiryWindowSeconds - latest!.timestamp + 10]);
      await provider.send("evm_mine", []);
    };
    // Act
    const runs = await driveToTerminal(deps, world.scheduler, proposal.id, [NET], { beforeStep });
    // Assess
    expect(jumped).toBe(true);
    expect(runs[NET]).toMatchObject({ state: "EXPIRED" });
    expect(await pending()).toEqual({ root: ZeroHash, epoch: 0n });
    const cancelled = (await world.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled");
    expect(cancelled).toMatchObject({ details: { state: "EXPIRED", root: proposal.root, epoch: runs[NET]!.committedEpoch, chunks: 1 } });
    expect((await provider.getTransactionReceipt(cancelled!.txHash!))!.status).toBe(1);
    const expired = deps.alerts.alerts.find((a) => a.type === "root-expired" && a.proposalId === proposal.id);
    expect(expired?.message).toContain(proposal.root);
    expect(expired?.message).toContain(`was cancelled on ${NET}`);
  });
});
