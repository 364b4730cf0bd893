import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { FunctionsStack } from "../FunctionsStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { resourcesOf } from "./template.js";

let synthesized: SynthesizedApp;
beforeAll(async () => {
  synthesized = await synthesize("bundle", {}, { bundle: true });
});

/** Every `.mjs` under dir. */
function bundles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? bundles(path) : path.endsWith(".mjs") ? [path] : [];
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
});
