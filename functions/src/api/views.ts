/** How the API shows proposals and runs (shared by the read routes and the chain routes). */
import { describeRunState } from "@payrox/core/runs";

/** A proposal as the API shows it: everything but the manifest text. */
export function summary<P extends { manifestJson: string }>(proposal: P): Omit<P, "manifestJson"> {
  const { manifestJson: _omitted, ...rest } = proposal;
  return rest;
}

/** A run as the API shows it, with its state in words. */
export function runView<R extends Parameters<typeof describeRunState>[0]>(run: R): R & { status: string } {
  return { ...run, status: describeRunState(run) };
}
