/**
 * How every PayRox Lambda is bundled: the one esbuild configuration that the stacks hand SST (lambda.ts)
 * and that `npm run bench:steps` and the stack tests build with, so what is measured is what ships.
 *
 * - ESM, minified, code splitting: an entry loads only what it imports statically; code behind a
 *   dynamic `import()` (the chain gateway, the API's proposal route, governance and the approval gates'
 *   signature recovery, the SSM, EventBridge, Scheduler/SQS and S3 clients) is a chunk loaded on first use.
 *   esbuild assigns a module to the chunks of every entry that reaches it through an import record — a
 *   barrel's unused re-exports included — so start-up code imports narrow subpaths (`@payrox/core/runs`,
 *   `@payrox/core/steps`, `@payrox/aws` without its SDK subpaths `/ssm`, `/events`, `/scheduler`,
 *   `/anchor`), and a lazily loaded SDK client is built by its subpath module (a dynamic `import()` of
 *   the SDK package itself would bring its whole namespace: every command).
 * - One ethers: `@flashbots/ethers-provider-bundle` is CommonJS and `require("ethers")` would pull in
 *   ethers' CommonJS build beside the ESM one everything else imports; it gets the ESM ethers instead
 *   (and OpenZeppelin's CommonJS Merkle tree gets the ESM builds of the utilities it requires).
 * - One copy per package version: npm can leave the same `name@version` nested in several workspaces
 *   (`@aws-sdk/client-ssm` under packages/aws and functions); every import of it resolves to one copy.
 * - No ENS: PayRox addresses are 0x hex everywhere (the network configuration rejects anything else), so
 *   ethers' ENS name normalisation (`@adraffy/ens-normalize`, 37 KB, reachable from every ethers
 *   module that hashes) is replaced by a function that throws, saying so.
 * - Source maps are external and never shipped: esbuild writes them without a `sourceMappingURL`, and
 *   they are moved out of the function's asset directory (`.sst/artifacts/…` → `.sst/sourcemaps/…`)
 *   before SST zips it. README "Deploy to AWS" says how to use them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Metafile } from "esbuild";
import type { FunctionProps } from "sst/constructs";

/** esbuild's options as the esbuild SST deploys with types them. */
export type LambdaEsbuildOptions = NonNullable<NonNullable<FunctionProps["nodejs"]>["esbuild"]>;
type Plugin = NonNullable<LambdaEsbuildOptions["plugins"]>[number];

/** The part of esbuild's API the bench and the tests use. */
export interface Esbuild {
  build(options: LambdaEsbuildOptions): Promise<{ metafile?: Metafile }>;
}

/** The Lambda runtime every function runs on. */
export const LAMBDA_RUNTIME = "nodejs22.x";

/** esbuild's target for that runtime. */
export const ESBUILD_TARGET = "node22";

/** ESM has no `require`: CommonJS code inside the bundle (the AWS SDK's, Flashbots') gets one from `module`. */
export const LAMBDA_BANNER = "import{createRequire}from'module';const require=createRequire(import.meta.url);";

/** The repository root (the stacks' and the bench's paths are relative to it). */
export const REPOSITORY_ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * CommonJS packages in the bundles and what they `require` (Flashbots: ethers): a `require` gets the
 * package's CommonJS build whole — for ethers a second copy beside the ESM one everything else imports.
 * (OpenZeppelin's CommonJS Merkle tree and its MetaMask / ethereum-cryptography requires needed the same
 * until core's own route tree replaced it at run time.)
 */
export const ESM_FOR_REQUIRE = ["ethers"] as const;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * `require(p)` of a package `p` in `packages` gets its ESM build instead: a module re-exporting from it
 * exactly the names the importer reads off its `require(p)` variable (all of them if it can't tell), so
 * the bundle holds one tree-shaken copy instead of a whole second CommonJS build.
 */
export function esmForRequirePlugin(packages: readonly string[] = ESM_FOR_REQUIRE): Plugin {
  const namespace = "payrox-esm-for-require";
  return {
    name: "payrox-esm-for-require",
    setup(build) {
      build.onResolve({ filter: new RegExp(`^(${packages.map(escapeRegExp).join("|")})$`) }, (args) =>
        args.kind === "require-call" ? { path: `${args.path}:${args.importer}`, namespace, pluginData: { pkg: args.path, importer: args.importer, resolveDir: args.resolveDir } } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace }, (args) => {
        const { pkg, importer, resolveDir } = args.pluginData as { pkg: string; importer: string; resolveDir: string };
        const source = readFileSync(importer, "utf8");
        const variable = new RegExp(`\\b(?:const|let|var)\\s+([\\w$]+)\\s*=\\s*require\\(\\s*["']${escapeRegExp(pkg)}["']\\s*\\)`).exec(source)?.[1];
        const names = variable ? [...new Set([...source.matchAll(new RegExp(`\\b${escapeRegExp(variable)}\\.([A-Za-z_$][\\w$]*)`, "g"))].map((m) => m[1]!))] : [];
        const contents = names.length > 0 ? `export { ${names.join(", ")} } from ${JSON.stringify(pkg)};` : `export * from ${JSON.stringify(pkg)};`;
        return { contents, loader: "js", resolveDir };
      });
    },
  };
}

/** The message of the error an ENS name meets in a PayRox Lambda. */
export const ENS_UNSUPPORTED = "ENS names are not supported in PayRox's Lambdas (bundled without ENS normalisation): configure 0x addresses";

/** Replaces `@adraffy/ens-normalize` (ethers' only use: ENS names) with a module whose functions throw {@link ENS_UNSUPPORTED}. */
export function noEnsPlugin(): Plugin {
  const namespace = "payrox-no-ens";
  return {
    name: "payrox-no-ens",
    setup(build) {
      build.onResolve({ filter: /^@adraffy\/ens-normalize$/ }, (args) => ({ path: args.path, namespace }));
      build.onLoad({ filter: /.*/, namespace }, () => ({
        contents: `const unsupported = () => { throw new Error(${JSON.stringify(ENS_UNSUPPORTED)}); };\nexport { unsupported as ens_normalize, unsupported as ens_beautify, unsupported as ens_tokenize, unsupported as ens_split, unsupported as ens_emoji, unsupported as ens_normalize_fragment, unsupported as is_combining_mark, unsupported as should_escape, unsupported as safe_str_from_cps };`,
        loader: "js",
      }));
    },
  };
}

/** `name@version` of the package directory holding `file` (the innermost `node_modules/<name>`), if any. */
function packageOf(file: string): { name: string; version: string; dir: string } | undefined {
  const parts = file.split(sep);
  const at = parts.lastIndexOf("node_modules");
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const nameParts = parts[at + 1]!.startsWith("@") ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2);
  const dir = parts.slice(0, at + 1 + nameParts.length).join(sep);
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest)) return undefined;
  const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
  return name && version ? { name, version, dir } : undefined;
}

