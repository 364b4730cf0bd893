/** The help flag, apart from the other flag parsers so `payrox --help` loads no address code. */

/** Whether the command line asks for help (before any `--` terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}
