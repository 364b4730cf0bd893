import { describe, expect, it } from "vitest";
import {
  assertCanonicalCreate2,
  Create2UnsupportedError,
  DEVNET_CHAIN_ID_BASE,
  DEVNET_COUNT,
  findNetwork,
  findNetworkByChainId,
  getNetwork,
  listNetworks,
  loadNetworkConfig,
  NetworkConfigError,
  NetworkRegistryError,
  NETWORKS,
  parseNetworkRegistry,
  relayPolicyOf,
  RETIRED_NETWORKS,
  UnknownNetworkError,
  type Network,
  type NetworkConfigIssue,
} from "../../src/index.js";

// Independent of the registry: the ids and chain ids we expect (a typo in either list fails a test).
const EXPECTED_MAINNETS: Record<string, number> = {
  ethereum: 1,
  "arbitrum-one": 42161,
  optimism: 10,
  base: 8453,
  polygon: 137,
  bsc: 56,
  avalanche: 43114,
  gnosis: 100,
  linea: 59144,
  scroll: 534352,
  "zksync-era": 324,
};
const EXPECTED_TESTNETS: Record<string, number> = {
  sepolia: 11155111,
  hoodi: 560048,
  "arbitrum-sepolia": 421614,
  "optimism-sepolia": 11155420,
  "base-sepolia": 84532,
  "polygon-amoy": 80002,
  "bsc-testnet": 97,
  "avalanche-fuji": 43113,
  "linea-sepolia": 59141,
  "scroll-sepolia": 534351,
  "zksync-sepolia": 300,
};
const DEPRECATED = /goerli|rinkeby|ropsten|kovan|mumbai|holesky|sokol|chiado-old|scroll-alpha/i;
const ROLLUPS = ["arbitrum-one", "optimism", "base", "linea", "scroll", "zksync-era"];

function configError(source: unknown): NetworkConfigError {
  try {
    loadNetworkConfig(source);
  } catch (error) {
    expect(error).toBeInstanceOf(NetworkConfigError);
    return error as NetworkConfigError;
  }
  throw new Error("expected loadNetworkConfig to throw");
}

function issueAt(error: NetworkConfigError, path: string): NetworkConfigIssue | undefined {
  return error.issues.find((issue) => issue.path === path);
}

