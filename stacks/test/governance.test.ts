/**
 * Governance in the stacks: every function gets the approval policy (validated for the stage at synth),
 * the deployment id and the protected flag; `prod` refuses `approvals: "none"`; the API declares the
 * governance routes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENV } from "@payrox/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnchorStack } from "../AnchorStack.js";
import { ApiStack } from "../ApiStack.js";
import { governanceEnvironment, MAX_POLICY_BYTES } from "../environment.js";
import { FunctionsStack } from "../FunctionsStack.js";
import { DEPLOY_ENV, readDeploySettings } from "../settings.js";
import { synthesize, TEST_APPROVAL_POLICY, type SynthesizedApp } from "./synth.js";
import { flat, resourcesOf } from "./template.js";

const FUNCTIONS = ["api", "commit", "apply", "activate", "watchdog", "anchor"] as const;

function variablesOf(synthesized: SynthesizedApp, stage: string): Record<string, Record<string, string>> {
  const lambdas = [ApiStack, FunctionsStack, AnchorStack].flatMap((stack) => Object.values(resourcesOf(synthesized.template(stack), "AWS::Lambda::Function")));
  return Object.fromEntries(FUNCTIONS.map((fn) => {
    const lambda = lambdas.find((l) => l.FunctionName === `payrox-${stage}-${fn}`)!;
    return [fn, Object.fromEntries(Object.entries(lambda.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, flat(v)]))];
  }));
}

let prod: SynthesizedApp;
let dir: string;
beforeAll(async () => {
  prod = await synthesize("prod");
  dir = mkdtempSync(join(tmpdir(), "payrox-policy-"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("stacks › governance", () => {
  it("gives every function the policy as compact JSON, the deployment id <app>-<stage>, and prod as protected", () => {
    // Act
    const variables = variablesOf(prod, "prod");

    // Assess
    for (const fn of FUNCTIONS) {
      expect(variables[fn]![ENV.APPROVAL_POLICY]).toBe(JSON.stringify(TEST_APPROVAL_POLICY));
      expect(variables[fn]![ENV.DEPLOYMENT_ID]).toBe("payrox-prod");
      expect(variables[fn]![ENV.PROTECTED_STAGE]).toBe("true");
    }
  });

  it("declares the governance routes on the HTTP API, IAM-authorized like the others", () => {
    // Act
    const routes = Object.values(resourcesOf(prod.template(ApiStack), "AWS::ApiGatewayV2::Route"));

    // Assess
    const governance = routes.filter((r) => ["GET /policy", "POST /proposals/{id}/approvals", "GET /proposals/{id}/approvals"].includes(r.RouteKey));
    expect(governance).toHaveLength(3);
    for (const route of governance) expect(route.AuthorizationType).toBe("AWS_IAM");
  });

  it("deploys a dev stage with approvals none, unprotected, from a policy file", async () => {
    // Prepare
    const file = join(dir, "policy.dev.json");
    writeFileSync(file, '{\n  "approvals": "none"\n}\n');

    // Act
    const dev = await synthesize("dev", { [DEPLOY_ENV.APPROVAL_POLICY_FILE]: file });
    const variables = variablesOf(dev, "dev");

    // Assess
    expect(variables.commit).toMatchObject({ [ENV.APPROVAL_POLICY]: '{"approvals":"none"}', [ENV.DEPLOYMENT_ID]: "payrox-dev", [ENV.PROTECTED_STAGE]: "false" });
  }, 120_000);

  it("refuses to deploy prod with approvals none", async () => {
    // Act
    const attempt = synthesize("prod", { [DEPLOY_ENV.APPROVAL_POLICY]: '{"approvals":"none"}' });

    // Assess
    await expect(attempt).rejects.toThrow(/PAYROX_APPROVAL_POLICY_FILE \(or PAYROX_APPROVAL_POLICY\) for stage prod: .*is "none" on a protected stage/);
  }, 120_000);
});

describe("governanceEnvironment", () => {
  it("refuses a missing, malformed or oversized policy, naming the deploy setting", () => {
    // Prepare
    const dev = { name: "payrox", stage: "dev" };
    const approvers = Array.from({ length: 40 }, (_, i) => ({ id: `approver-with-a-long-name-${i}`, address: `0x${(i + 1).toString(16).padStart(40, "0")}`, kind: "eoa" }));
    const large = JSON.stringify({ approvals: { ...TEST_APPROVAL_POLICY.approvals, approvers } });

    // Act / Assess
    expect(() => governanceEnvironment(dev, {})).toThrow(/for stage dev: .*no approval policy is configured/);
    expect(() => governanceEnvironment(dev, { approvalPolicy: '{"approvals":{"threshold":1}}' })).toThrow(/for stage dev: approval policy invalid at approvals\.approvers/);
    expect(() => governanceEnvironment(dev, { approvalPolicy: large })).toThrow(new RegExp(`at most ${MAX_POLICY_BYTES}`));
  });

  it("reads the policy from a file or from text, never both", () => {
    // Prepare
    const file = join(dir, "policy.json");
    writeFileSync(file, JSON.stringify(TEST_APPROVAL_POLICY));

    // Act / Assess
    expect(readDeploySettings({ [DEPLOY_ENV.APPROVAL_POLICY_FILE]: file }).approvalPolicy).toBe(JSON.stringify(TEST_APPROVAL_POLICY));
    expect(readDeploySettings({ [DEPLOY_ENV.APPROVAL_POLICY]: '{"approvals":"none"}' }).approvalPolicy).toBe('{"approvals":"none"}');
    expect(() => readDeploySettings({ [DEPLOY_ENV.APPROVAL_POLICY_FILE]: file, [DEPLOY_ENV.APPROVAL_POLICY]: "{}" })).toThrow(/not both/);
    expect(() => readDeploySettings({ [DEPLOY_ENV.APPROVAL_POLICY_FILE]: join(dir, "missing.json") })).toThrow(/can't be read/);
  });
});
