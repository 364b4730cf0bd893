/** File access of the commands: reads that fail with a typed error, and atomic writes. */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, realpath, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { FileAccessError, InputFileRefusedError, UsageError } from "./errors.js";

/** The largest input file a command reads (spec, manifest, artifact, ABI): 32 MiB. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;

/**
 * The text of `path`, strictly: a regular file (a FIFO or device such as /dev/zero is refused before
 * anything is read), at most {@link MAX_INPUT_BYTES}, valid UTF-8; a leading UTF-8 byte-order mark is dropped.
 * @throws FileAccessError when it can't be read; InputFileRefusedError when it is refused.
 */
export async function readTextFile(path: string): Promise<string> {
  let handle: FileHandle;
  try {
    // Non-blocking: opening a FIFO without a writer would otherwise hang before fstat can refuse it.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new FileAccessError(path, "read", { cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new InputFileRefusedError(path, `is not a regular file (${fileKind(stat)}); give a file`);
    if (stat.size > MAX_INPUT_BYTES) throw new InputFileRefusedError(path, `is ${stat.size} bytes, over the ${MAX_INPUT_BYTES}-byte (32 MiB) input limit`);
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } catch (error) {
      throw new FileAccessError(path, "read", { cause: error });
    }
    if (bytes.length > MAX_INPUT_BYTES) throw new InputFileRefusedError(path, `grew over the ${MAX_INPUT_BYTES}-byte input limit while being read`);
    return decodeUtf8(path, bytes);
  } finally {
    await handle.close();
  }
}

/** `bytes` as UTF-8 text without its byte-order mark. @throws InputFileRefusedError naming the first invalid byte. */
function decodeUtf8(path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // The smallest prefix that fails (a streaming decode only fails on bytes that can never be valid).
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    throw new InputFileRefusedError(path, `is not valid UTF-8 (byte ${lo < bytes.length ? `0x${bytes[lo].toString(16).padStart(2, "0")} at offset ${lo}` : "sequence cut off at the end"}); save it as UTF-8`);
  }
}

function fileKind(stat: import("node:fs").Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a file";
}

/**
 * Refuses an output path that is one of the command's inputs (same file after resolving links), which
 * the write would silently replace.
 * @throws UsageError naming the flag of the input.
 */
export async function refuseOutputOverInput(outPath: string | undefined, inputs: Record<string, string | undefined>, command: string): Promise<void> {
  if (outPath === undefined) return;
  const real = async (p: string) => realpath(p).catch(() => resolve(p));
  const out = await real(outPath);
  for (const [flag, input] of Object.entries(inputs)) {
    if (input !== undefined && (await real(input)) === out) throw new UsageError(`--out ${outPath} is also the input ${flag}; write to another file (nothing was written)`, command);
  }
}

/**
 * Writes `text` to `path` atomically: a temporary file in the same directory, flushed, then renamed
 * over the target. A reader never sees a partial file, and on failure the target is left untouched.
 * @throws FileAccessError when it can't be written.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new FileAccessError(path, "write", { cause: error });
  }
}
