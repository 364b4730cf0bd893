/** File access of the commands: reads that fail with a typed error, and atomic writes. */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { FileAccessError } from "./errors.js";

/** The text of `path`. @throws FileAccessError when it can't be read. */
export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new FileAccessError(path, "read", { cause: error });
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