describe("network registry", () => {
  it("has exactly 22 non-devnet networks: 11 mainnets and 11 testnets", () => {
    expect(listNetworks().filter((n) => n.kind !== "devnet")).toHaveLength(22);
    expect(listNetworks({ kind: "mainnet" })).toHaveLength(11);
    expect(listNetworks({ kind: "testnet" })).toHaveLength(11);
  });

  it("gives Ethereum and its testnets EIP-7825's 16,777,216 gas per transaction, the devnets 30,000,000", () => {
    for (const id of ["ethereum", "sepolia", "hoodi"]) expect(getNetwork(id).maxTxGas).toBe(16_777_216);
    expect(getNetwork("devnet-1").maxTxGas).toBe(30_000_000);
    for (const network of NETWORKS) expect(network.maxTxGas).toBeGreaterThanOrEqual(10_000_000);
  });

  it("marks exactly ZKsync Era and its testnet as lacking the canonical CREATE2 address", () => {
    expect(NETWORKS.filter((n) => n.create2 === "unsupported").map((n) => n.id)).toEqual(["zksync-era", "zksync-sepolia"]);
  });

  it("assertCanonicalCreate2 refuses ZKsync Era with a typed error naming it, and passes Ethereum and the devnets", () => {
    expect(() => assertCanonicalCreate2(getNetwork("zksync-era"))).toThrow(Create2UnsupportedError);
    expect(() => assertCanonicalCreate2(getNetwork("zksync-sepolia"))).toThrow(/ZKsync Era Sepolia \(zksync-sepolia\) derives CREATE2 addresses differently/);
    for (const id of ["ethereum", "base", "devnet-1"]) expect(() => assertCanonicalCreate2(getNetwork(id))).not.toThrow();
  });

  it("refuses a registry entry without maxTxGas or with an unknown create2 kind", () => {
    const { maxTxGas: _omitted, ...withoutGas } = getNetwork("base");
    const error = (() => {
      try {
        parseNetworkRegistry([withoutGas, { ...getNetwork("optimism"), create2: "sometimes" }, { ...getNetwork("scroll"), maxTxGas: 21_000 }]);
      } catch (e) {
        return e as NetworkRegistryError;
      }
    })();
    expect(error).toBeInstanceOf(NetworkRegistryError);
    expect(error!.problems).toEqual([expect.stringMatching(/^base\.maxTxGas: /), expect.stringMatching(/^optimism\.create2: /), expect.stringMatching(/^scroll\.maxTxGas: .*1,000,000/)]);
  });

  it("gives each mainnet and testnet its correct chain id", () => {
    const actual = (kind: "mainnet" | "testnet") => Object.fromEntries(listNetworks({ kind }).map((n) => [n.id, n.chainId]));
    expect(actual("mainnet")).toEqual(EXPECTED_MAINNETS);
    expect(actual("testnet")).toEqual(EXPECTED_TESTNETS);
  });

  it("has unique ids and unique chain ids", () => {
    expect(new Set(NETWORKS.map((n) => n.id)).size).toBe(NETWORKS.length);
    expect(new Set(NETWORKS.map((n) => n.chainId)).size).toBe(NETWORKS.length);
  });

  it("lists no deprecated network by id or name", () => {
    for (const network of NETWORKS) {
      expect(network.id).not.toMatch(DEPRECATED);
      expect(network.name).not.toMatch(DEPRECATED);
      expect(Object.keys(RETIRED_NETWORKS)).not.toContain(network.id);
    }
  });

  it("uses grace 60 s for Ethereum, 30 s for rollups, 120 s for Polygon and 60 s for every testnet", () => {
    expect(getNetwork("ethereum").graceSeconds).toBe(60);
    for (const id of ROLLUPS) expect(getNetwork(id).graceSeconds, id).toBe(30);
    expect(getNetwork("polygon").graceSeconds).toBe(120);
    for (const network of listNetworks({ kind: "testnet" })) expect(network.graceSeconds, network.id).toBe(60);
  });

  it("names each network's native gas token: ETH on Ethereum and the rollups, POL, BNB, AVAX, xDAI elsewhere", () => {
    const symbols = Object.fromEntries(["ethereum", "base", "arbitrum-one", "polygon", "bsc", "avalanche", "gnosis", "sepolia", "bsc-testnet", "devnet-1"].map((id) => [id, getNetwork(id).nativeSymbol]));
    expect(symbols).toEqual({ ethereum: "ETH", base: "ETH", "arbitrum-one": "ETH", polygon: "POL", bsc: "BNB", avalanche: "AVAX", gnosis: "xDAI", sepolia: "ETH", "bsc-testnet": "tBNB", "devnet-1": "ETH" });
    expect(listNetworks().every((n) => /^[A-Za-z][A-Za-z0-9]+$/.test(n.nativeSymbol))).toBe(true);
  });

  it("sends Ethereum mainnet through Flashbots with no public fallback", () => {
    const { relay } = getNetwork("ethereum");
    expect(relay).toEqual({ preferred: ["flashbots"], allowPublicFallback: false, flashbotsRelayUrl: "https://relay.flashbots.net" });
  });

  it("sends rollups through their sequencer", () => {
    for (const id of ROLLUPS) expect(getNetwork(id).relay.preferred, id).toEqual(["sequencer"]);
  });

  it("is frozen", () => {
    const network = getNetwork("base") as { graceSeconds: number };
    expect(() => {
      network.graceSeconds = 1;
    }).toThrow(TypeError);
    expect(getNetwork("base").graceSeconds).toBe(30);
  });
});

