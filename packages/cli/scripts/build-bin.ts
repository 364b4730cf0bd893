/**
 * Compiles the `payrox` command to JavaScript (`packages/cli/dist/`), so its bin starts without a
 * TypeScript loader (registering tsx alone cost ~150 ms of every run). Run by the root `build` and
 * `prepare` scripts, so `npm ci`, `npm test` and `npm start` build it.
 *
 * One esbuild ESM bundle with code splitting: the workspace's own TypeScript (`@payrox/*`, contracts/lib)
 * is bundled; every npm package stays external and is loaded from node_modules as before. Each command
 * is a dynamic import, so a command loads only its own chunk. A module that locates files next to itself
 * (`import.meta.url`) gets its source file's URL, so it finds what it found when run from source.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const CLI = fileURLToPath(new URL("..", import.meta.url));
const REPO = resolve(CLI, "../..");
/** Where the bundle goes; every chunk sits directly in it (relative paths below assume one directory). */
export const DIST = join(CLI, "dist");

/** The directory Node would load package `name` from, for a module in `fromDir`. */
function packageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Packages compiled into the bundle (with what they import) rather than loaded from node_modules:
 * ethers and zod are ~250 small ESM files that Node resolves and compiles one by one (~100 ms of every
 * manifest command); bundled, a command gets the parts it uses in a few files.
 */
const BUNDLED = new Set(["ethers", "zod"]);

const packageName = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/**
 * npm packages stay external. A workspace may have its own nested copy of a package (a different
 * version than the root's), which a bare import from dist/ would not find: such an import points at
 * the file Node's resolution gives from the source (relative to dist/, so the tree stays relocatable).
 */
const externalPackages: Plugin = {
  name: "external-packages",
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@payrox/")) return undefined;
      if (BUNDLED.has(packageName(args.path)) || args.importer.includes("/node_modules/")) return undefined;
      if (args.path.startsWith("node:") || builtins.has(args.path.split("/")[0])) return { path: args.path, external: true };
      const name = packageName(args.path);
      const fromSource = packageDir(name, args.resolveDir);
      const fromDist = packageDir(name, DIST);
      if (fromSource === fromDist) return { path: args.path, external: true };
      if (!fromSource) return { errors: [{ text: `${args.importer} imports ${name}, which is not installed` }] };
      const file = createRequire(join(args.resolveDir, "noop.js")).resolve(args.path);
      return { path: "./" + relative(DIST, file).split("\\").join("/"), external: true };
    });
  },
};

/** `import.meta.url` in a bundled module becomes its source file's URL (relative to the bundle). */
const sourceUrls: Plugin = {
  name: "source-urls",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const fromDist = relative(DIST, args.path).split("\\").join("/");
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`), loader: "ts" };
    });
  },
};

/**
 * The domain package is definitions only (no module runs anything on import), so esbuild may drop the
 * modules a command does not use: `manifest verify` then loads the manifest code, not the alert rules,
 * use cases and network registry that share `@payrox/core`'s index. Scoped to this build — the Lambda
 * bundles are configured elsewhere.
 */
const CORE_SRC = join(REPO, "packages/core/src");
const pureCore: Plugin = {
  name: "pure-core",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.pureCore) return undefined;
      const inCore = args.path.startsWith("@payrox/core") || (args.path.startsWith(".") && args.resolveDir.startsWith(CORE_SRC));
      if (!inCore) return undefined;
      const result = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { pureCore: true } });
      if (result.errors.length) return { errors: result.errors };
      return { path: result.path, external: result.external, namespace: result.namespace, sideEffects: false };
    });
  },
};

/** Builds dist/ from src/main.ts (into a fresh directory that then replaces dist/). */
export async function buildBin(): Promise<void> {
  const staging = `${DIST}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  await build({
    absWorkingDir: REPO,
    entryPoints: { main: join(CLI, "src/main.ts") },
    outdir: staging,
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [pureCore, externalPackages, sourceUrls],
    // Plain `require` in a bundled module (CommonJS interop) needs a real one in ESM.
    banner: { js: "import { createRequire as __payroxCreateRequire } from 'node:module'; const require = __payroxCreateRequire(import.meta.url);" },
  });
  rmSync(DIST, { recursive: true, force: true });
  renameSync(staging, DIST);
}

// Quiet on success, like the contracts' `hardhat compile --quiet` beside it in `npm run build`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildBin();
