/** `payrox manifest rollback`: stored manifests (and optionally the live dispatcher) → the manifest back to an earlier route set. */
import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { checkFacetCode, ManifestSchema, parseManifest, rollbackManifest, serializeManifest, type LiveRouting, type Manifest } from "@payrox/core";
import { addressFlag, parseCommandArgs, required, rpcFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { readTextFile, refuseOutputOverInput, writeFileAtomic } from "../files.js";
import { withRpc } from "../network.js";
import { diffJson, formatDiff, liveJson, nextJson } from "./diff-output.js";

const NAME = "manifest rollback";
const USAGE =
  "payrox manifest rollback --to <manifest.json> (--applied <m1.json> [<m2.json> …] | --applied-dir <dir>)\n" +
  "                         [--rpc <url> --dispatcher <address>] [--name <name>] [--out <rollback.json>] [--json]";

const OPTIONS = {
  to: { type: "string" },
  applied: { type: "string", multiple: true },
  "applied-dir": { type: "string" },
  rpc: { type: "string" },
  dispatcher: { type: "string" },
  name: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
} as const;

/** `payrox manifest rollback`. */
export const manifestRollback: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Manifests are changes, so the route set after manifest k is what the applied manifests 1..k built. The
rollback manifest changes only selectors a later manifest touched: it routes each back to the facet and
code hash it had after --to (adding back removed selectors, pointing replaced ones back) and removes the
selectors added since. The dispatcher (v2) takes a new epoch per commit, so it commits like any manifest;
if it has the same routes as an earlier manifest it even has the same root. The target's initializer is
not run again (an initializer migrates storage; undoing that is a manifest of its own).

  --to <file>             the manifest whose route set to return to (one of the applied ones, by root;
                          the last one with that root)
  --applied <files…>      every manifest activated on the dispatcher so far, oldest first, none missing
                          (each built on the root of the one before); start at epoch 0 unless every
                          selector changed after --to was routed by a listed manifest up to --to
  --applied-dir <dir>     or: the payrox manifests (format payrox-manifest/…) of a directory, ordered by
                          baseEpoch; other JSON files are skipped, two manifests on one epoch are refused
  --rpc <url>             with --dispatcher: build on the live state — its active root must be the last
  --dispatcher <address>  applied manifest's; the rollback is built on its active epoch and root, compared
                          with its loupe, and the restored facets' code is checked on the network
  --name <name>           name of the rollback manifest (default: rollback-to-<the target's name>)
  --out <file>            write it (atomically; not written when there is nothing to change)
  --json                  machine-readable output

Without --rpc the current state is what the applied manifests built, and the rollback is built on the
last one's root at its baseEpoch + 1 (true unless a commitment was cancelled or expired since: check
with "payrox manifest verify --rpc … --dispatcher …" before committing). Exit 1, writing nothing, when
the manifests are out of order or missing one, --to is not among them, a selector's earlier route is
unknown, or the dispatcher is elsewhere.`,
  async run(argv, { cwd }) {
    const args = parseRollbackArgs(argv, cwd);
    // Local input first: a bad file fails before any network access.
    const applied = args.appliedDir ? await manifestsOfDir(args.appliedDir, cwd) : await Promise.all(args.appliedPaths.map((p) => readManifestFile(p, cwd)));
    await refuseOutputOverInput(args.outPath, { "--to": resolve(cwd, args.toPath), ...Object.fromEntries(applied.map((a, i) => [`--applied (${i + 1})`, resolve(cwd, a.path)])) }, NAME);
    const target = (await readManifestFile(args.toPath, cwd)).manifest;
    const params = { name: args.name ?? rollbackName(target.name), applied: applied.map((a) => a.manifest), to: target.root };
    let live: LiveRouting | undefined;
    const result = args.rpcUrl
      ? await withRpc(args.rpcUrl, async (rpc, chain) => {
          live = await chain.readLiveRouting(rpc.provider, args.dispatcher!);
          const built = rollbackManifest({ ...params, live });
          if (built.manifest) await checkFacetCode(built.manifest, rpc.readCode);
          return built;
        })
      : rollbackManifest(params);
    const targetFile = applied[result.target.index].path;
    const base = live
      ? `live: epoch ${live.activeEpoch}, root ${live.activeRoot}, ${live.routes.size} live routes`
      : `after ${applied.length} applied manifest${applied.length === 1 ? "" : "s"} (last: ${applied[applied.length - 1].path}; base epoch assumed ${applied[applied.length - 1].manifest.baseEpoch + 1}, no cancelled commitment since)`;
    const common = { target: { file: targetFile, index: result.target.index, root: result.target.root }, touched: result.touched.length, ...(live ? { live: liveJson(live) } : {}) };
    if (!result.manifest) {
      const human = `nothing to change: the selectors changed after ${targetFile} (${result.touched.length}) already have the routes it left`;
      return { human, json: { changed: false, ...common, add: [], replace: [], remove: [], next: null, out: null } };
    }
    const bytes = serializeManifest(result.manifest);
    parseManifest(bytes); // never write a file `verify` would reject
    if (args.outPath) await writeFileAtomic(args.outPath, bytes);
    const sameRoot = applied.find((a) => a.manifest.root === result.manifest!.root);
    return {
      human:
        `rollback to ${targetFile} (route set after applied[${result.target.index}], root ${result.target.root}); ${result.touched.length} selectors changed since\n` +
        formatDiff(result.diff, result.manifest, base) +
        (sameRoot ? `\n  same root as ${sameRoot.path}: the dispatcher commits it again as a new epoch` : "") +
        (args.outPath ? `\nwrote ${args.outPath}` : "\n(no --out: nothing written)"),
      json: { changed: true, ...common, ...diffJson(result.diff, result.manifest), next: nextJson(result.manifest), sameRootAs: sameRoot?.path ?? null, out: args.outPath ?? null },
    };
  },
};

function parseRollbackArgs(argv: string[], cwd: string) {
  const { values, positionals } = parseCommandArgs(NAME, argv, OPTIONS, { min: 0, max: Number.MAX_SAFE_INTEGER, names: "<applied manifests…>" });
  const listed = [...(values.applied ?? []), ...positionals];
  if (positionals.length && !values.applied) throw new UsageError(`unexpected argument "${positionals[0]}" (applied manifests follow --applied)`, NAME);
  if ((listed.length === 0) === (values["applied-dir"] === undefined)) throw new UsageError("give exactly one of --applied <files…> and --applied-dir <dir>", NAME);
  if (values.name !== undefined && !ManifestSchema.shape.name.safeParse(values.name).success) {
    throw new UsageError(`--name must be 1–100 of letters, digits, '.', '_' or '-', got "${values.name}"`, NAME);
  }
  const rpcUrl = rpcFlag(values.rpc, NAME);
  const dispatcher = addressFlag(values.dispatcher, "dispatcher", NAME);
  if ((rpcUrl === undefined) !== (dispatcher === undefined)) throw new UsageError("--rpc and --dispatcher go together", NAME);
  const path = (value: string) => resolve(cwd, value);
  return {
    toPath: path(required(values.to, "to", NAME)),
    appliedPaths: listed.map(path),
    appliedDir: values["applied-dir"] === undefined ? undefined : path(values["applied-dir"]),
    rpcUrl,
    dispatcher,
    name: values.name,
    outPath: values.out === undefined ? undefined : path(values.out),
  };
}

/** A verified manifest and the file it came from (as shown: relative to the working directory). */
interface ManifestFile {
  path: string;
  manifest: Manifest;
}

async function readManifestFile(path: string, cwd: string): Promise<ManifestFile> {
  return { path: relative(cwd, path) || path, manifest: parseManifest(await readTextFile(path)) };
}

/** The payrox manifests of `dir`, ordered by baseEpoch. @throws UsageError when none, or two share an epoch. */
async function manifestsOfDir(dir: string, cwd: string): Promise<ManifestFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch {
    throw new UsageError(`--applied-dir ${dir} is not a readable directory`, NAME);
  }
  const found: ManifestFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const text = await readTextFile(path);
    let format: unknown;
    try {
      format = (JSON.parse(text) as { format?: unknown }).format;
    } catch {
      continue; // not JSON: not a manifest
    }
    if (typeof format === "string" && format.startsWith("payrox-manifest/")) found.push({ path: relative(cwd, path) || path, manifest: parseManifest(text) });
  }
  if (found.length === 0) throw new UsageError(`--applied-dir ${dir} holds no payrox manifest`, NAME);
  found.sort((a, b) => a.manifest.baseEpoch - b.manifest.baseEpoch);
  for (let i = 1; i < found.length; i++) {
    if (found[i].manifest.baseEpoch === found[i - 1].manifest.baseEpoch) {
      throw new UsageError(
        `--applied-dir: ${found[i - 1].path} and ${found[i].path} are both built on epoch ${found[i].manifest.baseEpoch}; list the applied ones with --applied`,
        NAME,
      );
    }
  }
  return found;
}

/** Default name of a rollback manifest, within the 100-character name limit. */
function rollbackName(target: string): string {
  return `rollback-to-${target}`.slice(0, 100);
}
