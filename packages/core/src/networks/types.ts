/**
 * Types of the network registry: what PayRox knows about a network from code (chain id, timing, relay
 * policy, fee model), and what an operator adds from configuration (RPC URL, KMS key id) — never in code.
 */
import * as z from "zod";

/** What a network is for. */
export const NetworkKind = {
  MAINNET: "mainnet",
  TESTNET: "testnet",
  /** A local node of the embedded devnet. */
  DEVNET: "devnet",
} as const;
/** One of {@link NetworkKind}. */
export type NetworkKind = (typeof NetworkKind)[keyof typeof NetworkKind];

/**
 * Ways a network's transactions can be submitted. `sequencer` is a rollup's RPC, which hands transactions
 * straight to its sequencer: there is no public mempool to be front-run in (the relay port calls it
 * `public`, see `relayPolicyOf`).
 */
export const NetworkRelayKind = {
  FLASHBOTS: "flashbots",
  PRIVATE_RPC: "private-rpc",
  SEQUENCER: "sequencer",
  PUBLIC: "public",
} as const;
/** One of {@link NetworkRelayKind}. */
export type NetworkRelayKind = (typeof NetworkRelayKind)[keyof typeof NetworkRelayKind];

/** How transactions are priced. */
export const FeeModel = {
  /** Type-2 transactions: base fee + priority fee. */
  EIP1559: "eip1559",
  /** A single gas price (the network's base fee is zero or absent). */
  LEGACY: "legacy",
} as const;
/** One of {@link FeeModel}. */
export type FeeModel = (typeof FeeModel)[keyof typeof FeeModel];

/**
 * Whether the canonical CREATE2 factory (`0x4e59…956C`) gives the dispatcher the same address as on every
 * other network. `unsupported`: the chain derives CREATE2 addresses differently (zkSync Era hashes the
 * bytecode hash, not the init code) or can't run the factory's presigned transaction, so PayRox can't
 * deploy or upgrade there.
 */
export const Create2Support = {
  CANONICAL: "canonical",
  UNSUPPORTED: "unsupported",
} as const;
/** One of {@link Create2Support}. */
export type Create2Support = (typeof Create2Support)[keyof typeof Create2Support];

/** How a network's transactions reach a block producer. */
export interface NetworkRelayPolicy {
  /** Kinds to try, most preferred first. */
  readonly preferred: readonly NetworkRelayKind[];
  /** Whether the public mempool may be used when every preferred relay refuses (reported, never silent). */
  readonly allowPublicFallback: boolean;
  /** The public Flashbots bundle relay of the network; configuration's `relayUrl` overrides it. */
  readonly flashbotsRelayUrl?: string;
}

/** One network as the registry describes it. */
export interface Network {
  /** Slug used everywhere (API, config, store keys), e.g. `arbitrum-one`. */
  readonly id: string;
  readonly name: string;
  /** EIP-155 chain id. */
  readonly chainId: number;
  readonly kind: NetworkKind;
  /** How long after the ETA an activation may land before it counts as late. */
  readonly graceSeconds: number;
  /** Blocks to wait after inclusion before a step counts as confirmed. */
  readonly confirmations: number;
  /** Typical block interval (may be below 1 s). */
  readonly blockTimeSeconds: number;
  readonly relay: NetworkRelayPolicy;
  readonly feeModel: FeeModel;
  /**
   * Most gas one transaction may use on this network (a protocol per-transaction cap such as EIP-7825's
   * 16,777,216, else the block gas limit). Apply batches, the commit, the activation and every cancel
   * chunk are planned under it.
   */
  readonly maxTxGas: number;
  /** Whether the dispatcher gets its canonical CREATE2 address here (see {@link Create2Support}). */
  readonly create2: Create2Support;
  /** Symbol of the native token gas is paid in (18 decimals on every registry network), e.g. `ETH`, `POL`. */
  readonly nativeSymbol: string;
}

