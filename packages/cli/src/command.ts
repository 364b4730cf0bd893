/** The shape of a `payrox` command: its help, and a run that parses argv and returns what to print. */

/** What a command prints: `human` by default, `json` with `--json`. */
export interface CommandResult {
  human: string;
  json: unknown;
}

/** Where a command runs. */
export interface CommandContext {
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** Live output of long-running commands (progress); the result is printed after. @default discarded */
  stdout?: (text: string) => void;
  /** Whether stdout is a terminal (progress is redrawn in place) or a pipe (plain lines). @default false */
  isTTY?: boolean;
  /** Environment variables (defaults such as PAYROX_API_URL). @default {} */
  env?: Record<string, string | undefined>;
}

/** One command, e.g. `manifest build`. */
export interface Command {
  /** The words after `payrox`, e.g. "manifest build" (its summary is in commands/registry.ts). */
  name: string;
  /** The usage line(s). */
  usage: string;
  /** The full `--help` text. */
  help: string;
  /** Parses `argv` (the arguments after the command's name) and runs. Throws typed errors. */
  run(argv: string[], context: CommandContext): Promise<CommandResult>;
}

/** A command takes no positional arguments. */
export const NO_POSITIONALS = { min: 0, max: 0, names: "" } as const;

/** Formats a number with thousands separators, as `toLocaleString("en-US")` does. */
export function fmt(n: number | bigint): string {
  // Integers by hand: the first toLocaleString call loads ICU data (~15 ms of a manifest command).
  if (typeof n === "bigint" || Number.isSafeInteger(n)) return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
  return n.toLocaleString("en-US");
}

/** Left-aligned columns two spaces apart, the header first. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
