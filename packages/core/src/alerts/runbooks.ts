/**
 * Where an alert's runbook is: one section per {@link AlertType} in packages/core/RUNBOOKS.md, each
 * under an explicit anchor named after the type, so `<base>#<type>` lands on it whether `<base>` is the
 * repository path (the default) or a deployment's own URL of that file (`PAYROX_RUNBOOK_BASE_URL`).
 */
import type { AlertType } from "./types.js";

/** The runbook file's path in the repository: the default base of {@link runbookUrl}. */
export const DEFAULT_RUNBOOK_BASE_URL = "packages/core/RUNBOOKS.md";

/**
 * The runbook section of `type`: `<baseUrl>#<type>` (a fragment already on `baseUrl` is replaced).
 * @example runbookUrl("codehash-mismatch", "https://github.com/acme/payrox/blob/main/packages/core/RUNBOOKS.md")
 */
export function runbookUrl(type: AlertType, baseUrl: string = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${baseUrl.replace(/#.*$/, "")}#${type}`;
}
