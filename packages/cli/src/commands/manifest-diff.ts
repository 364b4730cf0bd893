/** `payrox manifest diff`: desired routing vs a live dispatcher → the next epoch's manifest. */
import { resolve } from "node:path";
import { assertNotDrifted, diffRouting, ManifestSchema, nextManifest, parseManifest, PROTECTED_SELECTORS, serializeManifest, type LiveRouting, type Manifest } from "@payrox/core";
import { addressFlag, bytes32Flag, integerFlag, parseCommandArgs, required, rpcFlag } from "../args.js";
import { ArtifactKind } from "../artifacts.js";
import { loadBuildSpec, type LoadedBuildSpec } from "../build-spec.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { MassRemovalError, UsageError } from "../errors.js";
import { readTextFile, refuseOutputOverInput, writeFileAtomic } from "../files.js";
import { withRpc } from "../network.js";
import { buildFromSpec } from "./manifest-build.js";
import { diffJson, formatDiff, liveJson, nextJson } from "./diff-output.js";

const NAME = "manifest diff";
const USAGE =
  "payrox manifest diff (--desired <manifest.json> | --spec <build.json>) --rpc <url> --dispatcher <address>\n" +
  "                     [--name <name>] [--expect-epoch <N>] [--expect-root <root>] [--allow-mass-removal] [--out <next.json>] [--json]";

const OPTIONS = {
  desired: { type: "string" },
  spec: { type: "string" },
  rpc: { type: "string" },
  dispatcher: { type: "string" },
  name: { type: "string" },
  "expect-epoch": { type: "string" },
  "expect-root": { type: "string" },
  out: { type: "string" },
  "allow-mass-removal": { type: "boolean" },
  json: { type: "boolean" },
} as const;

/** `payrox manifest diff`. */
export const manifestDiff: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Reads the dispatcher's live routing (active epoch and root, and its loupe facets()) and compares it with
the desired routing — every selector that should be live — to give the add / replace / remove entries of
the next epoch's manifest, built against the live epoch and root. Protected selectors are never touched.

  --desired <file>        desired routing as a manifest file: its routes are the COMPLETE routing that
                          should be live (not just changes; a live selector it lacks is removed), its
                          removals are ignored
  --spec <file>           desired routing as a build spec (see "payrox manifest build --help"); its facets'
                          code is checked on --rpc, and removed selectors are named from its artifacts
  --rpc <url>             JSON-RPC endpoint of the network
  --dispatcher <address>  the ManifestDispatcher
  --name <name>           name of the next manifest (default: the desired manifest's or spec's name)
  --expect-epoch <N>      fail (exit 1, "drifted") unless the live active epoch is N
  --expect-root <root>    fail (exit 1, "drifted") unless the live active root is <root>
  --allow-mass-removal    accept a diff that removes more than half of the live selectors (refused
                          otherwise, exit 1, naming the count: usually a --desired that lists only changes)
  --out <file>            write the next manifest (atomically; not written when there is nothing to change;
                          may not be the --desired or --spec file: exit 2)
  --json                  machine-readable output

