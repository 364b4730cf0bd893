/**
 * Issue 13, defect 2, through the API handler on the real local services (DynamoDB Local, the local KMS
 * server, an anvil node with the dispatcher, from the devnet's e2e harness): a run that failed after its
 * commit left its root pending, and `POST /proposals/{id}/cancel` answered 409 `proposal-finished`.
 */
import { buildManifest, proposeUpgrade, serializeManifest, type SchedulerDeps } from "@payrox/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Contract, ZeroHash } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadArtifact } from "../../contracts/lib/artifacts.js";
import { driveToTerminal, schedulerDeps, startE2eWorld, type E2eWorld } from "../../packages/devnet/tests/support/e2e-harness.js";
import { createApiHandler } from "../src/api.js";
import { apiEvent } from "./support/api-harness.js";

const NET = "devnet-1";
/** An address with no code on the fresh chain: the commit succeeds, the first apply reverts `FacetHasNoCode`. */
const NO_CODE = "0x00000000000000000000000000000000000c0de1";
let world: E2eWorld;
let deps: SchedulerDeps;
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

describe("POST /proposals/{id}/cancel of a finished proposal", () => {
  it("cancels the root a run left pending when it failed after its commit, then answers 409", async () => {
    // Prepare: a manifest routing to an address without code; its run commits (epoch 1) and fails at apply
    const artifact = loadArtifact("CounterFacetV1");
    const manifest = await buildManifest({ name: "no-code", baseEpoch: 0, previousRoot: ZeroHash, facets: [{ name: artifact.contractName, abi: artifact.abi as never, deployedBytecode: artifact.deployedBytecode, address: NO_CODE }] });
    const { proposal } = await proposeUpgrade({ manifestJson: serializeManifest(manifest), networks: [NET], proposer: "e2e" }, deps);
    const runs = await driveToTerminal(deps, world.scheduler, proposal.id, [NET]);
    expect(runs[NET]).toMatchObject({ state: "FAILED", failure: { code: "FacetHasNoCode" }, committedEpoch: 1 });
    expect(await pending()).toEqual({ root: proposal.root, epoch: 1n });

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
