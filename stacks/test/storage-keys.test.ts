import { tableDefinition, TableKeys } from "@payrox/aws";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { KeysStack, SECRET_NAMES, SIGNING_ACTIONS } from "../KeysStack.js";
import { StorageStack } from "../StorageStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { flat, list, resourcesOf, type Statement } from "./template.js";

let synthesized: SynthesizedApp;
beforeAll(async () => {
  synthesized = await synthesize("prod");
});

describe("StorageStack on stage prod", () => {
  let template: Template;
  let table: Record<string, any>;
  beforeAll(() => {
    template = synthesized.template(StorageStack);
    table = Object.values(resourcesOf(template, "AWS::DynamoDB::Table"))[0]!;
  });

  it("declares exactly the schema of tableDefinition (keys, attributes, GSI1) on demand", () => {
    // Prepare
    const definition = tableDefinition("payrox-prod-table");

    // Assess
    expect(Object.keys(resourcesOf(template, "AWS::DynamoDB::Table"))).toHaveLength(1);
    expect(table.TableName).toBe(definition.TableName);
    expect(table.BillingMode).toBe("PAY_PER_REQUEST");
    expect(table.KeySchema).toEqual(definition.KeySchema);
    expect(new Set(table.AttributeDefinitions)).toEqual(new Set(definition.AttributeDefinitions));
    expect(table.GlobalSecondaryIndexes).toEqual(definition.GlobalSecondaryIndexes);
  });

  it("expires items by the ttl attribute and keeps point-in-time recovery", () => {
    // Assess
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TableKeys.TTL, Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it("retains the table and protects it from deletion on prod", () => {
    // Assess
    expect(table.DeletionProtectionEnabled).toBe(true);
    const [resource] = Object.values(template.findResources("AWS::DynamoDB::Table")) as { DeletionPolicy: string; UpdateReplacePolicy: string }[];
    expect(resource!.DeletionPolicy).toBe("Retain");
    expect(resource!.UpdateReplacePolicy).toBe("Retain");
  });

  it("passes the cdk-nag AwsSolutions checks", () => {
    expect(synthesized.nagFindings(StorageStack)).toEqual([]);
  });
});

describe("KeysStack on stage prod", () => {
  let template: Template;
  let keys: Record<string, Record<string, any>>;
  beforeAll(() => {
    template = synthesized.template(KeysStack);
    keys = resourcesOf(template, "AWS::KMS::Key");
  });

  const keyNamed = (fragment: string) => Object.entries(keys).find(([id]) => id.startsWith(fragment))!;
  const signStatement = (key: Record<string, any>) => (key.KeyPolicy.Statement as Statement[]).filter((s) => list(s.Action).includes("kms:Sign"));

  it("creates one secp256k1 signing key per signer role, each with its alias", () => {
    // Assess
    expect(Object.keys(keys)).toHaveLength(2);
    for (const key of Object.values(keys)) {
      expect(key.KeySpec).toBe("ECC_SECG_P256K1");
      expect(key.KeyUsage).toBe("SIGN_VERIFY");
    }
    const aliases = Object.values(resourcesOf(template, "AWS::KMS::Alias")).map((a) => a.AliasName).sort();
    expect(aliases).toEqual(["alias/payrox-prod-emergency-signer", "alias/payrox-prod-scheduler-signer"]);
  });

  it("lets only the commit, apply and activate roles sign with the scheduler key", () => {
    // Prepare
    const [, key] = keyNamed("SchedulerSigner");

    // Act
    const statements = signStatement(key);

    // Assess
    expect(statements).toHaveLength(1);
    expect(list(statements[0]!.Action).sort()).toEqual([...SIGNING_ACTIONS].sort());
    const principals = list(statements[0]!.Condition?.ArnEquals?.["aws:PrincipalArn"]).map(flat);
    expect(principals).toEqual(["commit", "apply", "activate"].map((fn) => `arn:aws:iam::123456789012:role/payrox-prod-${fn}-fn`));
  });

  it("lets only the API role sign with the emergency key", () => {
    // Prepare
    const [, key] = keyNamed("EmergencySigner");

    // Act
    const principals = signStatement(key).flatMap((s) => list(s.Condition?.ArnEquals?.["aws:PrincipalArn"]).map(flat));

    // Assess
    expect(principals).toEqual(["arn:aws:iam::123456789012:role/payrox-prod-api-fn"]);
  });

  it("gives the account key administration but no signing without the role condition", () => {
    // Prepare
    const unconditional = Object.values(keys).flatMap((key) => (key.KeyPolicy.Statement as Statement[]).filter((s) => !s.Condition));

    // Assess
    expect(unconditional.length).toBeGreaterThan(0);
    for (const statement of unconditional) {
      for (const action of list(statement.Action) as string[]) {
        expect(action).not.toMatch(/^kms:(\*|Sign|Verify|Encrypt|Decrypt|GenerateDataKey|ReEncrypt)/);
      }
    }
  });

  it("retains the keys on prod and passes the cdk-nag AwsSolutions checks", () => {
    // Assess
    for (const resource of Object.values(template.findResources("AWS::KMS::Key")) as { DeletionPolicy: string }[]) expect(resource.DeletionPolicy).toBe("Retain");
    expect(synthesized.nagFindings(KeysStack)).toEqual([]);
  });

  it("declares the secrets the functions bind, named after their ENV variables", () => {
    expect(SECRET_NAMES).toEqual(["PAYROX_NETWORK_CONFIG", "PAYROX_ALERT_WEBHOOKS", "PAYROX_FLASHBOTS_AUTH_KEY"]);
  });
});
