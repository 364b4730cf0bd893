/**
 * The API routes that need manifest code and the chain gateway — propose (validates and hashes the
 * manifest, reads facet code), cancel (may send a transaction) and review (reads live routing and fees). routes.ts loads this module on their
 * first request: in the bundle it is a chunk of its own, off the API's cold start.
 */
import { cancelProposal, proposeUpgrade, readLiveNetworks, reviewProposal, type SchedulerDeps } from "@payrox/core";
import { json, type ApiResponse } from "./responses.js";
import { parseJsonBody, ProposeBodySchema, validate } from "./schemas.js";
import { runView, summary, type RouteRequest } from "./views.js";

/** POST /proposals: validates the manifest, checks facet code on each network, and schedules the commits. */
export async function propose({ event, caller }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  const body = validate(ProposeBodySchema, parseJsonBody(event.body, event.isBase64Encoded));
  const { proposal, runs } = await proposeUpgrade(
    {
      manifestJson: typeof body.manifest === "string" ? body.manifest : JSON.stringify(body.manifest),
      networks: body.networks,
      ...(body.earliestCommitAt && { earliestCommitAtMs: Date.parse(body.earliestCommitAt) }),
      ...(body.cutoverAt && { cutoverAtMs: Date.parse(body.cutoverAt) }),
      proposer: caller,
    },
    deps,
  );
  return json(201, { id: proposal.id, proposal: summary(proposal), runs: runs.map(runView) });
}

/** POST /proposals/{id}/cancel: cancels the proposal's runs (a committed root is cancelled on chain). */
export async function cancel({ params, caller }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  return json(200, await cancelProposal(params.id!, caller, deps));
}

/** GET /proposals/{id}/review: the proposal's diff, plan, cost, timeline and approval digest per network (reads only). */
export async function review({ params }: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  return json(200, await reviewProposal({ proposalId: params.id! }, deps));
}

/** GET /networks/live: each configured network's dispatcher as read now (epoch, roots, pause); reads only. */
export async function liveNetworks(_req: RouteRequest, deps: SchedulerDeps): Promise<ApiResponse> {
  return json(200, { readAtMs: deps.clock.now(), networks: await readLiveNetworks(deps) });
}
