/**
 * The registry's data: current mainnets and testnets (no deprecated testnets), and the embedded devnet's
 * local networks. Parsed and checked by `registry.ts` when the module loads.
 *
 * Grace: Ethereum 60 s, rollups 30 s, Polygon PoS 120 s (its blocks' timestamps drift the most), testnets
 * 60 s. BNB Smart Chain and Avalanche (sub-second to 2 s blocks, fast finality) get the rollups' 30 s;
 * Gnosis (beacon-chain consensus, 5 s slots) gets Ethereum's 60 s.
 * Confirmations: a rollup sequencer's receipt is final unless the sequencer itself reorgs, so 1;
 * Polygon PoS has had deep reorgs, so 32. Testnets mirror their mainnet's timing and relays (with a public
 * fallback allowed: nothing there is worth front-running, and a testnet relay that is down should not
 * stop a rehearsal).
 *
 * Per-transaction gas (`maxTxGas`), the most one transaction may use:
 * - EIP-7825 (Fusaka, Dec 2025) caps a transaction at 2^24 = 16,777,216 gas on Ethereum and its testnets;
 *   Gnosis activated Fusaka too; OP Stack chains (OP Mainnet, Base) took the cap with their Fusaka-
 *   equivalent hardfork; Polygon PoS took it in the Madhugiri hardfork (Dec 2025, with EIP-7823/7883);
 *   BNB Smart Chain adopted the Fusaka EIPs in its Osaka hardfork. Their block limits are higher.
 * - Arbitrum: 32,000,000, the ArbOS per-transaction (and per-block) gas limit (docs.arbitrum.io, "Gas and
 *   fees").
 * - Avalanche C-Chain: 15,000,000, its block gas limit since Apricot Phase 1 (a transaction can't exceed it).
 * - Linea: 24,000,000 per transaction, the sequencer's limit (docs.linea.build, network info); its
 *   prover's line limits can refuse less, which `linea_estimateGas` reports.
 * - Scroll: 10,000,000, its block gas limit (docs.scroll.io, "Ethereum & Scroll differences").
 * - ZKsync Era: 80,000,000 L2 gas per transaction (docs.zksync.io, "Fee model"); moot: no canonical CREATE2.
 * - devnets: 30,000,000, anvil's default block gas limit.
 * Where a chain's value was uncertain the lower documented one is used: a low cap only costs batches.
 *
 * CREATE2: ZKsync Era (mainnet and Sepolia) derives CREATE2 addresses from the bytecode hash through its
 * ContractDeployer system contract (docs.zksync.io, "EVM instructions"), so the canonical factory can't give
 * the dispatcher its one address there: `create2: "unsupported"`.
 */
import type { Network, NetworkRelayPolicy } from "./types.js";

const FLASHBOTS_ONLY = (flashbotsRelayUrl?: string): NetworkRelayPolicy =>
  // Ethereum: a public-mempool upgrade transaction can be seen before it lands; never fall back silently.
  ({ preferred: ["flashbots"], allowPublicFallback: false, ...(flashbotsRelayUrl ? { flashbotsRelayUrl } : {}) });
const SEQUENCER: NetworkRelayPolicy = { preferred: ["sequencer"], allowPublicFallback: false };
// Sidechains with an open mempool and active MEV bots: a private RPC first, the public mempool if it refuses.
const PRIVATE_THEN_PUBLIC: NetworkRelayPolicy = { preferred: ["private-rpc"], allowPublicFallback: true };
const PUBLIC: NetworkRelayPolicy = { preferred: ["public"], allowPublicFallback: true };

/** EIP-7825's per-transaction gas cap, 2^24. */
export const EIP7825_TX_GAS_CAP = 16_777_216;
const CANONICAL = { create2: "canonical" } as const;
const ETH = { nativeSymbol: "ETH" } as const;

