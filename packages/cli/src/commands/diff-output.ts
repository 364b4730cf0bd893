/** The output of `manifest diff` and `manifest rollback`: a routing diff and the next manifest, as JSON and as text. */
import type { LiveRouting, Manifest, RoutingDiff } from "@payrox/core";
import { formatInit, headerOf } from "../summary.js";

/** The next manifest in the JSON output. */
export function nextJson(next: Manifest) {
  return { name: next.name, baseEpoch: next.baseEpoch, epoch: next.baseEpoch + 1, previousRoot: next.previousRoot, root: next.root, entryCount: next.entries.length, header: headerOf(next), init: next.init ?? null };
}

/** The live state in the JSON output. */
export function liveJson(live: LiveRouting) {
  return { epoch: Number(live.activeEpoch), root: live.activeRoot, routes: live.routes.size };
}

/** The diff in the JSON output; removals named from the next manifest. */
export function diffJson(diff: RoutingDiff, next: Manifest) {
  const signature = new Map(next.entries.map((e) => [e.selector, e.signature]));
  return {
    add: diff.add.map((e) => ({ selector: e.selector, signature: e.signature, facet: e.facet, facetName: e.facetName })),
    replace: diff.replace.map((r) => ({ selector: r.entry.selector, signature: r.entry.signature, facet: r.entry.facet, facetName: r.entry.facetName, from: r.from })),
    remove: diff.remove.map((e) => ({ selector: e.selector, signature: signature.get(e.selector) ?? "" })),
    unchanged: diff.unchanged,
  };
}

/** The human form of a diff and the manifest it gives; `base` says what it was compared with. */
export function formatDiff(diff: RoutingDiff, next: Manifest, base: string): string {
  const d = diffJson(diff, next);
  const lines = [
    base,
    `next manifest "${next.name}": epoch ${next.baseEpoch} → ${next.baseEpoch + 1}, root ${next.root}`,
    `  header leaf: leafCount ${headerOf(next).leafCount}, binding ${headerOf(next).binding}; initializer: ${next.init ? formatInit(next.init) : "none"}`,
    `  ${d.add.length} add, ${d.replace.length} replace, ${d.remove.length} remove, ${d.unchanged} unchanged`,
    ...d.add.map((a) => `  add      ${a.selector} ${a.signature} → ${a.facetName} ${a.facet}`),
    ...d.replace.map((r) => `  replace  ${r.selector} ${r.signature}: ${r.from} → ${r.facetName} ${r.facet}`),
    ...d.remove.map((r) => `  remove   ${r.selector} ${r.signature || "(signature unknown)"}`),
  ];
  return lines.join("\n");
}
