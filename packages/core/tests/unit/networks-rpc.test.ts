/** Network configuration of several RPC endpoints: `rpcUrls` in priority order and the read quorum. */
import { describe, expect, it } from "vitest";
import { loadNetworkConfig, NetworkConfigError, rpcEndpointsOf, rpcQuorumProblem, voidAfterSecondsOf, type NetworkConfigIssue } from "../../src/networks/index.js";

const urls = ["https://a.example/v1/key", "https://b.example", "https://c.example"];

function issuesOf(base: Record<string, unknown>): NetworkConfigIssue[] {
  try {
    loadNetworkConfig({ networks: { base: { kmsKeyId: "alias/payrox-base", ...base } } });
  } catch (error) {
    expect(error).toBeInstanceOf(NetworkConfigError);
    return (error as NetworkConfigError).issues;
  }
  throw new Error("expected a NetworkConfigError");
}

describe("loadNetworkConfig: rpcUrls and quorum", () => {
  it("keeps a lone rpcUrl working: a list of one, quorum 1", () => {
    const [base] = loadNetworkConfig({ networks: { base: { rpcUrl: urls[0], kmsKeyId: "k" } } });
    expect(base).toMatchObject({ rpcUrl: urls[0], rpcUrls: [urls[0]], quorum: 1 });
  });

  it("resolves several endpoints in their order, the first one as rpcUrl", () => {
    const [base] = loadNetworkConfig({ networks: { base: { rpcUrls: urls, quorum: 2, maxLagBlocks: 4, kmsKeyId: "k" } } });
    expect(base).toMatchObject({ rpcUrl: urls[0], rpcUrls: urls, quorum: 2, maxLagBlocks: 4 });
    expect(rpcEndpointsOf(base!)).toEqual({ rpcUrls: urls, quorum: 2, maxLagBlocks: 4 });
  });

  it("reads a hand-built network without rpcUrls as one endpoint", () => {
    expect(rpcEndpointsOf({ rpcUrl: urls[0]! })).toEqual({ rpcUrls: [urls[0]], quorum: 1 });
  });

  it.each([
    ["2 of 2 (one endpoint down would stall)", { rpcUrls: urls.slice(0, 2), quorum: 2 }, "quorum", /at least 3 URLs \(n ≥ k \+ 1\)/],
    ["a quorum above the endpoints", { rpcUrls: urls.slice(0, 2), quorum: 3 }, "quorum", /asks 3 endpoints to agree but only 2/],
    ["a quorum above 1 with a lone rpcUrl", { rpcUrl: urls[0], quorum: 2 }, "quorum", /asks 2 endpoints to agree but only 1/],
    ["rpcUrl and rpcUrls together", { rpcUrl: urls[0], rpcUrls: urls }, "rpcUrls", /not both/],
    ["neither", {}, "rpcUrl", /required/],
    ["an empty list", { rpcUrls: [] }, "rpcUrls", /at least one URL/],
    ["a URL twice", { rpcUrls: [urls[1], urls[1], urls[2]] }, "rpcUrls", /twice/],
    ["a quorum of 0", { rpcUrls: urls, quorum: 0 }, "quorum", /at least 1/],
    ["a fractional quorum", { rpcUrls: urls, quorum: 1.5 }, "quorum", /whole number/],
    ["a websocket endpoint", { rpcUrls: [urls[0], "wss://b.example"] }, "rpcUrls", /http\(s\) URL/],
    ["a negative lag", { rpcUrls: urls, maxLagBlocks: -1 }, "maxLagBlocks", /./],
  ])("refuses %s, naming the field", (_, settings, field, message) => {
    const issue = issuesOf(settings).find((i) => i.field === field);
    expect(issue).toMatchObject({ network: "base", field, message: expect.stringMatching(message) });
  });

  it("never echoes a duplicated URL's path, which may hold an API key", () => {
    const issues = issuesOf({ rpcUrls: [urls[0], urls[0], urls[1]] });
    expect(JSON.stringify(issues)).not.toMatch(/v1\/key/);
  });

  it("states the n ≥ k + 1 rule on its own", () => {
    expect(rpcQuorumProblem(3, 2)).toBeUndefined();
    expect(rpcQuorumProblem(1, 1)).toBeUndefined();
    expect(rpcQuorumProblem(2, 2)).toMatch(/n ≥ k \+ 1/);
  });

  it("takes a per-network voidAfterSeconds (60 s to a day) and defaults to 150 blocks, at least 5 minutes", () => {
    const [ethereum, base] = loadNetworkConfig({ networks: { ethereum: { rpcUrl: "https://e.example", kmsKeyId: "k" }, base: { rpcUrl: "https://b.example", kmsKeyId: "k", voidAfterSeconds: 900 } } });
    expect(voidAfterSecondsOf(ethereum!)).toBe(1_800);
    expect(voidAfterSecondsOf(base!)).toBe(900);
    expect(voidAfterSecondsOf({ blockTimeSeconds: 0.25 })).toBe(300);
    for (const bad of [59, 86_401, 1.5, "600"]) {
      expect(() => loadNetworkConfig({ networks: { base: { rpcUrl: "https://b.example", kmsKeyId: "k", voidAfterSeconds: bad } } })).toThrow(NetworkConfigError);
    }
  });
});
