/**
 * The ERC-1271 port with ethers: asks a smart account (a Safe, any contract wallet) whether it considers
 * a signature of a digest its own, with every read pinned to one block so the answer is about one state
 * of the account (its owners and threshold can change between blocks).
 */
import { ERC1271_MAGIC_VALUE, type Erc1271Answer, type Erc1271Reader } from "@payrox/core";
import { getAddress, Interface, isError, type Provider } from "ethers";
import { Erc1271ReadError } from "./errors.js";

const ERC1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4 magicValue)"]);
/** The only return data counted valid: the magic value ABI-encoded as bytes4 (left-aligned, zero-padded). */
const MAGIC_RETURN = `${ERC1271_MAGIC_VALUE}${"0".repeat(56)}`;

/** Options of {@link EthersErc1271Reader}. */
export interface EthersErc1271ReaderOptions {
  /** The provider of a network (undefined when the network is not configured). */
  provider: (network: string) => Provider | undefined;
}

/** {@link Erc1271Reader} over ethers providers. */
export class EthersErc1271Reader implements Erc1271Reader {
  readonly #provider: EthersErc1271ReaderOptions["provider"];

  constructor(options: EthersErc1271ReaderOptions) {
    this.#provider = options.provider;
  }

  /** Reads `isValidSignature(digest, signature)` of `account` at the network's latest block. */
  async isValidSignature(network: string, account: string, digest: string, signature: string): Promise<Erc1271Answer> {
    const provider = this.#provider(network);
    if (!provider) throw new Erc1271ReadError(network, account, { cause: new Error(`network ${network} has no provider configured`) });
    const to = getAddress(account);
    let blockNumber: number;
    let code: string;
    try {
      blockNumber = await provider.getBlockNumber();
      code = await provider.getCode(to, blockNumber);
    } catch (error) {
      throw new Erc1271ReadError(network, account, { cause: error });
    }
    if (code === "0x") return { result: "reverted", reason: `no code at ${to} on ${network}`, blockNumber };
    try {
      const out = await provider.call({ to, data: ERC1271.encodeFunctionData("isValidSignature", [digest, signature]), blockTag: blockNumber });
      return { result: out.toLowerCase() === MAGIC_RETURN ? "valid" : "invalid", blockNumber };
    } catch (error) {
      if (isError(error, "CALL_EXCEPTION")) return { result: "reverted", reason: error.shortMessage, blockNumber };
      throw new Erc1271ReadError(network, account, { cause: error });
    }
  }
}
