/**
 * Safe (1.3+/1.4.1) transactions without the Safe SDK: the SafeTx EIP-712 typed data and its hash (what
 * each owner signs), the owners' signatures packed as the Safe checks them, the `execTransaction` call,
 * and a read of a Safe's owners, threshold and nonce at one block.
 */
import { getAddress, Interface, isError, TypedDataEncoder, ZeroAddress, type Provider, type TypedDataDomain, type TypedDataField } from "ethers";
import { SafeReadError } from "./errors.js";

/** Safe's `Enum.Operation`. */
export const SafeOperation = { CALL: 0, DELEGATE_CALL: 1 } as const;

/** The fields of a SafeTx, as the Safe hashes them. */
export interface SafeTransaction {
  to: string;
  value: bigint;
  data: string;
  operation: (typeof SafeOperation)[keyof typeof SafeOperation];
  safeTxGas: bigint;
  baseGas: bigint;
  gasPrice: bigint;
  gasToken: string;
  refundReceiver: string;
  nonce: bigint;
}

/** The EIP-712 `SafeTx` type of Safe 1.3.0 and later. */
export const SAFE_TX_TYPES: Record<string, TypedDataField[]> = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

const SAFE = new Interface([
  "function VERSION() view returns (string)",
  "function getThreshold() view returns (uint256)",
  "function getOwners() view returns (address[])",
  "function nonce() view returns (uint256)",
  "function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool success)",
]);

/** A Safe as read at one block. */
export interface SafeAccount {
  address: string;
  chainId: bigint;
  version: string;
  threshold: number;
  owners: string[];
  /** The nonce the Safe's next transaction must carry. */
  nonce: bigint;
  blockNumber: number;
}

/** A plain call through the Safe (no refund, no gas token) at `nonce`: what the Safe{Wallet} proposes by default. */
export function safeCall(call: { to: string; value?: bigint; data: string }, nonce: bigint): SafeTransaction {
  return { to: getAddress(call.to), value: call.value ?? 0n, data: call.data, operation: SafeOperation.CALL, safeTxGas: 0n, baseGas: 0n, gasPrice: 0n, gasToken: ZeroAddress, refundReceiver: ZeroAddress, nonce };
}

/** The typed data each owner signs for `tx` on the Safe at `safe` on chain `chainId`. */
export function safeTransactionTypedData(safe: string, chainId: bigint, tx: SafeTransaction): { domain: TypedDataDomain; types: Record<string, TypedDataField[]>; message: SafeTransaction } {
  return { domain: { chainId, verifyingContract: getAddress(safe) }, types: SAFE_TX_TYPES, message: tx };
}

/** The Safe transaction hash (`getTransactionHash` of the Safe): what the Safe{Wallet} shows and owners sign. */
export function safeTxHash(safe: string, chainId: bigint, tx: SafeTransaction): string {
  const { domain, types, message } = safeTransactionTypedData(safe, chainId, tx);
  return TypedDataEncoder.hash(domain, types, message as unknown as Record<string, unknown>);
}

/** Owners' 65-byte EIP-712 signatures concatenated in ascending owner order, as `checkNSignatures` requires. */
export function packSafeSignatures(signatures: readonly { owner: string; signature: string }[]): string {
  const sorted = [...signatures].sort((a, b) => (BigInt(getAddress(a.owner)) < BigInt(getAddress(b.owner)) ? -1 : 1));
  return `0x${sorted.map((s) => s.signature.slice(2)).join("")}`;
}

/** Calldata of `execTransaction(tx, signatures)` on the Safe (any account may send it). */
export function execTransactionData(tx: SafeTransaction, signatures: string): string {
  return SAFE.encodeFunctionData("execTransaction", [tx.to, tx.value, tx.data, tx.operation, tx.safeTxGas, tx.baseGas, tx.gasPrice, tx.gasToken, tx.refundReceiver, signatures]);
}

/**
 * Reads the Safe at `address`: version, threshold, owners and nonce, all at the latest block.
 * @throws SafeReadError when the account has no code or does not answer as a Safe
 */
export async function readSafe(provider: Provider, address: string): Promise<SafeAccount> {
  const account = getAddress(address);
  const [{ chainId }, blockNumber] = await Promise.all([provider.getNetwork(), provider.getBlockNumber()]);
  if ((await provider.getCode(account, blockNumber)) === "0x") throw new SafeReadError(account, "is an account without code, not a Safe: it signs admin calls itself");
  const read = async (fn: string) => SAFE.decodeFunctionResult(fn, await provider.call({ to: account, data: SAFE.encodeFunctionData(fn), blockTag: blockNumber }))[0];
  try {
    const [version, threshold, owners, nonce] = await Promise.all([read("VERSION"), read("getThreshold"), read("getOwners"), read("nonce")]);
    return { address: account, chainId, version: String(version), threshold: Number(threshold), owners: [...(owners as string[])].map((o) => getAddress(o)), nonce: BigInt(nonce), blockNumber };
  } catch (error) {
    if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) throw new SafeReadError(account, "is a contract that does not answer as a Safe (VERSION, getThreshold, getOwners, nonce)", { cause: error });
    throw error;
  }
}
