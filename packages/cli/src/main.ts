/** Process entry of `payrox` (loaded by bin/payrox.js through tsx). */
import { format } from "node:util";
import { run } from "./run.js";

// stdout carries only the command's own output (a --json document must parse): whatever a library
// prints through console (ethers' "[Warning] Invalid Fragment …", "duplicate definition") goes to stderr.
for (const method of ["log", "info", "debug", "warn"] as const) console[method] = (...args: unknown[]) => void process.stderr.write(format(...args) + "\n");

// The SDK's Node 22 notice concerns future SDK releases; the pinned ones run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  debug: process.env.PAYROX_DEBUG === "1",
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
// Wait for stdout to drain (a pipe may lag), then exit even if a library left a handle open.
process.stdout.write("", () => process.exit(code));
