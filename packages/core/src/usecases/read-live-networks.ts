/**
 * What each configured network's dispatcher holds right now (active epoch and root, pending root, pause):
 * the console's networks view. Reads only; a network whose RPC fails is reported, not thrown, so the
 * others still show.
 */
import { configuredNetworks } from "../networks/registry.js";
import type { SchedulerDeps } from "./deps.js";

/** One network's live dispatcher state, or why it could not be read. */
export type LiveNetwork =
  | { network: string; ok: true; dispatcher?: string; activeEpoch: number; activeRoot: string; pendingRoot: string; pendingEpoch: number; pendingEta: number; paused: boolean; cancelling: boolean }
  | { network: string; ok: false; error: { code: "network-unreadable"; message: string } };

/** Reads every network `deps.networks` knows (the configured ones), in registry order, in parallel. */
export async function readLiveNetworks(deps: Pick<SchedulerDeps, "gateway" | "networks">): Promise<LiveNetwork[]> {
  const configured = configuredNetworks(deps.networks);
  return Promise.all(
    configured.map(async ({ id }): Promise<LiveNetwork> => {
      const dispatcher = (deps.networks(id) as { dispatcher?: string } | undefined)?.dispatcher;
      try {
        const s = await deps.gateway.readState(id);
        return { network: id, ok: true, ...(dispatcher && { dispatcher }), activeEpoch: Number(s.activeEpoch), activeRoot: s.activeRoot, pendingRoot: s.pendingRoot, pendingEpoch: Number(s.pendingEpoch), pendingEta: s.pendingEta, paused: s.paused, cancelling: s.cancelling };
      } catch (error) {
        return { network: id, ok: false, error: { code: "network-unreadable", message: (error as Error).message.slice(0, 300) } };
      }
    }),
  );
}
