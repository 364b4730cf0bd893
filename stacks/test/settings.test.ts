import { describe, expect, it } from "vitest";
import { DEPLOY_ENV, readDeploySettings } from "../settings.js";

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
});
