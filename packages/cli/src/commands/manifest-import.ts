/** `payrox manifest import`: an EIP-2535 diamond's (or a ManifestDispatcher's) live routing → the manifest of what is live. */
import { resolve } from "node:path";
import { importLiveRouting, ManifestSchema, parseManifest, serializeManifest, ZeroHash } from "@payrox/core";
import { addressFlag, parseCommandArgs, required, rpcFlag } from "../args.js";
import { ArtifactIndex, catalogArtifacts } from "../artifacts.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../files.js";
import { withRpc } from "../network.js";
import { formatSummary, summarizeManifest } from "../summary.js";

const NAME = "manifest import";
const USAGE = "payrox manifest import --rpc <url> --diamond <address> --artifacts <dir> [--artifacts <dir> …] --out <manifest.json> [--name <name>] [--json]";

/** `payrox manifest import`. */
export const manifestImport: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Reads a diamond's live routing through its EIP-2535 loupe (facets(), or facetAddresses() and
facetFunctionSelectors()) and each facet's runtime code hash, all at one block, and writes the manifest
of what is live: every route { selector, signature, facet, facetName, codehash }. The starting point of
a migration (build on it, or diff against it) and of every "manifest diff --desired".

  --rpc <url>             JSON-RPC endpoint of the network
  --diamond <address>     the diamond, or a ManifestDispatcher
  --artifacts <dir>       Hardhat artifacts, Foundry out/ or bare ABI files (repeatable): they name the
                          selectors (a loupe lists selectors, not signatures); a facet whose code hash
                          equals an artifact's runtime bytecode gets that contract's name, else the
                          name of the one contract whose ABI has all its selectors, else
                          "facet@<address>"
  --name <name>           manifest name (default "imported")
  --out <file>            manifest to write (atomically)
  --json                  machine-readable output

A ManifestDispatcher's manifest is built on its active epoch and root; another diamond's on epoch 0 and
the zero root (a new dispatcher's first manifest). Selectors the dispatcher serves itself (loupe,
ERC-165, ownership, its admin functions) are left out and listed; routes that manage the old diamond
(diamondCut, transferOwnership) are kept but listed, to exclude when migrating. Refused (exit 1, nothing written): a
live selector no ABI names (each is listed), a routed facet without code, an address without a loupe.`,
  async run(argv, { cwd }) {
    const options = { rpc: { type: "string" }, diamond: { type: "string" }, artifacts: { type: "string", multiple: true }, name: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } } as const;
    const { values } = parseCommandArgs(NAME, argv, options, NO_POSITIONALS);
    const rpcUrl = required(rpcFlag(values.rpc, NAME), "rpc", NAME);
    const diamond = required(addressFlag(values.diamond, "diamond", NAME), "diamond", NAME);
    const outPath = resolve(cwd, required(values.out, "out", NAME));
    const name = values.name ?? "imported";
    if (!ManifestSchema.shape.name.safeParse(name).success) throw new UsageError(`--name must be 1–100 of letters, digits, '.', '_' or '-', got "${name}"`, NAME);
    const dirs = required(values.artifacts, "artifacts", NAME).map((d) => resolve(cwd, d));
    // Local input first: a bad directory fails before any network access.
    const signatures = new Map<string, string>();
    const facetNames = new Map<string, string>();
    const contractsBySelector = new Map<string, string[]>();
    for (const dir of dirs) {
      const index = await ArtifactIndex.scan(dir);
      if (!index) throw new UsageError(`--artifacts ${dir} is not a readable directory`, NAME);
      const catalog = await catalogArtifacts(index);
      for (const [selector, signature] of catalog.signatures) if (!signatures.has(selector)) signatures.set(selector, signature);
      for (const [codehash, contract] of catalog.namesByCodehash) if (!facetNames.has(codehash)) facetNames.set(codehash, contract);
      for (const [selector, contracts] of catalog.contractsBySelector) contractsBySelector.set(selector, [...new Set([...(contractsBySelector.get(selector) ?? []), ...contracts])]);
    }
    const live = await withRpc(rpcUrl, (rpc, chain) => chain.readDiamondRouting(rpc.provider, diamond));
    const { manifest, protectedLeftOut, diamondManagement } = importLiveRouting({
      name,
      baseEpoch: live.active ? Number(live.active.epoch) : 0,
      previousRoot: live.active?.root ?? ZeroHash,
      facets: live.facets,
      signatures,
      facetNames,
      contractsBySelector,
    });
    const bytes = serializeManifest(manifest);
    parseManifest(bytes); // never write a file `verify` would reject
    await writeFileAtomic(outPath, bytes);
    const summary = summarizeManifest(manifest);
    const source = `${live.kind === "manifest-dispatcher" ? "ManifestDispatcher" : "EIP-2535 diamond"} ${diamond} at block ${live.blockTag}`;
    const leftOut = protectedLeftOut.map((p) => `  ${p.selector} ${p.protectedAs} (facet ${p.facet})`);
    const management = diamondManagement.length
      ? [`kept ${diamondManagement.length} route(s) that manage the diamond itself — a dispatcher's lifecycle and roles replace them; "exclude" them when migrating:`, ...diamondManagement.map((m) => `  ${m.selector} ${m.signature} (facet ${m.facet})`)]
      : [];
    return {
      human: [`imported the live routing of ${source}`, formatSummary(summary), `left out ${protectedLeftOut.length} selector(s) the dispatcher serves itself${leftOut.length ? ":" : ""}`, ...leftOut, ...management, `wrote ${outPath}`].join("\n"),
      json: { out: outPath, kind: live.kind, diamond, blockTag: live.blockTag, ...summary, protectedLeftOut, diamondManagement },
    };
  },
};
