/**
 * The compiled bin (packages/cli/dist, built by the global setup): `payrox --help` must stay cheap — its
 * entry and the chunks it imports statically hold no command and no ethers or zod — and every command in
 * the registry loads as itself.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/commands/registry.js";
import { REPO } from "./helpers.js";

const DIST = join(REPO, "packages/cli/dist");

/** Files main.js loads before running anything: itself and its static imports, transitively. */
function startupFiles(): string[] {
  const seen = new Set<string>();
  const queue = ["main.js"];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(DIST, file), "utf8");
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
      const target = m[1] ?? m[2];
      if (target.startsWith("./")) queue.push(target.slice(2));
      else seen.add(target); // a package or builtin: recorded as is
    }
  }
  return [...seen];
}

describe("the compiled bin", () => {
  it("starts from a few small files with no command, no ethers and no zod", () => {
    // Act
    const files = startupFiles();
    const local = files.filter((f) => f.endsWith(".js") && !f.includes(":"));
    const bytes = local.reduce((sum, f) => sum + statSync(join(DIST, f)).size, 0);
    const text = local.map((f) => readFileSync(join(DIST, f), "utf8")).join("\n");

    // Assess
    expect(files.filter((f) => !local.includes(f)).every((f) => f.startsWith("node:"))).toBe(true);
    expect(bytes).toBeLessThan(40_000);
    expect(text).not.toMatch(/keccak|ZodError|function manifestBuild|devnetUp =/);
  });

  it("loads every registry entry as the command of that name", async () => {
    // Act
    const loaded = await Promise.all(COMMANDS.map((c) => c.load()));

    // Assess
    expect(loaded.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const c of loaded) expect(c.help).toContain(c.usage.split("\n")[0]);
  });
});
