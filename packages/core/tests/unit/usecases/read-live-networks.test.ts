import { describe, expect, it } from "vitest";
import { findNetwork, readLiveNetworks, type DispatcherGateway, type DispatcherState } from "../../../src/index.js";

const STATE: DispatcherState = { activeEpoch: 3n, activeRoot: "0x" + "11".repeat(32), pendingRoot: "0x" + "00".repeat(32), pendingEpoch: 0n, pendingEta: 0, applied: 0, leafCount: 0, paused: false, nextEpoch: 4n, cancelling: false, expiryWindowSeconds: 3600, activationDelaySeconds: 30 };

describe("readLiveNetworks", () => {
  it("reads every configured network in registry order and reports a network whose RPC fails without failing the others", async () => {
    // Prepare
    const configured = new Set(["base", "ethereum"]);
    const gateway = { readState: async (network: string) => (network === "base" ? Promise.reject(new Error("connect ECONNREFUSED")) : STATE) } as unknown as DispatcherGateway;
    const networks = (id: string) => (configured.has(id) ? { ...findNetwork(id)!, dispatcher: "0x" + "aa".repeat(20) } : undefined);
    // Act
    const live = await readLiveNetworks({ gateway, networks });
    // Assess
    expect(live).toEqual([
      { network: "ethereum", ok: true, dispatcher: "0x" + "aa".repeat(20), activeEpoch: 3, activeRoot: STATE.activeRoot, pendingRoot: STATE.pendingRoot, pendingEpoch: 0, pendingEta: 0, paused: false, cancelling: false },
      { network: "base", ok: false, error: { code: "network-unreadable", message: "connect ECONNREFUSED" } },
    ]);
  });
});
