/**
 * The network registry: 11 mainnets, 10 testnets and the devnet's local networks, validated with zod
 * when this module loads, plus look-ups and the relay policy in the relay port's terms.
 */
import { RelayKind, type RelayPolicy } from "../ports/relay.js";
import { Create2UnsupportedError, NetworkRegistryError, UnknownNetworkError } from "./errors.js";
import { DEVNETS, MAINNETS, RETIRED_NETWORKS, TESTNETS } from "./registry-data.js";
import { NetworkSchema, type Network, type NetworkKind } from "./types.js";

/**
 * Validates registry data: each entry against {@link NetworkSchema}, ids and chain ids unique, no retired
 * network. Returns deeply frozen copies.
 * @throws {NetworkRegistryError} listing every problem
 */
export function parseNetworkRegistry(entries: readonly unknown[]): readonly Network[] {
  const problems: string[] = [];
  const networks: Network[] = [];
  entries.forEach((entry, index) => {
    const parsed = NetworkSchema.safeParse(entry);
    const label = (entry as { id?: unknown } | null)?.id ?? `#${index}`;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${String(label)}${issue.path.map((p) => `.${String(p)}`).join("")}: ${issue.message}`);
      return;
    }
    networks.push(parsed.data);
  });
  problems.push(...duplicates(networks, "id"), ...duplicates(networks, "chainId"));
  for (const network of networks) {
    if (Object.hasOwn(RETIRED_NETWORKS, network.id)) problems.push(`${network.id} is retired; use ${RETIRED_NETWORKS[network.id]}`);
  }
  if (problems.length > 0) throw new NetworkRegistryError(problems);
  return Object.freeze(networks.map(freezeNetwork));
}

/** Every network PayRox knows, mainnets first, then testnets, then devnets. */
export const NETWORKS: readonly Network[] = parseNetworkRegistry([...MAINNETS, ...TESTNETS, ...DEVNETS]);

const byId = new Map(NETWORKS.map((n) => [n.id, n]));
const byChainId = new Map(NETWORKS.map((n) => [n.chainId, n]));

/** Options of {@link listNetworks}. */
export interface ListNetworksOptions {
  /** Only networks of this kind. @default every kind */
  kind?: NetworkKind;
}

/** The registry's networks (in registry order), optionally of one kind. */
export function listNetworks(options: ListNetworksOptions = {}): readonly Network[] {
  return options.kind === undefined ? NETWORKS : NETWORKS.filter((n) => n.kind === options.kind);
}

/** The registry's networks a deployment configured (`lookup`: the deployment's network lookup, e.g. `deps.networks`). */
export function configuredNetworks(lookup: (id: string) => Network | undefined): readonly Network[] {
  return NETWORKS.filter((n) => lookup(n.id) !== undefined);
}

/** The network with this id, or undefined. */
export function findNetwork(id: string): Network | undefined {
  return byId.get(id);
}

/**
 * The network with this id.
 * @throws {UnknownNetworkError} naming the replacement when the id is a retired network
 */
export function getNetwork(id: string): Network {
  const network = byId.get(id);
  if (!network) throw new UnknownNetworkError(id, unknownNetworkHint(id));
  return network;
}

/** The network with this EIP-155 chain id, or undefined (e.g. to check what an RPC URL points at). */
export function findNetworkByChainId(chainId: number | bigint): Network | undefined {
  return byChainId.get(Number(chainId));
}

/**
 * The network's relay policy in the relay port's terms. A rollup's `sequencer` is reached through its
 * ordinary RPC, i.e. the port's `public` kind (there is no public mempool behind it).
 */
export function relayPolicyOf(network: Pick<Network, "id" | "relay">): RelayPolicy {
  const preferred = [...new Set(network.relay.preferred.map((kind) => (kind === "sequencer" ? RelayKind.PUBLIC : kind)))];
  return { network: network.id, preferred, allowPublicFallback: network.relay.allowPublicFallback };
}

/**
 * Checks the dispatcher can be deployed at its canonical CREATE2 address on `network`.
 * @throws {Create2UnsupportedError} naming the network when it can't (ZKsync Era and its testnet)
 */
export function assertCanonicalCreate2(network: Pick<Network, "id" | "name" | "create2">): void {
  if (network.create2 !== "canonical") throw new Create2UnsupportedError(network.id, network.name);
}

/** What to tell someone who named an unknown network. */
export function unknownNetworkHint(id: string): string {
  if (Object.hasOwn(RETIRED_NETWORKS, id)) return `it is retired; use "${RETIRED_NETWORKS[id]}" instead`;
  return `use one of the registry's ids (listNetworks(), GET /networks), e.g. ethereum, base, sepolia, devnet-1`;
}

function duplicates(networks: readonly Network[], key: "id" | "chainId"): string[] {
  const seen = new Map<string | number, string>();
  const problems: string[] = [];
  for (const network of networks) {
    const first = seen.get(network[key]);
    if (first !== undefined) problems.push(`${key} ${network[key]} is used by both ${first} and ${network.id}`);
    else seen.set(network[key], network.id);
  }
  return problems;
}

function freezeNetwork(network: Network): Network {
  const { relay } = network;
  return Object.freeze({ ...network, relay: Object.freeze({ ...relay, preferred: Object.freeze([...relay.preferred]) }) });
}
