/**
 * A real Safe for tests: npm @safe-global/safe-contracts 1.4.1 artifacts (singleton, proxy factory,
 * CompatibilityFallbackHandler) deployed on a local chain, a proxy set up with test-only owner keys, and
 * Safe transactions signed by some of those owners (EIP-712 with ethers) and executed.
 */
import { createRequire } from "node:module";
import { ContractFactory, Interface, Wallet, ZeroAddress, keccak256, toBeHex, type InterfaceAbi, type TransactionReceipt } from "ethers";
import { execTransactionData, packSafeSignatures, readSafe, safeCall, safeTransactionTypedData, type SafeTransaction } from "../../src/safe/index.js";

const require = createRequire(import.meta.url);
const artifact = (path: string) => require(`@safe-global/safe-contracts/build/artifacts/contracts/${path}`) as { abi: InterfaceAbi; bytecode: string };

/** `count` test-only owner keys derived from fixed indices (never funded on a real network). */
export function safeOwners(count: number, seed = 0x5afe0000): Wallet[] {
  return Array.from({ length: count }, (_, i) => new Wallet(keccak256(toBeHex(seed + i + 1, 32))));
}

/** Deploys the Safe 1.4.1 singleton, proxy factory and fallback handler with `deployer`, and a `threshold`-of-n Safe of `owners`. */
export async function deploySafe(deployer: Wallet, owners: readonly string[], threshold: number, saltNonce = 7): Promise<string> {
  const deploy = async (path: string) => {
    const { abi, bytecode } = artifact(path);
    const contract = await new ContractFactory(abi, bytecode, deployer).deploy();
    await contract.waitForDeployment();
    return contract;
  };
  const singleton = await deploy("Safe.sol/Safe.json");
  const factory = await deploy("proxies/SafeProxyFactory.sol/SafeProxyFactory.json");
  const handler = await deploy("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json");
  const setup = singleton.interface.encodeFunctionData("setup", [owners, threshold, ZeroAddress, "0x", await handler.getAddress(), ZeroAddress, 0, ZeroAddress]);
  const create = factory.getFunction("createProxyWithNonce");
  const safe = (await create.staticCall(await singleton.getAddress(), setup, saltNonce)) as string;
  await (await create(await singleton.getAddress(), setup, saltNonce)).wait();
  return safe;
}

/** Each of `signers` signs `tx` for `safe` (EIP-712 SafeTx), packed in owner order. */
export async function signSafeTransaction(safe: string, chainId: bigint, tx: SafeTransaction, signers: readonly Wallet[]): Promise<string> {
  const { domain, types, message } = safeTransactionTypedData(safe, chainId, tx);
  const signatures = await Promise.all(signers.map(async (s) => ({ owner: s.address, signature: await s.signTypedData(domain, types, message as never) })));
  return packSafeSignatures(signatures);
}

/** Sends `call` through `safe` at its current nonce, signed by `signers`, with `sender` paying gas; rejects with the Safe's revert (e.g. GS013, GS020). */
export async function execBySafe(sender: Wallet, safe: string, call: { to: string; data: string }, signers: readonly Wallet[]): Promise<TransactionReceipt> {
  const state = await readSafe(sender.provider!, safe);
  const tx = safeCall(call, state.nonce);
  const signatures = await signSafeTransaction(safe, state.chainId, tx, signers);
  const sent = await sender.sendTransaction({ to: safe, data: execTransactionData(tx, signatures) });
  return (await sent.wait())!;
}

/** The `ExecutionSuccess` / `ExecutionFailure` events the Safe logged in `receipt`. */
export const SAFE_EVENTS = new Interface(["event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)", "event ExecutionFailure(bytes32 indexed txHash, uint256 payment)"]);