const ethereum = { graceSeconds: 60, confirmations: 3, blockTimeSeconds: 12, feeModel: "eip1559", maxTxGas: EIP7825_TX_GAS_CAP, ...CANONICAL, ...ETH } as const;
// Every rollup of the registry pays gas in ETH.
const rollup = (blockTimeSeconds: number, maxTxGas: number) => ({ graceSeconds: 30, confirmations: 1, blockTimeSeconds, relay: SEQUENCER, feeModel: "eip1559", maxTxGas, ...CANONICAL, ...ETH }) as const;
// POL replaced MATIC as Polygon PoS's gas token (September 2024).
const polygon = { graceSeconds: 120, confirmations: 32, blockTimeSeconds: 2, feeModel: "eip1559", maxTxGas: EIP7825_TX_GAS_CAP, ...CANONICAL, nativeSymbol: "POL" } as const;
// BSC has accepted type-2 transactions since Hertz, but its base fee is 0 and validators price by gasPrice.
const bsc = { graceSeconds: 30, confirmations: 5, blockTimeSeconds: 0.75, feeModel: "legacy", maxTxGas: EIP7825_TX_GAS_CAP, ...CANONICAL, nativeSymbol: "BNB" } as const;
const avalanche = { graceSeconds: 30, confirmations: 1, blockTimeSeconds: 2, feeModel: "eip1559", maxTxGas: 15_000_000, ...CANONICAL, nativeSymbol: "AVAX" } as const;
const ARBITRUM_TX_GAS = 32_000_000;
const LINEA_TX_GAS = 24_000_000;
const SCROLL_TX_GAS = 10_000_000;
const ZKSYNC = { maxTxGas: 80_000_000, create2: "unsupported" } as const;

/** The 11 mainnets. */
export const MAINNETS: readonly Network[] = [
  { id: "ethereum", name: "Ethereum", chainId: 1, kind: "mainnet", ...ethereum, relay: FLASHBOTS_ONLY("https://relay.flashbots.net") },
  { id: "arbitrum-one", name: "Arbitrum One", chainId: 42161, kind: "mainnet", ...rollup(0.25, ARBITRUM_TX_GAS) },
  { id: "optimism", name: "OP Mainnet", chainId: 10, kind: "mainnet", ...rollup(2, EIP7825_TX_GAS_CAP) },
  { id: "base", name: "Base", chainId: 8453, kind: "mainnet", ...rollup(2, EIP7825_TX_GAS_CAP) },
  { id: "polygon", name: "Polygon PoS", chainId: 137, kind: "mainnet", ...polygon, relay: PRIVATE_THEN_PUBLIC },
  { id: "bsc", name: "BNB Smart Chain", chainId: 56, kind: "mainnet", ...bsc, relay: PRIVATE_THEN_PUBLIC },
  { id: "avalanche", name: "Avalanche C-Chain", chainId: 43114, kind: "mainnet", ...avalanche, relay: PUBLIC },
  { id: "gnosis", name: "Gnosis", chainId: 100, kind: "mainnet", graceSeconds: 60, confirmations: 3, blockTimeSeconds: 5, relay: PUBLIC, feeModel: "eip1559", maxTxGas: EIP7825_TX_GAS_CAP, ...CANONICAL, nativeSymbol: "xDAI" },
  { id: "linea", name: "Linea", chainId: 59144, kind: "mainnet", ...rollup(2, LINEA_TX_GAS) },
  { id: "scroll", name: "Scroll", chainId: 534352, kind: "mainnet", ...rollup(3, SCROLL_TX_GAS) },
  { id: "zksync-era", name: "ZKsync Era", chainId: 324, kind: "mainnet", ...rollup(1, ZKSYNC.maxTxGas), ...ZKSYNC },
];

const testnet = { kind: "testnet", graceSeconds: 60 } as const;

