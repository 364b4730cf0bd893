import { beforeAll, describe, expect, it } from "vitest";
import { ApiStack } from "../ApiStack.js";
import { EventsStack } from "../EventsStack.js";
import { StorageStack } from "../StorageStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { resourcesOf } from "./template.js";

let synthesized: SynthesizedApp;
beforeAll(async () => {
  synthesized = await synthesize("dev", { PAYROX_API_JWT_ISSUER: "https://issuer.example.com", PAYROX_API_JWT_AUDIENCE: "payrox-api" });
});

describe("the app on a throwaway stage (dev)", () => {
  it("lets the table be deleted with the stage", () => {
    // Act
    const [table] = Object.values(synthesized.template(StorageStack).findResources("AWS::DynamoDB::Table")) as { DeletionPolicy: string; Properties: { DeletionProtectionEnabled: boolean } }[];

    // Assess
    expect(table!.Properties.DeletionProtectionEnabled).toBe(false);
    expect(table!.DeletionPolicy).toBe("Delete");
  });

  it("authorizes every route with the configured JWT issuer when one is set", () => {
    // Act
    const template = synthesized.template(ApiStack);
    const routes = Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Route"));
    const [authorizer] = Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Authorizer"));

    // Assess
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route.AuthorizationType).toBe("JWT");
    expect(authorizer).toMatchObject({ AuthorizerType: "JWT", JwtConfiguration: { Issuer: "https://issuer.example.com", Audience: ["payrox-api"] } });
  });

  it("creates no webhook destination when no webhook URL is configured", () => {
    // Act
    const template = synthesized.template(EventsStack);

    // Assess
    expect(Object.keys(resourcesOf(template, "AWS::Events::ApiDestination"))).toEqual([]);
    expect(Object.keys(resourcesOf(template, "AWS::Events::Rule"))).toHaveLength(1);
  });

  it("passes the cdk-nag AwsSolutions checks", () => {
    expect([StorageStack, ApiStack, EventsStack].flatMap((s) => synthesized.nagFindings(s))).toEqual([]);
  });
});
