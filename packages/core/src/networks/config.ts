/**
 * Operator configuration of networks — RPC URLs and KMS key ids, which never live in code — validated
 * with zod and merged with the registry.
 */
import * as z from "zod";
import { isChecksummedOrSingleCaseAddress, toChecksumAddress } from "./address.js";
import { NetworkConfigError, type NetworkConfigIssue } from "./errors.js";
import { findNetwork, NETWORKS, unknownNetworkHint } from "./registry.js";
import type { Network, NetworkConfig, ResolvedNetwork } from "./types.js";

const SETTINGS_FIELDS = ["rpcUrl", "rpcUrls", "quorum", "maxLagBlocks", "voidAfterSeconds", "kmsKeyId", "dispatcher", "relayUrl"] as const;
/** Most RPC endpoints one network may list (each read may ask all of them for their head). */
export const MAX_RPC_URLS = 8;

const httpUrl = (what: string) =>
  z.url({
    protocol: /^https?$/,
    error: (issue) => (issue.input === undefined ? `required: ${what}` : `must be an http(s) URL (${what})`),
  });

/** Schema of one network's settings. */
export const NetworkSettingsSchema = z.strictObject({
  // One of rpcUrl / rpcUrls is required; that rule and the quorum's live in rpcIssues (cross-field).
  rpcUrl: httpUrl("the network's JSON-RPC endpoint").optional(),
  rpcUrls: z
    .array(httpUrl("one of the network's JSON-RPC endpoints"), { error: "must be a list of http(s) URLs, most preferred first" })
    .min(1, "must list at least one URL")
    .max(MAX_RPC_URLS, `lists more than ${MAX_RPC_URLS} URLs`)
    .optional(),
  quorum: z.number({ error: "must be a whole number of endpoints" }).int("must be a whole number of endpoints").min(1, "must be at least 1").optional(),
  maxLagBlocks: z.number({ error: "must be a whole number of blocks" }).int("must be a whole number of blocks").min(0).max(10_000).optional(),
  voidAfterSeconds: z.number({ error: "must be a whole number of seconds" }).int("must be a whole number of seconds").min(60, "must be at least 60 s (a relay retries for several blocks)").max(86_400, "must be at most a day").optional(),
  kmsKeyId: z
    .string({ error: (issue) => (issue.input === undefined ? "required: the AWS KMS key id, ARN or alias that signs for this network" : "must be a string") })
    .regex(/^\S+$/, "must be a KMS key id, ARN or alias (non-empty, no spaces)"),
  dispatcher: z
    .string()
    .refine((value) => isChecksummedOrSingleCaseAddress(value), "must be a 0x-prefixed 20-byte address (with a valid checksum if mixed-case)")
    .transform((value) => toChecksumAddress(value))
    .optional(),
  relayUrl: httpUrl("the network's Flashbots relay or private RPC").optional(),
});

/** Schema of the configuration document `{ networks: { [id]: settings } }`. */
export const NetworkConfigSchema = z.strictObject({
  networks: z.record(z.string(), NetworkSettingsSchema, { error: "required: an object mapping network ids to their settings" }),
}) satisfies z.ZodType<NetworkConfig, unknown>;

/**
 * Validates a network configuration and merges it with the registry.
 * @param source the configuration document, or its JSON text (e.g. an environment variable's content)
 * @returns the configured networks, in registry order
 * @throws {NetworkConfigError} naming each offending network and field: unknown network ids, a missing
 * or malformed `rpcUrl`/`kmsKeyId`, a relay URL the network's policy needs but lacks (or does not use)
 * @example loadNetworkConfig(process.env.PAYROX_NETWORKS)
 */
export function loadNetworkConfig(source: unknown): ResolvedNetwork[] {
  const document = typeof source === "string" ? parseJson(source) : source;
  const parsed = NetworkConfigSchema.safeParse(document);
  const entries = isRecord(document) && isRecord(document.networks) ? Object.entries(document.networks) : [];
  const issues: NetworkConfigIssue[] = parsed.success ? [] : parsed.error.issues.flatMap(toIssues);
  for (const [id, entry] of entries) {
    const network = findNetwork(id);
    if (!network) issues.push({ path: `networks.${id}`, network: id, message: unknownNetworkHint(id) });
    else if (isRecord(entry)) issues.push(...relayIssues(network, typeof entry.relayUrl === "string" ? entry.relayUrl : undefined));
    if (isRecord(entry)) issues.push(...rpcIssues(id, entry));
  }
  if (parsed.success && entries.length === 0) issues.push({ path: "networks", field: "networks", message: "configure at least one network" });
  if (issues.length > 0 || !parsed.success) {
    throw new NetworkConfigError(issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), { cause: parsed.error });
  }
  return NETWORKS.flatMap((network) => {
    const settings = parsed.data.networks[network.id];
    if (!settings) return [];
    const relayUrl = settings.relayUrl ?? network.relay.flashbotsRelayUrl;
    const { rpcUrl, rpcUrls, quorum, ...rest } = settings;
    // rpcIssues guarantees exactly one of rpcUrl / rpcUrls.
    const urls = rpcUrls ?? [rpcUrl!];
    return [{ ...network, ...rest, rpcUrl: urls[0]!, rpcUrls: urls, quorum: quorum ?? 1, ...(relayUrl ? { relayUrl } : {}) }];
  });
}

