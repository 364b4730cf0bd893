/** Process entry of `payrox` (loaded by bin/payrox.js through tsx). */
import { run } from "./run.js";

const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  debug: process.env.PAYROX_DEBUG === "1",
});
// Wait for stdout to drain (a pipe may lag), then exit even if a library left a handle open.
process.stdout.write("", () => process.exit(code));
