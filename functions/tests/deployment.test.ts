import { findNetwork, type ResolvedNetwork } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { buildDeps, withDeploymentSigner } from "../src/composition.js";
import { DEPLOYMENT_SIGNER, ENV, EnvConfigError, readEnv } from "../src/env.js";
import { loadBoundSecrets, SecretNotSetError, SST_FETCH_PLACEHOLDER } from "../src/secrets.js";

const REQUIRED = {
  [ENV.TABLE_NAME]: "t",
  [ENV.SCHEDULER_GROUP]: "g",
  [ENV.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: "arn:aws:lambda:us-east-1:1:function:c", apply: "arn:aws:lambda:us-east-1:1:function:a", activate: "arn:aws:lambda:us-east-1:1:function:v" }),
  [ENV.SCHEDULER_ROLE_ARN]: "arn:aws:iam::1:role/scheduler",
  [ENV.DLQ_ARN]: "arn:aws:sqs:us-east-1:1:dlq",
  [ENV.EVENT_BUS_NAME]: "bus",
  [ENV.APPROVAL_POLICY]: '{"approvals":"none"}',
  [ENV.DEPLOYMENT_ID]: "payrox-test",
};

function network(id: string, kmsKeyId: string): ResolvedNetwork {
  return { ...findNetwork(id)!, rpcUrl: "http://127.0.0.1:8545", kmsKeyId };
}

describe("readEnv deployment variables", () => {
  it("reads the signer key, the alert webhooks and the Flashbots auth key when set", () => {
    // Prepare: dummy values (the auth key is a throwaway test constant, not a real identity)
    const webhooks = [{ id: "ops", url: "https://hooks.example.com/payrox", secret: "0123456789abcdef" }];
    const authKey = "0x" + "11".repeat(32);
    // Act
    const env = readEnv({ ...REQUIRED, [ENV.SIGNER_KEY_ID]: "arn:aws:kms:us-east-1:1:key/k", [ENV.ALERT_WEBHOOKS]: JSON.stringify(webhooks), [ENV.FLASHBOTS_AUTH_KEY]: authKey });

    // Assess
    expect(env).toMatchObject({ signerKeyId: "arn:aws:kms:us-east-1:1:key/k", alertWebhooks: webhooks, flashbotsAuthKey: authKey });
  });

  it("refuses a Flashbots auth key that is not a hex private key (a KMS alias is not one)", () => {
    expect(() => readEnv({ ...REQUIRED, [ENV.FLASHBOTS_AUTH_KEY]: "alias/fb" })).toThrow(/PAYROX_FLASHBOTS_AUTH_KEY must be a 0x-prefixed 32-byte hex private key/);
  });

  it("leaves them out when unset and refuses a signer key id with spaces", () => {
    // Act
    const env = readEnv(REQUIRED);
    const attempt = () => readEnv({ ...REQUIRED, [ENV.SIGNER_KEY_ID]: "a key" });

    // Assess
    expect(env).not.toHaveProperty("signerKeyId");
    expect(env.alertWebhooks).toEqual([]);
    expect(env).not.toHaveProperty("flashbotsAuthKey");
    expect(attempt).toThrow(EnvConfigError);
    expect(attempt).toThrow(ENV.SIGNER_KEY_ID);
  });
});

describe("withDeploymentSigner", () => {
  it("gives networks configured with the deployment key the function's key and leaves the others", () => {
    // Prepare
    const networks = [network("ethereum", DEPLOYMENT_SIGNER), network("base", "alias/own")];

    // Act
    const resolved = withDeploymentSigner(networks, "arn:aws:kms:us-east-1:1:key/k");

    // Assess
    expect(resolved.map((n) => n.kmsKeyId)).toEqual(["arn:aws:kms:us-east-1:1:key/k", "alias/own"]);
  });

  it("throws EnvConfigError naming the networks when the function has no key", () => {
    // Act
    const attempt = () => withDeploymentSigner([network("ethereum", DEPLOYMENT_SIGNER)], undefined);

    // Assess
    expect(attempt).toThrow(EnvConfigError);
    expect(attempt).toThrow(/PAYROX_SIGNER_KEY_ID.*ethereum/);
  });
});

describe("buildDeps with networks on the deployment key", () => {
  const config = JSON.stringify({ networks: { base: { rpcUrl: "http://127.0.0.1:8545", kmsKeyId: DEPLOYMENT_SIGNER } } });

  it("builds for a function without a signer key (the watchdog) and refuses only when the gateway is used", async () => {
    // Prepare
    const env = readEnv({ ...REQUIRED, [ENV.NETWORK_CONFIG]: config });

    // Act
    const deps = buildDeps(env, { gatewayFactory: () => { throw new Error("not reached"); } });

    // Assess
    expect(deps.networks("base")).toBeDefined();
    await expect(deps.gateway.latestBlock("base")).rejects.toThrow(EnvConfigError);
  });

  it("hands the gateway the function's key for those networks", async () => {
    // Prepare
    const env = readEnv({ ...REQUIRED, [ENV.NETWORK_CONFIG]: config, [ENV.SIGNER_KEY_ID]: "arn:aws:kms:us-east-1:1:key/k" });
    let keyIds: string[] = [];

    // Act
    const deps = buildDeps(env, {
      gatewayFactory: ({ networks }) => {
        keyIds = networks.map((n) => n.kmsKeyId);
        return { readState: async () => { throw new Error("unused"); }, latestBlock: async () => ({ number: 1n, timestamp: 1n }) as never, send: async () => { throw new Error("unused"); }, resume: async () => { throw new Error("unused"); } };
      },
    });
    await deps.gateway.latestBlock("base");

    // Assess
    expect(keyIds).toEqual(["arn:aws:kms:us-east-1:1:key/k"]);
  });
});

