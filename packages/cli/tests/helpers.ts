/** Test helpers: run the real `payrox` binary, write specs and manifests into a temp directory. */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = join(REPO, "packages/cli/bin/payrox.js");
export const ARTIFACTS = join(REPO, "contracts/artifacts");
export const ZERO_HASH = "0x" + "00".repeat(32);

/** What one CLI run gave. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node packages/cli/bin/payrox.js …args` in `cwd`. */
export function payrox(args: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

/** Parses a run's stdout as JSON, with the run in the failure message. */
export function stdoutJson<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
  }
}

/** Writes `value` as JSON to `dir/name` and returns the path. */
export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return path;
}

/** Reads a JSON file. */
export async function readJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}

/** A build spec in `dir` for the compiled artifacts (referenced relative to the spec file). */
export function spec(dir: string, fields: { name?: string; baseEpoch?: number; previousRoot?: string; artifacts?: string; facets?: unknown[]; remove?: string[]; init?: unknown }) {
  return {
    name: fields.name ?? "test",
    baseEpoch: fields.baseEpoch ?? 0,
    previousRoot: fields.previousRoot ?? ZERO_HASH,
    artifacts: fields.artifacts ?? relative(dir, ARTIFACTS),
    facets: fields.facets ?? [],
    ...(fields.remove ? { remove: fields.remove } : {}),
    ...(fields.init ? { init: fields.init } : {}),
  };
}

/** Files left in `dir` by an interrupted atomic write (none expected). */
export function tempLeftovers(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".tmp")) : [];
}

/** A fresh temp directory, after compiling the contracts if their artifacts are missing. */
export async function prepare(): Promise<string> {
  if (!existsSync(join(ARTIFACTS, "src/examples/CounterFacetV1.sol/CounterFacetV1.json"))) {
    await promisify(execFile)("npm", ["run", "build"], { cwd: REPO });
  }
  return mkdtemp(join(tmpdir(), "payrox-cli-"));
}

/** Writes `fields` as `dir/<name>.spec.json` and runs `manifest build` into `dir/<name>.json`. */
export async function buildSpec(dir: string, name: string, fields: Parameters<typeof spec>[1], extra: string[] = []): Promise<CliRun> {
  const specPath = await writeJson(dir, `${name}.spec.json`, spec(dir, fields));
  return payrox(["manifest", "build", "--spec", specPath, "--out", join(dir, `${name}.json`), ...extra], dir);
}
