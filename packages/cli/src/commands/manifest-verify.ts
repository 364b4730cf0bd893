/** `payrox manifest verify`: a manifest file's schema, entries and root; optionally its facets' code and drift. */
import { resolve } from "node:path";
import { assertNotDrifted, checkFacetCode, parseManifest, type FacetCodeReport, type LiveRouting } from "@payrox/core";
import { addressFlag, parseCommandArgs, rpcFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { readTextFile } from "../files.js";
import { withRpc } from "../network.js";
import { formatSummary, summarizeManifest } from "../summary.js";

const NAME = "manifest verify";
const USAGE = "payrox manifest verify <manifest.json> [--rpc <url> [--dispatcher <address>]] [--json]";

/** `payrox manifest verify`. */
export const manifestVerify: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Checks the file against format v2 (a v1 file is refused: rebuild it): schema (field lengths, lowercase
hex, EIP-55 addresses), canonical order, selector = keccak(signature), one facet per selector and one
code hash per facet (the initializer's included), no dispatcher-protected selector, a facet count
activation can re-verify in one transaction, and the Merkle root of the entries and the initializer
(header leaf included). Prints a summary: name, baseEpoch → epoch, root, the header leaf (leafCount,
binding), the initializer, routes per facet, removals.

  --rpc <url>             also check every routed facet's code and the initializer's on this network:
                          present, at most 24,576 bytes, and hashing to the codehash the manifest pins
  --dispatcher <address>  (with --rpc) also check drift: the dispatcher's active epoch and root must be
                          the manifest's baseEpoch and previousRoot; routes are then classified as
                          added / replaced / unchanged against the live loupe
  --json                  machine-readable output

Exit 1 when any check fails (the message names the field, facet or drift).`,
  async run(argv, { cwd }) {
    const { values, positionals } = parseCommandArgs(NAME, argv, { rpc: { type: "string" }, dispatcher: { type: "string" }, json: { type: "boolean" } }, { min: 1, max: 1, names: "<manifest.json>" });
    const file = resolve(cwd, positionals[0]);
    const rpcUrl = rpcFlag(values.rpc, NAME);
    const dispatcher = addressFlag(values.dispatcher, "dispatcher", NAME);
    if (dispatcher && !rpcUrl) throw new UsageError("--dispatcher needs --rpc", NAME);
    const manifest = parseManifest(await readTextFile(file));
    let facetCode: FacetCodeReport[] | undefined;
    let live: LiveRouting | undefined;
    if (rpcUrl) {
      await withRpc(rpcUrl, async (rpc, chain) => {
        facetCode = await checkFacetCode(manifest, rpc.readCode);
        if (!dispatcher) return;
        live = await chain.readLiveRouting(rpc.provider, dispatcher);
        assertNotDrifted(manifest, live);
      });
    }
    const summary = summarizeManifest(manifest, live);
    const checks = { schema: "ok", root: "ok", facetCode: facetCode ? "ok" : "skipped", drift: live ? "ok" : "skipped" };
    const human = [
      `OK: ${positionals[0]} is a valid manifest`,
      formatSummary(summary),
      facetCode ? `facet code: ${facetCode.length} facet(s) match on ${rpcUrl}` : "facet code: not checked (no --rpc)",
      live ? `drift: none (dispatcher ${dispatcher} is at epoch ${live.activeEpoch}, root ${live.activeRoot})` : "drift: not checked (no --dispatcher)",
    ].join("\n");
    return { human, json: { valid: true, file, ...summary, checks, ...(facetCode ? { facetCode } : {}) } };
  },
};
