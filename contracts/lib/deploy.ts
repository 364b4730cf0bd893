/**
 * Deterministic deployment of the ManifestDispatcher through the canonical CREATE2 factory
 * (0x4e59b44847b379578588920cA78FbF26c0B4956C). Where the factory is missing it is deployed from its
 * presigned, chain-independent (pre-EIP-155) transaction after funding the one-time deployer.
 */
import { CREATE2_FACTORY } from "@payrox/core";
import {
  AbiCoder,
  ContractFactory,
  getAddress,
  getCreate2Address,
  keccak256,
  Transaction,
  type Provider,
  type Signer,
} from "ethers";

export { CREATE2_FACTORY } from "@payrox/core";
/** The factory's one-time deployer; its only transaction is the presigned one below. */
export const CREATE2_FACTORY_DEPLOYER = "0x3fAB184622Dc19b6109349B94811493BF2a45362";
/** Presigned factory deployment: gas price 100 gwei, gas limit 100,000, no chain id. */
export const CREATE2_FACTORY_DEPLOY_TX =
  "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222";
/** Default salt: the same on every network, so the address is too. */
export const DEFAULT_SALT = keccak256(Buffer.from("payrox.ManifestDispatcher.v2"));

/** Constructor arguments; identical on every network by design. */
export interface DispatcherConfig {
  admin: string;
  /** Seconds an admin transfer waits (AccessControlDefaultAdminRules). */
  adminTransferDelay: number;
  minActivationDelay: number;
  activationDelay: number;
  expiryWindow: number;
  maxBatchSize: number;
}

/** Minimal view of a Hardhat/ethers artifact. */
export interface Artifact {
  abi: unknown[];
  bytecode: string;
}

/** Ensures the CREATE2 factory exists on the signer's chain; returns true if it had to be deployed. */
export async function ensureCreate2Factory(funder: Signer): Promise<boolean> {
  const provider = requireProvider(funder);
  if ((await provider.getCode(CREATE2_FACTORY)) !== "0x") return false;
  const tx = Transaction.from(CREATE2_FACTORY_DEPLOY_TX);
  if (tx.from !== CREATE2_FACTORY_DEPLOYER) throw new Error("presigned factory transaction does not recover to its deployer");
  const cost = tx.gasLimit * tx.gasPrice!;
  const balance = await provider.getBalance(CREATE2_FACTORY_DEPLOYER);
  if (balance < cost) await (await funder.sendTransaction({ to: CREATE2_FACTORY_DEPLOYER, value: cost - balance })).wait();
  const sent = await provider.broadcastTransaction(CREATE2_FACTORY_DEPLOY_TX);
  const receipt = await sent.wait();
  if ((await provider.getCode(CREATE2_FACTORY, receipt?.blockNumber)) === "0x") throw new Error("CREATE2 factory deployment produced no code");
  return true;
}

/** Init code (creation bytecode + encoded constructor arguments) of the dispatcher. */
export function dispatcherInitCode(artifact: Artifact, config: DispatcherConfig): string {
  const factory = new ContractFactory(artifact.abi as never, artifact.bytecode);
  const args = AbiCoder.defaultAbiCoder().encode(
    ["address", "uint48", "uint64", "uint64", "uint64", "uint32"],
    [config.admin, config.adminTransferDelay, config.minActivationDelay, config.activationDelay, config.expiryWindow, config.maxBatchSize],
  );
  return factory.bytecode + args.slice(2);
}

/** The address the dispatcher gets on any chain for this artifact, config and salt. */
export function predictDispatcherAddress(artifact: Artifact, config: DispatcherConfig, salt = DEFAULT_SALT): string {
  return getCreate2Address(CREATE2_FACTORY, salt, keccak256(dispatcherInitCode(artifact, config)));
}

/**
 * Deploys the dispatcher at its deterministic address (deploying the factory first if needed).
 * Idempotent: an existing deployment at the predicted address is returned as is.
 */
export async function deployDispatcherDeterministic(
  signer: Signer,
  artifact: Artifact,
  config: DispatcherConfig,
  salt = DEFAULT_SALT,
): Promise<{ address: string; deployedFactory: boolean; deployed: boolean; gasUsed: bigint }> {
  const provider = requireProvider(signer);
  const deployedFactory = await ensureCreate2Factory(signer);
  const address = predictDispatcherAddress(artifact, config, salt);
  if ((await provider.getCode(address)) !== "0x") return { address, deployedFactory, deployed: false, gasUsed: 0n };
  const receipt = await (await signer.sendTransaction({ to: CREATE2_FACTORY, data: salt + dispatcherInitCode(artifact, config).slice(2) })).wait();
  // Read the code at the receipt's block: ethers caches an identical `getCode(address)` for 250 ms.
  if (!receipt || receipt.status !== 1 || (await provider.getCode(address, receipt.blockNumber)) === "0x") {
    throw new Error(`CREATE2 deployment of the dispatcher to ${address} failed (status ${receipt?.status})`);
  }
  return { address: getAddress(address), deployedFactory, deployed: true, gasUsed: receipt.gasUsed };
}

function requireProvider(signer: Signer): Provider {
  if (!signer.provider) throw new Error("signer has no provider");
  return signer.provider;
}

/** Default config used by the demo and the tests: short delays, an admin transfer delay of 1 hour. */
export function devConfig(admin: string, overrides: Partial<DispatcherConfig> = {}): DispatcherConfig {
  return { admin, adminTransferDelay: 3600, minActivationDelay: 1, activationDelay: 5, expiryWindow: 3600, maxBatchSize: 300, ...overrides };
}