describe("devnet networks", () => {
  it("are devnet-1..devnet-21 with chain ids 31337 + i", () => {
    const devnets = listNetworks({ kind: "devnet" });
    expect(devnets.map((n) => n.id)).toEqual(Array.from({ length: 21 }, (_, i) => `devnet-${i + 1}`));
    expect(devnets.map((n) => n.chainId)).toEqual(Array.from({ length: 21 }, (_, i) => 31338 + i));
    expect(DEVNET_COUNT).toBe(21);
    expect(DEVNET_CHAIN_ID_BASE).toBe(31337);
  });

  it("mirror Ethereum, a rollup and Polygon in turn", () => {
    const grace = listNetworks({ kind: "devnet" }).map((n) => n.graceSeconds);
    expect(grace.slice(0, 6)).toEqual([60, 30, 120, 60, 30, 120]);
    expect(getNetwork("devnet-1").relay.preferred).toEqual(getNetwork("ethereum").relay.preferred);
    expect(getNetwork("devnet-2").relay.preferred).toEqual(["sequencer"]);
    expect(getNetwork("devnet-21").graceSeconds).toBe(120);
  });
});

describe("getNetwork", () => {
  it("throws UnknownNetworkError naming the replacement when the network is retired", () => {
    expect(() => getNetwork("goerli")).toThrow(UnknownNetworkError);
    expect(() => getNetwork("mumbai")).toThrow(/use "polygon-amoy"/);
  });

  it("finds networks by id and chain id", () => {
    expect(findNetwork("nope")).toBeUndefined();
    expect(findNetworkByChainId(8453n)?.id).toBe("base");
    expect(findNetworkByChainId(31337)).toBeUndefined();
  });
});

describe("relayPolicyOf", () => {
  it("maps a rollup's sequencer to the relay port's public kind", () => {
    expect(relayPolicyOf(getNetwork("arbitrum-one"))).toEqual({ network: "arbitrum-one", preferred: ["public"], allowPublicFallback: false });
  });

  it("keeps Flashbots first without fallback for Ethereum", () => {
    expect(relayPolicyOf(getNetwork("ethereum"))).toEqual({ network: "ethereum", preferred: ["flashbots"], allowPublicFallback: false });
  });
});

describe("parseNetworkRegistry", () => {
  const eth = getNetwork("ethereum");

  it("rejects duplicate chain ids", () => {
    expect(() => parseNetworkRegistry([eth, { ...eth, id: "ethereum-copy" }])).toThrow(/chainId 1 is used by both ethereum and ethereum-copy/);
  });

  it("rejects a retired network", () => {
    expect(() => parseNetworkRegistry([{ ...eth, id: "goerli", chainId: 5 }])).toThrow(NetworkRegistryError);
  });

  it("rejects an entry that breaks the schema, naming it and the field", () => {
    const bad: Network = { ...eth, graceSeconds: 0, relay: { ...eth.relay, preferred: [] } };
    expect(() => parseNetworkRegistry([bad])).toThrow(/ethereum\.graceSeconds.*ethereum\.relay\.preferred/);
  });

  it("rejects a Flashbots URL on a policy that does not use Flashbots", () => {
    const bad: Network = { ...eth, relay: { preferred: ["public"], allowPublicFallback: true, flashbotsRelayUrl: "https://relay.flashbots.net" } };
    expect(() => parseNetworkRegistry([bad])).toThrow(/flashbotsRelayUrl/);
  });
});

