/**
 * Every error the `payrox` command throws itself (the core's and the chain adapters' typed errors pass
 * through unchanged). A caller can rely on `instanceof CliError` and walk `cause`.
 */
import type { ManifestIssue } from "@payrox/core";

/** Root of @payrox/cli's errors: sets `name`, keeps `cause`. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong (unknown command or flag, missing argument, bad flag value): exit 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command whose usage to show, e.g. "manifest build"; empty for the top level. */
    readonly command: string,
  ) {
    super(message);
  }
}

/** A file the command reads is missing or unreadable, or an output file can't be written: exit 1. */
export class FileAccessError extends CliError {
  constructor(
    readonly path: string,
    readonly problem: "read" | "write",
    options?: { cause?: unknown },
  ) {
    const code = (options?.cause as { code?: string } | undefined)?.code;
    super(
      problem === "read"
        ? `cannot read ${path}${code === "ENOENT" ? ": no such file" : code ? ` (${code})` : ""}; check the path`
        : `cannot write ${path}${code ? ` (${code})` : ""}; check that its directory is writable (nothing was written)`,
      options,
    );
  }
}

/** A build spec is malformed or names artifacts that can't be used; `issues` names each bad field. */
export class BuildSpecInvalidError extends CliError {
  constructor(
    readonly specPath: string,
    readonly issues: ManifestIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid build spec ${specPath}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`, options);
  }
}
