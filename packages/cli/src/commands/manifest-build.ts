/** `payrox manifest build`: build spec + Hardhat or Foundry artifacts (or bare ABIs with --rpc) → canonical manifest file. */
import { resolve } from "node:path";
import { buildManifest, ManifestInvalidError, parseManifest, serializeManifest, type Manifest } from "@payrox/core";
import { parseCommandArgs, required, rpcFlag } from "../args.js";
import { ArtifactKind } from "../artifacts.js";
import { asSpecIssues, loadBuildSpec, type LoadedBuildSpec } from "../build-spec.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { refuseOutputOverInput, writeFileAtomic } from "../files.js";
import { withRpc } from "../network.js";
import { formatSummary, summarizeManifest } from "../summary.js";
import { INIT_FLAG_OPTIONS, INIT_FLAGS_HELP, initFromFlags } from "./manifest-init-flags.js";

const NAME = "manifest build";
const USAGE =
  "payrox manifest build --spec <build.json> --out <manifest.json> [--rpc <url>] [--json]\n" +
  "                      [--init <Artifact> --init-address <addr> (--init-call <fn> [--init-args <json>] | --init-calldata <hex>)]";

/** The build spec's fields, as the help text and the README document them. */
export const BUILD_SPEC_HELP = `Build spec (JSON):
  {
    "name": "counter-v2",            manifest name: 1-100 of letters, digits, '.', '_', '-'
    "baseEpoch": 1,                  active epoch the manifest is built against (it commits at the
                                     dispatcher's nextEpoch(): baseEpoch + 1 unless a commit was cancelled)
    "previousRoot": "0x…",           active root at baseEpoch, 64 lowercase hex digits (zero hash at epoch 0)
    "artifacts": "../artifacts",     Hardhat artifacts or Foundry out/ directory, relative to the spec
                                     file; searched recursively for <Name>.json (*.dbg.json and build-info
                                     skipped). Each file is read as a Hardhat artifact (bytecode strings),
                                     a Foundry one (bytecode.object, deployedBytecode.object) or a bare ABI
                                     array (e.g. a diamond's merged ABI; needs --rpc: the code is read from
                                     the chain); the output says which kind each was
    "facets": [                      facets to route (may be empty if "remove" is not)
      { "artifact": "CounterFacetV2",          contract name
        "address": "0x…",                      deployed address (EIP-55 checksummed), or:
        "create2": { "salt": "0x…32 bytes",    predicted CREATE2 address from salt + creation bytecode
                     "deployer": "0x…",        optional; default the canonical factory 0x4e59…956C
                     "constructorArgs": "0x…"  optional ABI-encoded constructor arguments },
        "functions": ["increment", "version()"]  optional; by name or signature; default every function
        "exclude": ["supportsInterface(bytes4)"] optional, instead of "functions": every function but these }
    ],
    "remove": ["0x12345678", "greet()"]  optional; selectors or signatures to remove
    "init": {                        optional; the initializer activation delegatecalls right after the
                                     switch (if it reverts, nothing goes live); bound in the tree
      "artifact": "MigrateV2",       contract name; "address" or "create2" as for a facet
      "address": "0x…",
      "call": "migrate(uint256)",    function by signature or unique name, with
      "args": [1],                   its arguments (default []), or instead:
      "calldata": "0x…"              raw ABI-encoded calldata }
  }`;

/** `payrox manifest build`. */
export const manifestBuild: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Builds the canonical manifest (sorted entries, EIP-55 addresses, fixed key order: the same inputs give
the same bytes and root on every machine) and writes it atomically to --out, only on success.

  --spec <file>           build spec (below)
  --out <file>            manifest to write; an existing file is replaced only if the build succeeds
  --rpc <url>             also check each facet's and the initializer's code on this network
                          (eth_getCode): it must exist, be at most 24,576 bytes and hash like the
                          artifact's runtime bytecode
  --json                  machine-readable output
${INIT_FLAGS_HELP}

${BUILD_SPEC_HELP}

Rejected (exit 1, naming the field; nothing written): malformed spec, unknown or ambiguous artifact, an
invalid ABI fragment (named with its index), a bare ABI without --rpc, bad address or checksum, a facet
at the zero address, a facet or initializer without code, too large, or (with --rpc) with code other
than its artifact's, an initializer call that is not a function of its artifact or whose arguments don't
encode. Selector conflicts — one selector in two facets, a dispatcher-protected selector — are all
reported in one run (ManifestConflictError; with --json each is in error.issues with its spec path,
selector, both facets and signatures). --out may not be the spec itself (exit 2). Input files must be
regular files of at most 32 MiB of UTF-8 (a byte-order mark is accepted).`,
  async run(argv, { cwd }) {
    const options = { spec: { type: "string" }, out: { type: "string" }, rpc: { type: "string" }, json: { type: "boolean" }, ...INIT_FLAG_OPTIONS } as const;
    const { values } = parseCommandArgs(NAME, argv, options, NO_POSITIONALS);
    const specPath = resolve(cwd, required(values.spec, "spec", NAME));
    const outPath = resolve(cwd, required(values.out, "out", NAME));
    const rpcUrl = rpcFlag(values.rpc, NAME);
    const init = initFromFlags(values, NAME);
    await refuseOutputOverInput(outPath, { "--spec": specPath }, NAME);
    const loaded = await loadBuildSpec(specPath, { init, codeFromChain: rpcUrl !== undefined });
    const manifest = rpcUrl ? await withRpc(rpcUrl, (rpc) => buildFromSpec(loaded, specPath, rpc.readCode)) : await buildFromSpec(loaded, specPath);
    const bytes = serializeManifest(manifest);
    parseManifest(bytes); // never write a file `verify` would reject
    await writeFileAtomic(outPath, bytes);
    const summary = summarizeManifest(manifest);
    const read = loaded.read.map((r) => `  ${r.path}: ${r.name} — ${ArtifactKind[r.kind]} artifact ${r.file}${r.kind === "abi" ? " (code read from the chain)" : ""}`);
    return {
      human: `${formatSummary(summary)}\nartifacts read:\n${read.join("\n")}\nwrote ${outPath}`,
      json: { out: outPath, ...summary, artifacts: loaded.read.map((r) => ({ path: r.path, name: r.name, kind: r.kind, file: r.file })) },
    };
  },
};

/** Builds the spec's manifest; builder issues about facets[i]/remove[i] are reported as spec issues. */
export async function buildFromSpec(loaded: LoadedBuildSpec, specPath: string, readCode?: (address: string) => Promise<string>): Promise<Manifest> {
  try {
    return await buildManifest(loaded.input, { readCode });
  } catch (error) {
    if (error instanceof ManifestInvalidError) throw asSpecIssues(specPath, error.issues, error) ?? error;
    throw error;
  }
}