The desired file's own baseEpoch/previousRoot are not used: the next manifest is always built on the
live state; pin that state with --expect-epoch/--expect-root. The desired manifest's (or spec's)
initializer, if any, becomes the next manifest's. Nothing to change (an initializer alone is no change:
a manifest needs a route leaf): says so, exit 0. To return to an earlier manifest's routing, see
"payrox manifest rollback".`,
  async run(argv, { cwd }) {
    const args = parseDiffArgs(argv, cwd);
    await refuseOutputOverInput(args.outPath, { "--desired": args.desiredPath, "--spec": args.specPath }, NAME);
    // Local input first: a bad file fails before any network access.
    const source = args.specPath ? await loadBuildSpec(args.specPath, { codeFromChain: true }) : parseManifest(await readTextFile(args.desiredPath!));
    const { live, desired, next } = await withRpc(args.rpcUrl, async (rpc, chain) => {
      const live = await chain.readLiveRouting(rpc.provider, args.dispatcher);
      if (args.expectEpoch !== undefined || args.expectRoot !== undefined) {
        assertNotDrifted({ baseEpoch: args.expectEpoch ?? Number(live.activeEpoch), previousRoot: args.expectRoot ?? live.activeRoot }, live);
      }
      const desired = "input" in source ? await buildFromSpec(source, args.specPath!, rpc.readCode) : source;
      return { live, desired, next: await nextFor(args.name ?? desired.name, desired, live, "input" in source ? source : undefined) };
    });
    const diff = diffRouting(desired.entries, live);
    const liveSelectors = [...live.routes.keys()].filter((s) => !PROTECTED_SELECTORS.has(s)).length;
    if (diff.remove.length * 2 > liveSelectors && !args.allowMassRemoval) throw new MassRemovalError(diff.remove.length, liveSelectors);
    if (!next) {
      const human = `nothing to change: dispatcher ${args.dispatcher} at epoch ${live.activeEpoch} already serves the desired routing (${diff.unchanged} routes)`;
      return { human, json: { changed: false, live: liveJson(live), add: [], replace: [], remove: [], unchanged: diff.unchanged, next: null, out: null } };
    }
    const bytes = serializeManifest(next);
    parseManifest(bytes); // never write a file `verify` would reject
    if (args.outPath) await writeFileAtomic(args.outPath, bytes);
    const read = "input" in source ? source.read : [];
    const readLines = read.map((r) => `\n  ${r.path}: ${r.name} — ${ArtifactKind[r.kind]} artifact ${r.file}`).join("");
    return {
      human:
        formatDiff(diff, next, `live: epoch ${live.activeEpoch}, root ${live.activeRoot}, ${live.routes.size} live routes`) +
        (read.length ? `\nartifacts read:${readLines}` : "") +
        (args.outPath ? `\nwrote ${args.outPath}` : "\n(no --out: nothing written)"),
      json: { changed: true, live: liveJson(live), ...diffJson(diff, next), next: nextJson(next), ...(read.length && { artifacts: read }), out: args.outPath ?? null },
    };
  },
};

function parseDiffArgs(argv: string[], cwd: string) {
  const { values } = parseCommandArgs(NAME, argv, OPTIONS, NO_POSITIONALS);
  if ((values.desired === undefined) === (values.spec === undefined)) throw new UsageError("give exactly one of --desired and --spec", NAME);
  if (values.name !== undefined && !ManifestSchema.shape.name.safeParse(values.name).success) {
    throw new UsageError(`--name must be 1–100 of letters, digits, '.', '_' or '-', got "${values.name}"`, NAME);
  }
  const path = (value: string | undefined) => (value === undefined ? undefined : resolve(cwd, value));
  return {
    desiredPath: path(values.desired),
    specPath: path(values.spec),
    rpcUrl: required(rpcFlag(values.rpc, NAME), "rpc", NAME),
    dispatcher: required(addressFlag(values.dispatcher, "dispatcher", NAME), "dispatcher", NAME),
    name: values.name,
    expectEpoch: integerFlag(values["expect-epoch"], "expect-epoch", NAME),
    expectRoot: bytes32Flag(values["expect-root"], "expect-root", NAME),
    outPath: path(values.out),
    allowMassRemoval: values["allow-mass-removal"] === true,
  };
}

/** The next manifest; removed selectors get their signature from the spec's artifacts when known. */
async function nextFor(name: string, desired: Manifest, live: LiveRouting, spec?: LoadedBuildSpec): Promise<Manifest | undefined> {
  const removes = diffRouting(desired.entries, live).remove.length > 0;
  const signatures = removes && spec ? await spec.artifacts.signatures() : undefined;
  return nextManifest(name, desired.entries, live, signatures, desired.init);
}
