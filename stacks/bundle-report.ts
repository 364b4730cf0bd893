/**
 * Builds a function's bundle the way it ships ({@link lambdaEsbuildOptions} with SST's esbuild) and says
 * what a cold start loads: the entry and every chunk it imports statically, transitively. Chunks behind
 * a dynamic `import()` load on first use; `lazy` lists them with what each adds.
 * Used by `npm run bench:steps` and the stack tests.
 */
import { join, relative } from "node:path";
import type { Metafile } from "esbuild";
import { lambdaEsbuildOptions, REPOSITORY_ROOT, sstEsbuild } from "./bundling.js";

/** The Lambda entry points (commit, apply and activate re-export the step handler; anchor writes audit heads to S3). */
export const FUNCTION_ENTRIES = ["api", "commit", "apply", "activate", "watchdog", "anchor"] as const;

/** One of {@link FUNCTION_ENTRIES}. */
export type FunctionEntry = (typeof FUNCTION_ENTRIES)[number];

/** A set of output files and what they hold. */
export interface ChunkSet {
  /** Output paths (absolute). */
  files: string[];
  bytes: number;
  /** Packages (`node_modules` names, or workspace paths such as `packages/chain`) with bytes in these files. */
  packages: Record<string, number>;
  /** The inputs with bytes in these files (paths relative to the repository root, or `namespace:path`). */
  inputs: string[];
}

/** A built function. */
export interface FunctionBundle {
  name: FunctionEntry;
  /** The entry file (absolute), what the Lambda handler points at. */
  entry: string;
  /** What a cold start loads. */
  startup: ChunkSet;
  /** Each chunk the start-up code imports dynamically, with everything it adds (its static imports not already loaded). */
  lazy: (ChunkSet & { chunk: string })[];
  /** Every output file (absolute; source maps excluded). */
  outputs: string[];
  /** Every input with bytes in any output (paths relative to the repository root, or `namespace:path`). */
  inputs: string[];
}

/** The package an input path belongs to (`@aws-sdk/client-ssm`, `ethers`, `packages/core`, `functions`). */
export function packageOfInput(input: string): string {
  const nm = input.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const [scope, name] = input.slice(nm + "node_modules/".length).split("/");
    return scope!.startsWith("@") ? `${scope}/${name}` : scope!;
  }
  if (input.includes(":")) return input.split(":")[0]!; // a plugin's namespace
  const parts = input.split("/");
  return parts[0] === "packages" ? `packages/${parts[1]}` : parts[0]!;
}

/** The output files reachable from `start` through static imports, `loaded` excluded. */
function staticClosure(metafile: Metafile, start: string, loaded: ReadonlySet<string> = new Set()): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || loaded.has(file)) return;
    seen.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
  };
  visit(start);
  return [...seen];
}

function chunkSet(metafile: Metafile, files: string[]): ChunkSet {
  const packages: Record<string, number> = {};
  const inputs = new Set<string>();
  for (const file of files) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[file]!.inputs)) {
      if (bytesInOutput === 0) continue;
      packages[packageOfInput(input)] = (packages[packageOfInput(input)] ?? 0) + bytesInOutput;
      inputs.add(input);
    }
  }
  return { files: files.map((f) => join(REPOSITORY_ROOT, f)), bytes: files.reduce((sum, f) => sum + metafile.outputs[f]!.bytes, 0), packages, inputs: [...inputs] };
}

/** Bundles `name` into `outdir` (written, as SST writes it) and reports its start-up and lazy chunks. */
export async function buildFunctionBundle(name: FunctionEntry, outdir: string): Promise<FunctionBundle> {
  const result = await sstEsbuild().build({ ...lambdaEsbuildOptions(), absWorkingDir: REPOSITORY_ROOT, entryPoints: [join("functions", "src", `${name}.ts`)], outdir });
  const metafile = result.metafile!;
  const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === `functions/src/${name}.ts`)![0];
  const startupFiles = staticClosure(metafile, entry);
  const loaded = new Set(startupFiles);
  const dynamic = [...new Set(startupFiles.flatMap((f) => metafile.outputs[f]!.imports.filter((i) => i.kind === "dynamic-import" && !i.external).map((i) => i.path)))];
  return {
    name,
    entry: join(REPOSITORY_ROOT, entry),
    startup: chunkSet(metafile, startupFiles),
    lazy: dynamic.map((chunk) => ({ chunk: relative(outdir, join(REPOSITORY_ROOT, chunk)), ...chunkSet(metafile, staticClosure(metafile, chunk, loaded)) })),
    outputs: Object.keys(metafile.outputs).filter((o) => !o.endsWith(".map")).map((o) => join(REPOSITORY_ROOT, o)),
    inputs: [...new Set(Object.values(metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path)))],
  };
}