/** Resolves every bare import of a `name@version` to the first copy of it resolved in this build. */
export function oneCopyPerVersionPlugin(): Plugin {
  return {
    name: "payrox-one-copy-per-version",
    setup(build) {
      const first = new Map<string, string>();
      // Go regular expressions have no lookahead: relative paths and `node:` builtins are skipped here.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith("node:") || (args.pluginData as { deduping?: boolean } | undefined)?.deduping) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { deduping: true } });
        if (resolved.errors.length > 0 || resolved.external || !resolved.path) return undefined;
        const pkg = packageOf(resolved.path);
        if (!pkg) return { path: resolved.path, sideEffects: resolved.sideEffects };
        const key = `${pkg.name}@${pkg.version}`;
        const dir = first.get(key) ?? (first.set(key, pkg.dir), pkg.dir);
        return { path: join(dir, relative(pkg.dir, resolved.path)), sideEffects: resolved.sideEffects };
      });
    },
  };
}

/** Where the source maps of a build writing to `outdir` are kept (never inside the shipped directory). */
export function sourcemapDirOf(outdir: string): string {
  const artifacts = `${sep}.sst${sep}artifacts${sep}`;
  return outdir.includes(artifacts) ? outdir.replace(artifacts, `${sep}.sst${sep}sourcemaps${sep}`) : `${outdir}.sourcemaps`;
}

/** Moves the build's `.map` outputs out of its output directory, to {@link sourcemapDirOf}. */
export function sourcemapsOutsidePlugin(): Plugin {
  return {
    name: "payrox-sourcemaps-outside",
    setup(build) {
      build.onEnd((result) => {
        const outdir = build.initialOptions.outdir;
        if (!outdir || build.initialOptions.write === false || !result.metafile) return;
        const target = sourcemapDirOf(outdir);
        for (const output of Object.keys(result.metafile.outputs).filter((o) => o.endsWith(".map"))) {
          const from = join(build.initialOptions.absWorkingDir ?? process.cwd(), output);
          if (!existsSync(from)) continue;
          const to = join(target, relative(outdir, from));
          mkdirSync(dirname(to), { recursive: true });
          renameSync(from, to);
          delete result.metafile.outputs[output];
        }
      });
    },
  };
}

/**
 * esbuild options of every function, over SST's own (SST adds the entry point, output directory and
 * metafile; these replace its banner, target and source-map choice).
 */
export function lambdaEsbuildOptions(): LambdaEsbuildOptions {
  return {
    bundle: true,
    platform: "node",
    format: "esm",
    target: ESBUILD_TARGET,
    mainFields: ["module", "main"],
    banner: { js: LAMBDA_BANNER },
    minify: true,
    // Error classes name themselves `new.target.name`: names survive minification.
    keepNames: true,
    splitting: true,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: "external",
    metafile: true,
    logLevel: "silent",
    plugins: [esmForRequirePlugin(), noEnsPlugin(), oneCopyPerVersionPlugin(), sourcemapsOutsidePlugin()],
  };
}

/** The `nodejs` props of every function: SST runs esbuild with {@link lambdaEsbuildOptions} over its defaults. */
export function lambdaNodejsProps() {
  return {
    format: "esm",
    minify: true,
    splitting: true,
    // `true` tells SST the map ships with the code (so it neither looks for nor uploads one); the
    // esbuild options make it external and the plugin keeps it out of the zip.
    sourcemap: true,
    esbuild: lambdaEsbuildOptions(),
  } as const;
}

/**
 * The esbuild SST deploys with (its own dependency, not the repository's newer one), for builds that
 * must match what ships.
 */
export function sstEsbuild(): Esbuild {
  const sstHandler = createRequire(join(REPOSITORY_ROOT, "package.json")).resolve("sst/runtime/handlers/node.js");
  return createRequire(sstHandler)("esbuild") as Esbuild;
}