describe("loadNetworkConfig", () => {
  const base = { rpcUrl: "https://base.example/v1/key", kmsKeyId: "alias/payrox-base" };

  it("merges configured networks with the registry, in registry order", () => {
    const resolved = loadNetworkConfig({
      networks: {
        base,
        ethereum: { rpcUrl: "https://eth.example", kmsKeyId: "arn:aws:kms:eu-west-1:1:key/abc", dispatcher: "0x5fbdb2315678afecb367f032d93f642f64180aa3" },
      },
    });
    expect(resolved.map((n) => n.id)).toEqual(["ethereum", "base"]);
    expect(resolved[0]).toMatchObject({ chainId: 1, graceSeconds: 60, relayUrl: "https://relay.flashbots.net", dispatcher: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });
    expect(resolved[1]).toMatchObject({ chainId: 8453, rpcUrl: base.rpcUrl, kmsKeyId: base.kmsKeyId });
    expect(resolved[1]!.relayUrl).toBeUndefined();
  });

  it("parses JSON text such as an environment variable's content", () => {
    const resolved = loadNetworkConfig(JSON.stringify({ networks: { "devnet-2": { rpcUrl: "http://127.0.0.1:8545", kmsKeyId: "k1" } } }));
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ id: "devnet-2", chainId: 31339, rpcUrl: "http://127.0.0.1:8545" });
  });

  it("lets configuration override the Flashbots relay URL", () => {
    const [eth] = loadNetworkConfig({ networks: { "devnet-1": { ...base, relayUrl: "http://127.0.0.1:9000" } } });
    expect(eth!.relayUrl).toBe("http://127.0.0.1:9000");
  });

  it("names the network when it is unknown, and the replacement when it is retired", () => {
    const error = configError({ networks: { goerli: base, "my-chain": base } });
    expect(issueAt(error, "networks.goerli")).toMatchObject({ network: "goerli", message: expect.stringMatching(/use "sepolia"/) });
    expect(issueAt(error, "networks.my-chain")).toMatchObject({ network: "my-chain" });
  });

  it("names the network and field when rpcUrl is missing", () => {
    const error = configError({ networks: { base: { kmsKeyId: "k" } } });
    expect(issueAt(error, "networks.base.rpcUrl")).toMatchObject({ network: "base", field: "rpcUrl", message: expect.stringMatching(/required/) });
    expect(error.message).toMatch(/networks\.base\.rpcUrl: required/);
  });

  it("names the network and field when kmsKeyId is missing", () => {
    expect(issueAt(configError({ networks: { base: { rpcUrl: base.rpcUrl } } }), "networks.base.kmsKeyId")).toMatchObject({ network: "base", field: "kmsKeyId" });
  });

  it.each([
    ["rpcUrl", { ...base, rpcUrl: "not a url" }],
    ["rpcUrl", { ...base, rpcUrl: "wss://base.example" }],
    ["kmsKeyId", { ...base, kmsKeyId: "" }],
    ["dispatcher", { ...base, dispatcher: "0x1234" }],
    ["dispatcher", { ...base, dispatcher: "0x5FBdb2315678afecb367f032d93F642f64180aa3" }],
    ["relayUrl", { ...base, relayUrl: "https://relay.example" }],
    ["rpcURL", { ...base, rpcURL: "https://typo.example" }],
  ])("names the field %s when it is malformed", (field, settings) => {
    expect(issueAt(configError({ networks: { base: settings } }), `networks.base.${field}`)).toMatchObject({ network: "base", field });
  });

  it("requires a relay URL when the policy prefers a private RPC and the registry has none", () => {
    const error = configError({ networks: { bsc: base, "devnet-1": base } });
    expect(issueAt(error, "networks.bsc.relayUrl")?.message).toMatch(/private-rpc/);
    expect(issueAt(error, "networks.devnet-1.relayUrl")?.message).toMatch(/flashbots/);
  });

  it.each([
    ["an empty networks object", { networks: {} }, "networks"],
    ["a missing networks key", {}, "networks"],
    ["an unknown top-level key", { networks: { base }, extra: 1 }, "extra"],
    ["malformed JSON text", '{"networks":', ""],
  ])("rejects %s", (_, source, path) => {
    expect(issueAt(configError(source), path)).toBeDefined();
  });
});
