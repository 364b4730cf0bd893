import { describe, expect, it } from "vitest";
import { CONSOLE_DIST_DEFAULT, DEPLOY_ENV, readDeploySettings } from "../settings.js";

describe("readDeploySettings", () => {
  it("defaults to IAM authorization and no alert destinations", () => {
    expect(readDeploySettings({})).toEqual({ apiAuthorization: { kind: "iam" } });
  });

  it("reads a JWT issuer with its comma-separated audiences", () => {
    // Act
    const settings = readDeploySettings({ [DEPLOY_ENV.API_JWT_ISSUER]: "https://id.example.com", [DEPLOY_ENV.API_JWT_AUDIENCE]: "a, b" });

    // Assess
    expect(settings.apiAuthorization).toEqual({ kind: "jwt", issuer: "https://id.example.com", audience: ["a", "b"] });
  });

  it("refuses a JWT issuer without an audience", () => {
    expect(() => readDeploySettings({ [DEPLOY_ENV.API_JWT_ISSUER]: "https://id.example.com" })).toThrow(/set both/);
  });

  it("refuses a webhook URL that is not https", () => {
    expect(() => readDeploySettings({ [DEPLOY_ENV.ALERT_WEBHOOK_URL]: "http://hooks.example.com" })).toThrow(DEPLOY_ENV.ALERT_WEBHOOK_URL);
  });

  it("deploys no console without its OIDC issuer and client", () => {
    expect(readDeploySettings({}).console).toBeUndefined();
  });

  it("reads the console's issuer and client, defaulting the audience to the client id and allowing the issuer's origin", () => {
    // Act
    const settings = readDeploySettings({ [DEPLOY_ENV.CONSOLE_OIDC_ISSUER]: "https://id.example.com/realms/payrox", [DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID]: "payrox-console", [DEPLOY_ENV.CONSOLE_OIDC_ORIGINS]: "https://login.example.com/, https://id.example.com" });

    // Assess
    expect(settings.console).toEqual({
      issuer: "https://id.example.com/realms/payrox",
      clientId: "payrox-console",
      audience: ["payrox-console"],
      signInOrigins: ["https://id.example.com", "https://login.example.com"],
      distDir: CONSOLE_DIST_DEFAULT,
    });
  });

  it("refuses a console issuer without a client id, and a console setting without either", () => {
    expect(() => readDeploySettings({ [DEPLOY_ENV.CONSOLE_OIDC_ISSUER]: "https://id.example.com" })).toThrow(/set both PAYROX_CONSOLE_OIDC_ISSUER and PAYROX_CONSOLE_OIDC_CLIENT_ID/);
    expect(() => readDeploySettings({ [DEPLOY_ENV.CONSOLE_OIDC_AUDIENCE]: "api" })).toThrow(/PAYROX_CONSOLE_OIDC_AUDIENCE set without/);
  });

  it("refuses a console issuer that is not https and a sign-in origin with a path", () => {
    const pair = { [DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID]: "payrox-console" };
    expect(() => readDeploySettings({ ...pair, [DEPLOY_ENV.CONSOLE_OIDC_ISSUER]: "http://id.example.com" })).toThrow(DEPLOY_ENV.CONSOLE_OIDC_ISSUER);
    expect(() => readDeploySettings({ ...pair, [DEPLOY_ENV.CONSOLE_OIDC_ISSUER]: "https://id.example.com", [DEPLOY_ENV.CONSOLE_OIDC_ORIGINS]: "https://login.example.com/oauth2" })).toThrow(/must be an origin/);
  });
});