/** Operator configuration of one network (from a config file or an environment variable). */
export interface NetworkSettings {
  /** JSON-RPC endpoint (http/https); may carry a provider API key, hence never in code. Give this or `rpcUrls`. */
  rpcUrl?: string;
  /**
   * Several JSON-RPC endpoints of the same chain, most preferred first: reads fail over (health-checked, with
   * backoff), transactions go to every healthy one. Give this or `rpcUrl`.
   */
  rpcUrls?: string[];
  /**
   * How many endpoints must return the same answer at the same block for a read that decides what to sign
   * (pending root, ETA, code hashes, nonces, receipts). Above 1 it needs at least `quorum + 1` URLs. @default 1
   */
  quorum?: number;
  /** An endpoint whose head is more than this many blocks behind the others is not read from. @default 8 */
  maxLagBlocks?: number;
  /**
   * Seconds a journaled transaction may stay unmined before its nonce is freed by a no-op (a 0-value
   * self-transfer at the same nonce). @default 150 blocks, at least 300 (see `voidAfterSecondsOf`)
   */
  voidAfterSeconds?: number;
  /** AWS KMS key id, ARN or alias that signs for this network. */
  kmsKeyId: string;
  /** The ManifestDispatcher's address, once deployed. */
  dispatcher?: string;
  /** Endpoint of the network's Flashbots relay or private RPC; overrides the registry's default. */
  relayUrl?: string;
}

/** Operator configuration of the networks in use, keyed by network id. */
export interface NetworkConfig {
  networks: Record<string, NetworkSettings>;
}

/** A registry network merged with its configuration: everything a step needs to reach it. */
export interface ResolvedNetwork extends Network, Readonly<Omit<NetworkSettings, "relayUrl" | "rpcUrl" | "rpcUrls" | "quorum">> {
  /** The most preferred endpoint (`rpcUrls[0]`), for single-endpoint tools. */
  readonly rpcUrl: string;
  /**
   * Every endpoint, most preferred first; `loadNetworkConfig` always sets it (a lone `rpcUrl` becomes a list
   * of one). Optional so hand-built networks keep working: read it through `rpcEndpointsOf`.
   */
  readonly rpcUrls?: readonly string[];
  /** Endpoints that must agree on a read that decides what to sign (1: plain failover). @default 1 */
  readonly quorum?: number;
  /** The relay endpoint in effect: configuration's `relayUrl`, else the registry's Flashbots relay. */
  readonly relayUrl?: string;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Schema of a registry entry; the registry is parsed with it when the module loads. */
export const NetworkSchema = z
  .strictObject({
    id: z.string().regex(SLUG, "must be a lowercase slug like arbitrum-one"),
    name: z.string().min(1),
    chainId: z.number().int().positive(),
    kind: z.enum(NetworkKind),
    graceSeconds: z.number().int().positive(),
    confirmations: z.number().int().min(1),
    blockTimeSeconds: z.number().positive(),
    relay: z.strictObject({
      preferred: z.array(z.enum(NetworkRelayKind)).min(1),
      allowPublicFallback: z.boolean(),
      flashbotsRelayUrl: z.url({ protocol: /^https?$/ }).optional(),
    }),
    feeModel: z.enum(FeeModel),
    // 1M: below that not even a commit fits; 2^32: above any real chain (and a uint32 in the contract's terms).
    maxTxGas: z.number().int().min(1_000_000, "is below 1,000,000 gas: not even a commit fits").max(2 ** 32),
    create2: z.enum(Create2Support),
    nativeSymbol: z.string().regex(/^[A-Za-z][A-Za-z0-9]{1,10}$/, "must be a token symbol like ETH"),
  })
  .superRefine((network, ctx) => {
    const { preferred, flashbotsRelayUrl } = network.relay;
    if (new Set(preferred).size !== preferred.length) ctx.addIssue({ code: "custom", path: ["relay", "preferred"], message: "lists a relay kind twice" });
    if (flashbotsRelayUrl && !preferred.includes("flashbots")) {
      ctx.addIssue({ code: "custom", path: ["relay", "flashbotsRelayUrl"], message: "is set but the policy does not prefer flashbots" });
    }
  }) satisfies z.ZodType<Network>;
