import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFunctionBundle } from "../bundle-report.js";
import { FunctionsStack } from "../FunctionsStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { resourcesOf } from "./template.js";

let synthesized: SynthesizedApp;
beforeAll(async () => {
  synthesized = await synthesize("bundle", {}, { bundle: true });
});

/** Every file under dir whose name ends with `suffix`. */
function bundles(dir: string, suffix = ".mjs"): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? bundles(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

describe("function bundles (SST's esbuild, as sst deploy builds them)", () => {
  it("replaces every placeholder with an S3 asset and an .mjs handler", () => {
    // Act
    const fns = Object.values(resourcesOf(synthesized.template(FunctionsStack), "AWS::Lambda::Function")).filter((p) => String(p.FunctionName ?? "").startsWith("payrox-"));

    // Assess
    expect(fns).toHaveLength(4);
    for (const fn of fns) {
      expect(fn.Code.ZipFile).toBeUndefined();
      expect(fn.Code.S3Key).toMatch(/\.zip$/);
      expect(fn.Handler).toMatch(/^functions\/src\/(commit|apply|activate|watchdog)\.handler$/);
    }
  });

  it("produces ESM bundles that import in plain Node and export a handler", async () => {
    // Prepare
    const files = bundles(join(process.cwd(), ".sst", "artifacts")).filter((f) => /functions\/src\/watchdog\.mjs$/.test(f));

    // Act
    const module = (await import(pathToFileURL(files[0]!).href)) as { handler?: unknown };

    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(typeof module.handler).toBe("function");
  });

  it("ships no source map and exactly the files the bench measures (one bundling configuration)", async () => {
    // Prepare
    const artifact = dirname(bundles(join(process.cwd(), ".sst", "artifacts")).find((f) => /functions\/src\/watchdog\.mjs$/.test(f))!);
    const dir = mkdtempSync(join(tmpdir(), "payrox-bundle-"));

    try {
      // Act
      const bench = await buildFunctionBundle("watchdog", dir);
      // Chunk hashes depend on the output path: compare names without them, and sizes.
      const listing = (root: string, files: string[]) => files.map((f) => `${relative(root, f).replace(/-[A-Z0-9]{8}\.mjs$/, ".mjs")} ${statSync(f).size}`).sort();
      const shipped = listing(artifact, bundles(artifact, ""));
      const measured = listing(dir, bench.outputs);

      // Assess
      expect(bundles(join(process.cwd(), ".sst", "artifacts"), ".map")).toEqual([]);
      expect(shipped).toEqual(measured);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
