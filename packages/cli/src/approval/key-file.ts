/**
 * An approver's key file: one 0x-prefixed 32-byte private key, readable by its owner only (like an ssh
 * key). Its content never appears in an error, a log line or the output.
 */
import { stat } from "node:fs/promises";
import { Wallet } from "ethers/wallet";
import { ApproverKeyError, FileAccessError } from "../errors.js";
import { readTextFile } from "../files.js";

/**
 * Reads the key at `path` into a wallet (no provider: it only signs typed data).
 * @throws {FileAccessError} when the file can't be read
 * @throws {ApproverKeyError} when others may read or write it, or it holds no private key
 */
export async function readApproverKey(path: string): Promise<Wallet> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (error) {
    throw new FileAccessError(path, "read", { cause: error });
  }
  // POSIX permission bits only: Windows reports 0o666 for every writable file.
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new ApproverKeyError(path, `may be read or written by other users (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); run "chmod 600 ${path}" (and consider whether the key is still secret)`);
  }
  const text = (await readTextFile(path)).trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new ApproverKeyError(path, "does not hold one private key: 0x followed by 64 hex digits, nothing else (its content is not shown)");
  try {
    return new Wallet(text);
  } catch {
    // No cause: the underlying error could carry the key.
    throw new ApproverKeyError(path, "holds 32 bytes that are not a valid secp256k1 private key");
  }
}
