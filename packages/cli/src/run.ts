/**
 * The `payrox` command line: finds the command, runs it, prints its result or error, returns the exit
 * code. Side effects go through {@link RunIo}, so tests can run it in-process too.
 */
import type { Command } from "./command.js";
import { COMMANDS, type CommandEntry } from "./commands/registry.js";
import { wantsHelp } from "./help-flag.js";
import { UsageError } from "./errors.js";
import { ExitCode, reportError } from "./report-error.js";

export { COMMANDS };

/** Words that group commands (`payrox manifest --help` lists the group). */
const GROUPS = ["manifest", "devnet", "keys"];

/** Where `run` writes and resolves paths. */
export interface RunIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  /** Print stack traces of unexpected errors. @default false */
  debug?: boolean;
  /** Whether stdout is a terminal. @default false */
  isTTY?: boolean;
  /** @default {} */
  env?: Record<string, string | undefined>;
}

const VERSION = "0.1.0";

/** Runs `payrox <argv…>` and returns its exit code. */
export async function run(argv: readonly string[], io: RunIo): Promise<ExitCode> {
  const json = argv.slice(0, argv.indexOf("--") < 0 ? undefined : argv.indexOf("--")).includes("--json");
  const entry = findCommand(argv);
  let command: Command | undefined;
  try {
    if (!entry) return topLevel(argv, io);
    command = await entry.load();
    const rest = argv.slice(command.name.split(" ").length);
    if (wantsHelp(rest)) {
      io.stdout(command.help + "\n");
      return ExitCode.Ok;
    }
    const result = await command.run(rest, { cwd: io.cwd, stdout: io.stdout, isTTY: io.isTTY ?? false, env: io.env ?? {} });
    io.stdout((json ? JSON.stringify(result.json, jsonValue, 2) : result.human) + "\n");
    return ExitCode.Ok;
  } catch (error) {
    const report = reportError(error);
    if (json) io.stdout(JSON.stringify({ error: { name: report.name, message: report.message, ...(report.issues ? { issues: report.issues } : {}) } }, null, 2) + "\n");
    const usage = error instanceof UsageError ? `\nusage: ${await usageOf(error.command, command)}\nrun "payrox ${error.command ? error.command + " " : ""}--help" for details` : "";
    io.stderr(`payrox${entry ? " " + entry.name : ""}: ${report.message}${usage}\n`);
    if (report.stack && io.debug) io.stderr(report.stack + "\n");
    return report.exitCode;
  }
}

function findCommand(argv: readonly string[]): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name.split(" ").every((word, i) => argv[i] === word));
}

/** `payrox`, `payrox --help`, `payrox manifest`, or an unknown command. */
function topLevel(argv: readonly string[], io: RunIo): ExitCode {
  const first = argv[0];
  if (first === "--version" || first === "-V") {
    io.stdout(`payrox ${VERSION}\n`);
    return ExitCode.Ok;
  }
  const group = first !== undefined && GROUPS.includes(first) ? first : "";
  if (argv.length <= (group ? 2 : 1) && wantsHelp(argv)) {
    io.stdout(overview(group) + "\n");
    return ExitCode.Ok;
  }
  const words = argv.filter((a) => !a.startsWith("-")).slice(0, 2);
  if (argv.length === 0 || (group && argv.length === 1)) throw new UsageError(`missing command`, group);
  throw new UsageError(`unknown command "${words.join(" ") || argv[0]}"`, group);
}

function overview(group: string): string {
  const commands = COMMANDS.filter((c) => !group || c.name.startsWith(group + " "));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "payrox — time-locked, hash-first upgrades across EVM networks: the local devnet, the API, the manifest toolkit",
    "",
    `usage: payrox ${group ? group + " " : ""}<command> [flags]`,
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "payrox <command> --help" for its flags; add --json for machine-readable output.',
    "Exit codes: 0 ok, 1 invalid input or refused request (bad file, validation error, drift, on-chain mismatch, API error), 2 usage.",
  ].join("\n");
}

async function usageOf(name: string, loaded?: Command): Promise<string> {
  const found = loaded?.name === name ? loaded : await COMMANDS.find((c) => c.name === name)?.load();
  return found ? found.usage : `payrox ${name ? name + " " : ""}<command> [flags]`;
}

/** JSON.stringify replacer: bigints as decimal strings. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