describe("loadBoundSecrets", () => {
  const SST = { SST_APP: "payrox", SST_STAGE: "prod", SST_SSM_PREFIX: "/sst/payrox/prod/" };

  it("fills each bound secret named after an ENV variable, from the stage's value or the fallback", async () => {
    // Prepare
    const env: Record<string, string | undefined> = {
      ...SST,
      [`SST_Secret_value_${ENV.NETWORK_CONFIG}`]: SST_FETCH_PLACEHOLDER,
      [`SST_Secret_value_${ENV.ALERT_WEBHOOKS}`]: SST_FETCH_PLACEHOLDER,
      SST_Secret_value_SOMETHING_ELSE: SST_FETCH_PLACEHOLDER,
    };
    const stored = new Map([
      [`/sst/payrox/prod/Secret/${ENV.NETWORK_CONFIG}/value`, '{"networks":{}}'],
      [`/sst/payrox/.fallback/Secret/${ENV.ALERT_WEBHOOKS}/value`, "[]"],
    ]);
    const asked: string[][] = [];

    // Act
    await loadBoundSecrets(env, async (names) => {
      asked.push(names);
      return new Map(names.flatMap((n) => (stored.has(n) ? [[n, stored.get(n)!] as const] : [])));
    });

    // Assess
    expect(env[ENV.NETWORK_CONFIG]).toBe('{"networks":{}}');
    expect(env[ENV.ALERT_WEBHOOKS]).toBe("[]");
    expect(env.SOMETHING_ELSE).toBeUndefined();
    expect(asked).toEqual([
      [`/sst/payrox/prod/Secret/${ENV.NETWORK_CONFIG}/value`, `/sst/payrox/prod/Secret/${ENV.ALERT_WEBHOOKS}/value`],
      [`/sst/payrox/.fallback/Secret/${ENV.ALERT_WEBHOOKS}/value`],
    ]);
  });

  it("throws SecretNotSetError with the command to set a secret that has no value", async () => {
    // Prepare
    const env = { ...SST, [`SST_Secret_value_${ENV.NETWORK_CONFIG}`]: SST_FETCH_PLACEHOLDER };

    // Act
    const attempt = loadBoundSecrets(env, async () => new Map());

    // Assess
    await expect(attempt).rejects.toThrow(SecretNotSetError);
    await expect(attempt).rejects.toThrow(/PAYROX_NETWORK_CONFIG.*sst secrets set/);
  });

  it("reads nothing when no secret is bound", async () => {
    // Prepare
    let calls = 0;

    // Act
    await loadBoundSecrets({ ...SST }, async () => {
      calls++;
      return new Map();
    });

    // Assess
    expect(calls).toBe(0);
  });
});

describe("API_ROUTE_KEYS", () => {
  it("names a route matchRoute serves, for every route key", async () => {
    // Prepare
    const { API_ROUTE_KEYS, matchRoute } = await import("../src/api/routes.js");

    // Act
    const matched = API_ROUTE_KEYS.map((key) => {
      const [method, path] = key.split(" ") as [string, string];
      return () => matchRoute(method, path.replace("{id}", "p-1"));
    });

    // Assess
    // Every route, no more: a route the stack does not declare is unreachable in AWS.
    expect([...API_ROUTE_KEYS].sort()).toEqual(
      [
        "POST /proposals", "GET /proposals", "GET /proposals/{id}", "GET /proposals/{id}/audit", "POST /proposals/{id}/cancel",
        "GET /proposals/{id}/review", "GET /policy", "POST /proposals/{id}/approvals", "GET /proposals/{id}/approvals", "GET /networks",
        "GET /alerts", "GET /networks/live",
      ].sort(),
    );
    for (const match of matched) expect(match).not.toThrow();
  });
});

describe("callerOf", () => {
  it("names the IAM principal, else the verified JWT's issuer and subject, else anonymous", async () => {
    // Prepare
    const { callerOf } = await import("../src/api/routes.js");
    const event = (authorizer: unknown) => ({ requestContext: { authorizer } }) as never;

    // Act
    const iam = callerOf(event({ iam: { userArn: "arn:aws:iam::123456789012:user/ci" } }));
    const jwt = callerOf(event({ jwt: { claims: { iss: "https://issuer.example", sub: "user-7" } } }));
    const none = callerOf(event(undefined));
    const noSubject = callerOf(event({ jwt: { claims: { iss: "https://issuer.example" } } }));

    // Assess
    expect([iam, jwt, none, noSubject]).toEqual(["arn:aws:iam::123456789012:user/ci", "oidc:https://issuer.example#user-7", "anonymous", "anonymous"]);
  });
});