/**
 * How long a journaled transaction may stay unmined on `network` before its nonce is freed by a no-op:
 * the configured `voidAfterSeconds`, else 150 blocks and at least 5 minutes (30 min on Ethereum's 12 s blocks).
 */
export function voidAfterSecondsOf(network: Pick<ResolvedNetwork, "blockTimeSeconds"> & { voidAfterSeconds?: number }): number {
  return network.voidAfterSeconds ?? Math.max(300, Math.round(150 * network.blockTimeSeconds));
}

/** A relay the policy prefers needs a URL (configured, or the registry's default); a URL nothing uses is a mistake. */
function relayIssues(network: Network, configured: string | undefined): NetworkConfigIssue[] {
  const needsUrl = network.relay.preferred.find((kind) => kind === "flashbots" || kind === "private-rpc");
  const at = { path: `networks.${network.id}.relayUrl`, network: network.id, field: "relayUrl" };
  if (needsUrl && !(configured ?? network.relay.flashbotsRelayUrl)) {
    return [{ ...at, message: `required: ${network.id} submits through a ${needsUrl} relay first and the registry has no default URL for it` }];
  }
  if (!needsUrl && configured !== undefined) return [{ ...at, message: `${network.id} submits through its ${network.relay.preferred.join("/")} RPC and uses no relay; remove relayUrl` }];
  return [];
}

/** A network's endpoints in priority order and its quorum, for networks loaded or built by hand. */
export function rpcEndpointsOf(network: Pick<ResolvedNetwork, "rpcUrl" | "rpcUrls" | "quorum" | "maxLagBlocks">): { rpcUrls: readonly string[]; quorum: number; maxLagBlocks?: number } {
  return {
    rpcUrls: network.rpcUrls && network.rpcUrls.length > 0 ? network.rpcUrls : [network.rpcUrl],
    quorum: network.quorum ?? 1,
    ...(network.maxLagBlocks !== undefined && { maxLagBlocks: network.maxLagBlocks }),
  };
}

/**
 * Why `quorum` agreeing endpoints out of `endpoints` can't work, or undefined when they can: a quorum above
 * one needs a spare endpoint (n ≥ k + 1), so one endpoint down never stalls the network's reads.
 */
export function rpcQuorumProblem(endpoints: number, quorum: number): string | undefined {
  if (quorum > endpoints) return `asks ${quorum} endpoints to agree but only ${endpoints} are configured`;
  if (quorum > 1 && endpoints < quorum + 1) {
    return `${quorum} of ${endpoints} endpoints would stall on the first endpoint down: list at least ${quorum + 1} URLs (n ≥ k + 1) or lower the quorum`;
  }
  return undefined;
}

/** Exactly one of rpcUrl / rpcUrls, no URL twice, and a quorum the endpoints can meet with one of them down. */
function rpcIssues(id: string, entry: Record<string, unknown>): NetworkConfigIssue[] {
  const at = (field: string, message: string): NetworkConfigIssue => ({ path: `networks.${id}.${field}`, network: id, field, message });
  const { rpcUrl, rpcUrls, quorum } = entry;
  if (rpcUrl === undefined && rpcUrls === undefined) return [at("rpcUrl", "required: the network's JSON-RPC endpoint (rpcUrl), or several in priority order (rpcUrls)")];
  if (rpcUrl !== undefined && rpcUrls !== undefined) return [at("rpcUrls", "give rpcUrl (one endpoint) or rpcUrls (several), not both")];
  const urls = Array.isArray(rpcUrls) ? rpcUrls : [rpcUrl];
  const issues: NetworkConfigIssue[] = [];
  const seen = new Set<unknown>();
  for (const url of urls) {
    if (seen.has(url)) issues.push(at("rpcUrls", `lists ${typeof url === "string" ? new URL(url, "http://x").origin : "a URL"} twice: each endpoint counts once toward the quorum`));
    seen.add(url);
  }
  if (typeof quorum === "number" && Number.isInteger(quorum) && quorum >= 1) {
    const problem = rpcQuorumProblem(urls.length, quorum);
    if (problem) issues.push(at("quorum", problem));
  }
  return issues;
}

function toIssues(issue: z.core.$ZodIssue): NetworkConfigIssue[] {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const expected = path.length === 0 ? "networks" : SETTINGS_FIELDS.join(", ");
    return issue.keys.map((key) => locate([...path, key], `unknown field; expected ${expected}`));
  }
  return [locate(path, issue.message)];
}

function locate(path: string[], message: string): NetworkConfigIssue {
  const [root, network, field] = path;
  const located: NetworkConfigIssue = { path: path.join("."), message };
  if (root === "networks" && network !== undefined) located.network = network;
  if (field !== undefined) located.field = field;
  else if (path.length === 1) located.field = root;
  return located;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NetworkConfigError([{ path: "", message: `not valid JSON (${(error as Error).message}); expected {"networks": {"<id>": {"rpcUrl" or "rpcUrls": ..., "kmsKeyId": ...}}}` }], { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
