/**
 * Builds the console to static files: `dist/index.html` and hashed, minified JS and CSS under
 * `dist/assets/` (no inline script, nothing fetched from a CDN). Run by the root `build`, so `npm test`
 * and `npm start` build it. Prints the JavaScript's gzip size (budget: 150 KB for the first view).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const CONSOLE = fileURLToPath(new URL("..", import.meta.url));
/** Where the built console goes. */
export const DIST = join(CONSOLE, "dist");

/** Builds the console; returns the gzip bytes of its JavaScript. */
export async function buildConsole(): Promise<{ jsGzipBytes: number; files: string[] }> {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, "assets"), { recursive: true });
  const result = await build({
    entryPoints: { main: join(CONSOLE, "src/main.ts"), style: join(CONSOLE, "src/style.css") },
    outdir: join(DIST, "assets"),
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => basename(f));
  const js = outputs.find((f) => f.startsWith("main-") && f.endsWith(".js"))!;
  const css = outputs.find((f) => f.startsWith("style-") && f.endsWith(".css"))!;
  const html = readFileSync(join(CONSOLE, "index.html"), "utf8").replace("./src/style.css", `./assets/${css}`).replace("./src/main.ts", `./assets/${js}`);
  writeFileSync(join(DIST, "index.html"), html);
  // Same origin, no login: the devnet. A deployment replaces this file (README: "config.json").
  writeFileSync(join(DIST, "config.json"), JSON.stringify({ apiUrl: "", auth: { kind: "none" } }, null, 2) + "\n");
  const jsGzipBytes = outputs.filter((f) => f.endsWith(".js")).reduce((n, f) => n + gzipSync(readFileSync(join(DIST, "assets", f))).length, 0);
  return { jsGzipBytes, files: ["index.html", "config.json", ...outputs.map((f) => `assets/${f}`)] };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { jsGzipBytes, files } = await buildConsole();
  console.log(`console: ${files.join(", ")} → packages/console/dist (JavaScript ${(jsGzipBytes / 1024).toFixed(1)} KiB gzip)`);
}
