#!/usr/bin/env node
// Launcher of the `payrox` command: runs the compiled JavaScript in ../dist (built by `npm ci`,
// `npm run build`, `npm test` and `npm start`: packages/cli/scripts/build-bin.ts). Without it — a
// checkout whose install skipped scripts — it runs the TypeScript sources through tsx, ~150 ms slower.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/main.js", import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}
