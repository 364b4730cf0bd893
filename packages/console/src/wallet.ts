/** The browser's injected wallet (EIP-1193, `window.ethereum`): accounts and `eth_signTypedData_v4`. */
import { forWallet, type TypedData } from "./eip712.js";

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** No wallet in the page. */
export class NoWalletError extends Error {
  constructor() {
    super("no browser wallet found (window.ethereum): install or unlock an EIP-1193 wallet, or sign with `payrox approve --print`");
    this.name = "NoWalletError";
  }
}

function provider(): Eip1193Provider {
  const injected = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
  if (!injected) throw new NoWalletError();
  return injected;
}

/** The wallet's first account (asks the user to connect). */
export async function connectedAccount(): Promise<string> {
  const accounts = (await provider().request({ method: "eth_requestAccounts" })) as string[];
  if (!accounts[0]) throw new Error("the wallet returned no account; unlock it and try again");
  return accounts[0];
}

/** Asks the wallet to sign `data` (the typed data itself, never a hash) as `account`. */
export async function signTypedData(account: string, data: TypedData): Promise<string> {
  return (await provider().request({ method: "eth_signTypedData_v4", params: [account, JSON.stringify(forWallet(data))] })) as string;
}
