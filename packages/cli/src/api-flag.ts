/** The `--api` flag of the API commands: a URL, else `PAYROX_API_URL`, else the local devnet. */
import { ApiClient } from "./api-client.js";
import { UsageError } from "./errors.js";

/** The devnet API's default port (`payrox devnet up --api-port`). */
export const DEVNET_API_PORT = 8787;
/** The devnet API's default URL. */
export const DEVNET_API_URL = `http://127.0.0.1:${DEVNET_API_PORT}`;

/** Builds the client for `--api` (validated). */
export function apiClientFor(flag: string | undefined, env: Record<string, string | undefined> | undefined, command: string): ApiClient {
  const url = flag ?? env?.PAYROX_API_URL ?? DEVNET_API_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--api must be an http(s) URL, got "${url}"`, command);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--api must be an http(s) URL, got "${url}"`, command);
  return new ApiClient({ baseUrl: url });
}

/** Help text of `--api`, shared by the API commands. */
export const API_FLAG_HELP = `  --api <url>   the PayRox API (default: $PAYROX_API_URL, else the local devnet ${DEVNET_API_URL}); requests to
                a deployed stack are SigV4-signed with your AWS credentials (environment, profile, SSO)
  --json        machine-readable output`;