/** The 11 testnets: the current (non-deprecated) testnet of each mainnet family. */
export const TESTNETS: readonly Network[] = [
  { id: "sepolia", name: "Sepolia", chainId: 11155111, ...ethereum, ...testnet, relay: { preferred: ["flashbots"], allowPublicFallback: true, flashbotsRelayUrl: "https://relay-sepolia.flashbots.net" } },
  // Hoodi replaced Holesky (sunset after Pectra/Fusaka testing); no public Flashbots bundle relay is assumed.
  { id: "hoodi", name: "Hoodi", chainId: 560048, ...ethereum, ...testnet, relay: PUBLIC },
  { id: "arbitrum-sepolia", name: "Arbitrum Sepolia", chainId: 421614, ...rollup(0.25, ARBITRUM_TX_GAS), ...testnet },
  { id: "optimism-sepolia", name: "OP Sepolia", chainId: 11155420, ...rollup(2, EIP7825_TX_GAS_CAP), ...testnet },
  { id: "base-sepolia", name: "Base Sepolia", chainId: 84532, ...rollup(2, EIP7825_TX_GAS_CAP), ...testnet },
  { id: "polygon-amoy", name: "Polygon Amoy", chainId: 80002, ...polygon, ...testnet, relay: PUBLIC },
  { id: "bsc-testnet", name: "BNB Smart Chain Testnet", chainId: 97, ...bsc, ...testnet, relay: PUBLIC, nativeSymbol: "tBNB" },
  { id: "avalanche-fuji", name: "Avalanche Fuji", chainId: 43113, ...avalanche, ...testnet, relay: PUBLIC },
  { id: "linea-sepolia", name: "Linea Sepolia", chainId: 59141, ...rollup(2, LINEA_TX_GAS), ...testnet },
  { id: "scroll-sepolia", name: "Scroll Sepolia", chainId: 534351, ...rollup(3, SCROLL_TX_GAS), ...testnet },
  { id: "zksync-sepolia", name: "ZKsync Era Sepolia", chainId: 300, ...rollup(1, ZKSYNC.maxTxGas), ...ZKSYNC, ...testnet },
];

/** Per-transaction gas of the devnets: anvil's default block gas limit. */
export const DEVNET_TX_GAS = 30_000_000;

/** How many local networks the embedded devnet offers. */
export const DEVNET_COUNT = 21;

/**
 * First devnet chain id minus one: `devnet-i` has chain id 31337 + i, so a stock hardhat/anvil node
 * (31337) never passes for a configured devnet network.
 */
export const DEVNET_CHAIN_ID_BASE = 31337;

// Each devnet mirrors a mainnet family's grace and relay policy, cycling Ethereum, rollup, Polygon.
const DEVNET_PROFILES = [
  { like: "Ethereum-like", graceSeconds: 60, relay: FLASHBOTS_ONLY() },
  { like: "L2-like", graceSeconds: 30, relay: SEQUENCER },
  { like: "Polygon-like", graceSeconds: 120, relay: PRIVATE_THEN_PUBLIC },
] as const;

/** `devnet-1` … `devnet-21`: local nodes (1 s blocks, 1 confirmation); their relay URL comes from configuration. */
export const DEVNETS: readonly Network[] = Array.from({ length: DEVNET_COUNT }, (_, i) => {
  const n = i + 1;
  const profile = DEVNET_PROFILES[i % DEVNET_PROFILES.length]!;
  return {
    id: `devnet-${n}`,
    name: `Devnet ${n} (${profile.like})`,
    chainId: DEVNET_CHAIN_ID_BASE + n,
    kind: "devnet",
    graceSeconds: profile.graceSeconds,
    confirmations: 1,
    blockTimeSeconds: 1,
    relay: profile.relay,
    feeModel: "eip1559",
    maxTxGas: DEVNET_TX_GAS,
    create2: "canonical",
    nativeSymbol: "ETH",
  };
});

/**
 * Ids of retired networks, with the current network to use instead; configuration naming one gets this
 * hint, and the registry must never contain one.
 */
export const RETIRED_NETWORKS: Readonly<Record<string, string>> = {
  goerli: "sepolia",
  rinkeby: "sepolia",
  ropsten: "sepolia",
  kovan: "sepolia",
  holesky: "hoodi",
  "arbitrum-goerli": "arbitrum-sepolia",
  "arbitrum-rinkeby": "arbitrum-sepolia",
  "optimism-goerli": "optimism-sepolia",
  "optimism-kovan": "optimism-sepolia",
  "base-goerli": "base-sepolia",
  mumbai: "polygon-amoy",
  "polygon-mumbai": "polygon-amoy",
  "linea-goerli": "linea-sepolia",
  "scroll-alpha": "scroll-sepolia",
};
