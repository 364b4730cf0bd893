/**
 * Secrets the stack binds with SST `Config.Secret` (RPC URLs in the network configuration, the webhook
 * key, the Flashbots auth key reference). SST v2 binds a secret named `X` as the environment variable
 * `SST_Secret_value_X = "__FETCH_FROM_SSM__"` and grants `ssm:GetParameters` on its parameter; this
 * module fetches those values once per container, before the composition root reads the environment.
 * A secret named after an {@link ENV} variable fills that variable, so the rest of the code never
 * knows the value came from SSM.
 */
import { boundedClientConfig } from "@payrox/aws";
import { ENV } from "./env.js";
import { onceSucceeded } from "./memo.js";

/** The value SST puts in a bound secret's variable instead of the secret. */
export const SST_FETCH_PLACEHOLDER = "__FETCH_FROM_SSM__";
const SST_SECRET_PREFIX = "SST_Secret_value_";

/** Reads parameter values by name; absent names are missing from the map. */
export type ParameterReader = (names: string[]) => Promise<Map<string, string>>;

/** A bound secret whose value was never set for this stage. */
export class SecretNotSetError extends Error {
  constructor(readonly secrets: readonly string[], readonly stage: string | undefined) {
    super(`secret(s) ${secrets.join(", ")} not set for stage ${stage ?? "?"}: run \`npx sst secrets set <NAME> <value> --stage ${stage ?? "<stage>"}\`, then redeploy or wait for a cold start`);
    this.name = "SecretNotSetError";
  }
}

/** Where SST keeps a secret: the stage's parameter, then the app-wide fallback. */
export function secretParameterPaths(env: Record<string, string | undefined>, secret: string): { stage: string; fallback: string } {
  return { stage: `${env.SST_SSM_PREFIX}Secret/${secret}/value`, fallback: `/sst/${env.SST_APP}/.fallback/Secret/${secret}/value` };
}

/**
 * Replaces each bound secret named after an {@link ENV} variable by its value from SSM (the stage's
 * value, else the fallback). Other variables are left as they are.
 * @throws SecretNotSetError naming every bound secret that has neither value
 */
export async function loadBoundSecrets(env: Record<string, string | undefined>, read: ParameterReader): Promise<void> {
  const known = new Set<string>(Object.values(ENV));
  const bound = Object.keys(env)
    .filter((name) => name.startsWith(SST_SECRET_PREFIX) && env[name] === SST_FETCH_PLACEHOLDER)
    .map((name) => name.slice(SST_SECRET_PREFIX.length))
    .filter((secret) => known.has(secret));
  if (bound.length === 0) return;
  const paths = bound.map((secret) => secretParameterPaths(env, secret));
  const values = await read(paths.map((p) => p.stage));
  const needFallback = paths.filter((p) => !values.has(p.stage)).map((p) => p.fallback);
  const fallbacks = needFallback.length ? await read(needFallback) : new Map<string, string>();
  const missing: string[] = [];
  bound.forEach((secret, i) => {
    const value = values.get(paths[i]!.stage) ?? fallbacks.get(paths[i]!.fallback);
    if (value === undefined) missing.push(secret);
    else env[secret] = value;
  });
  if (missing.length) throw new SecretNotSetError(missing, env.SST_STAGE);
}

/**
 * Reads parameters with an SSM client built on the first read: the SSM SDK (~85 KB minified) is loaded
 * only by a container that has bound secrets to read, not by every function's start-up.
 */
const readContainerParameters: ParameterReader = (() => {
  // Read before the environment is validated, so with the default bounds (AWS_CLIENT_BOUNDS).
  const reader = onceSucceeded(async () => {
    const { createSsmClient, readSsmParameters } = await import("@payrox/aws/ssm");
    const client = createSsmClient(boundedClientConfig());
    return (names: string[]) => readSsmParameters(client, names);
  });
  return async (names) => (await reader())(names);
})();

/** Loads the bound secrets into `process.env` on the first invocation (retried on the next if it failed). */
const loadContainerSecrets = onceSucceeded(() => loadBoundSecrets(process.env, readContainerParameters));

/** Wraps a Lambda handler so the container's bound secrets are in `process.env` before it runs. */
export function withBoundSecrets<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    await loadContainerSecrets();
    return handler(...args);
  };
}
