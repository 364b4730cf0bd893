/**
 * The web console on AWS: the site (private bucket behind CloudFront, config.json next to index.html),
 * its response headers, the browser API (JWT, the console's routes only, CORS for the console's origin
 * only) and what the deploy-time handlers may do. Synthesises the console from packages/console/dist
 * when it is built, else from a fixture build (index.html + one hashed asset).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { API_ROUTE_KEYS } from "@payrox/functions";
import type { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_THROTTLE, ApiStack } from "../ApiStack.js";
import { CONSOLE_CORS, consoleContentSecurityPolicy, inlineScriptHashes } from "../console-headers.js";
import { IMMUTABLE_CACHE, type ConsoleRuntimeConfig } from "../console-site.js";
import { CONSOLE_APPROVAL_ROUTE, CONSOLE_NOT_CONFIGURED, consoleRouteKeys, ConsoleStack } from "../ConsoleStack.js";
import { CONSOLE_DIST_DEFAULT, DEPLOY_ENV } from "../settings.js";
import { ACCOUNT, REGION, synthesize, type SynthesizedApp } from "./synth.js";
import { flat, list, resourcesOf, roleStatements, type Statement } from "./template.js";

const ISSUER = "https://id.example.com/realms/payrox";
const CLIENT_ID = "payrox-console";
const TOKEN_ORIGIN = "https://login.example.com";

/** The built console, or a fixture build in a temporary directory when packages/console has not been built. */
function consoleBuild(): { dir: string; fixture: boolean } {
  const built = resolve(CONSOLE_DIST_DEFAULT);
  if (existsSync(join(built, "index.html")) && existsSync(join(built, "assets"))) return { dir: built, fixture: false };
  const dir = mkdtempSync(join(tmpdir(), "payrox-console-dist-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PayRox</title><script type="module" src="/assets/index-3f2a9c.js"></script></head><body><main id="app"></main></body></html>\n');
  writeFileSync(join(dir, "assets", "index-3f2a9c.js"), 'document.getElementById("app").textContent = "PayRox";\n');
  return { dir, fixture: true };
}

let build: { dir: string; fixture: boolean };
let synthesized: SynthesizedApp;
let template: Template;
beforeAll(async () => {
  build = consoleBuild();
  synthesized = await synthesize("prod", {
    [DEPLOY_ENV.CONSOLE_OIDC_ISSUER]: ISSUER,
    [DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID]: CLIENT_ID,
    [DEPLOY_ENV.CONSOLE_OIDC_ORIGINS]: TOKEN_ORIGIN,
    [DEPLOY_ENV.CONSOLE_DIST_DIR]: build.dir,
  });
  template = synthesized.template(ConsoleStack);
});
afterAll(() => {
  if (build?.fixture) rmSync(build.dir, { recursive: true, force: true });
});

const only = (type: string) => {
  const all = Object.entries(resourcesOf(template, type));
  expect(all, type).toHaveLength(1);
  return all[0]!;
};
const logicalIdOf = (type: string, pattern: RegExp) => Object.keys(resourcesOf(template, type)).find((id) => pattern.test(id))!;
const cspOf = () => only("AWS::CloudFront::ResponseHeadersPolicy")[1].ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy;
const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `))?.split(" ").slice(1);
const deployments = () => Object.values(resourcesOf(template, "Custom::CDKBucketDeployment"));

describe("ConsoleStack › site", () => {
  it("serves a private, encrypted, TLS-only bucket, kept on prod, through CloudFront with origin access control only", () => {
    // Act
    const buckets = resourcesOf(template, "AWS::S3::Bucket");
    const filesId = logicalIdOf("AWS::S3::Bucket", /^ConsoleFiles/);
    const [, distribution] = only("AWS::CloudFront::Distribution");
    const policy = Object.values(resourcesOf(template, "AWS::S3::BucketPolicy")).find((p) => flat(p.Bucket) === `ref(${filesId})`)!;
    const statements = policy.PolicyDocument.Statement as Statement[];

    // Assess
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const resource of Object.values(template.findResources("AWS::S3::Bucket"))) expect(resource.DeletionPolicy).toBe("Retain");
    for (const bucket of Object.values(buckets)) {
      expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe("AES256");
    }
    const origin = distribution.DistributionConfig.Origins[0];
    expect(flat(origin.OriginAccessControlId)).toMatch(/OriginAccessControl.*\.Id$/);
    expect(origin.S3OriginConfig.OriginAccessIdentity).toBe("");
    const allows = statements.filter((s) => s.Effect === "Allow");
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject" });
    expect(flat(allows[0]!.Condition!.StringEquals!["AWS:SourceArn"])).toMatch(/ConsoleDistribution/);
    expect(statements.some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { "aws:SecureTransport": "false" } }))).toBe(true);
  });

  it("redirects to HTTPS, serves index.html at the root, and logs requests", () => {
    // Act
    const config = only("AWS::CloudFront::Distribution")[1].DistributionConfig;

    // Assess
    expect(config.DefaultRootObject).toBe("index.html");
    expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: "redirect-to-https", AllowedMethods: ["GET", "HEAD"], Compress: true });
    expect(config.CustomErrorResponses).toBeUndefined();
    expect(flat(config.Logging.Bucket)).toMatch(/^ConsoleAccessLogs.*\.RegionalDomainName$/);
  });

  it("deploys the hashed assets immutable and kept across deploys, then index.html and config.json revalidated on every load", () => {
    // Act
    const [assets, entry] = [/ConsoleAssets/, /ConsoleEntry/].map((pattern) => resourcesOf(template, "Custom::CDKBucketDeployment")[logicalIdOf("Custom::CDKBucketDeployment", pattern)]!);
    const entryId = logicalIdOf("Custom::CDKBucketDeployment", /ConsoleEntry/);

    // Assess
    expect(deployments()).toHaveLength(2);
    expect(assets).toMatchObject({ DestinationBucketKeyPrefix: "assets/", Prune: false, SystemMetadata: { "cache-control": IMMUTABLE_CACHE } });
    expect(entry).toMatchObject({ Prune: false, SystemMetadata: { "cache-control": "no-cache" } });
    expect(entry!.DistributionId).toBeUndefined();
    expect(template.toJSON().Resources[entryId].DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/ConsoleAssets/)]));
  });

  it("writes config.json next to index.html with the browser API's URL and the OIDC issuer and client", () => {
    // Prepare
    const entry = resourcesOf(template, "Custom::CDKBucketDeployment")[logicalIdOf("Custom::CDKBucketDeployment", /ConsoleEntry/)]!;
    const keys = list(entry.SourceObjectKeys).map(flat);
    const markers = list(entry.SourceMarkers) as Record<string, unknown>[];

    // Act: the staged config.json (markers stand for deploy-time values, filled in by the deployment)
    const staged = keys.map((key) => join(synthesized.app.outdir, `asset.${key.replace(/\.zip$/, "")}`, "config.json")).find(existsSync)!;
    let text = readFileSync(staged, "utf8");
    for (const [marker, value] of markers.flatMap((m) => Object.entries(m))) text = text.replaceAll(marker, flat(value));
    const config = JSON.parse(text) as ConsoleRuntimeConfig;

    // Assess
    expect(config).toEqual({ apiUrl: expect.stringMatching(/^BrowserApi.*\.ApiEndpoint$/), auth: { kind: "oidc", issuer: ISSUER, clientId: CLIENT_ID } });
  });

  it("outputs the console's URL and the browser API's", () => {
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(flat(outputs.ConsoleUrl!.Value)).toMatch(/^https:\/\/ConsoleDistribution.*\.DomainName$/);
    expect(flat(outputs.ConsoleApiUrl!.Value)).toMatch(/^BrowserApi.*\.ApiEndpoint$/);
  });
});

describe("ConsoleStack › headers", () => {
  it("sends a strict CSP: own files only, no inline script unless hashed, the API and the issuer to connect to, never framed", () => {
    // Prepare
    const html = readFileSync(join(build.dir, "index.html"), "utf8");

    // Act
    const csp = cspOf();
    const value = flat(csp.ContentSecurityPolicy);

    // Assess
    expect(csp.Override).toBe(true);
    expect(directive(value, "default-src")).toEqual(["'none'"]);
    expect(directive(value, "script-src")).toEqual(["'self'", ...inlineScriptHashes(html)]);
    expect(value).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(directive(value, "connect-src")).toEqual(["'self'", expect.stringMatching(/^BrowserApi.*\.ApiEndpoint$/), "https://id.example.com", TOKEN_ORIGIN]);
    expect(directive(value, "frame-ancestors")).toEqual(["'none'"]);
    expect(directive(value, "object-src")).toEqual(["'none'"]);
    expect(directive(value, "base-uri")).toEqual(["'none'"]);
  });

  it("sends HSTS, nosniff, no referrer and DENY framing on every response of the site", () => {
    // Act
    const [policyId, policy] = only("AWS::CloudFront::ResponseHeadersPolicy");
    const headers = policy.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const behavior = only("AWS::CloudFront::Distribution")[1].DistributionConfig.DefaultCacheBehavior;

    // Assess
    expect(flat(behavior.ResponseHeadersPolicyId)).toBe(`ref(${policyId})`);
    expect(headers.StrictTransportSecurity).toEqual({ AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: "no-referrer", Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: "DENY", Override: true });
  });
});

describe("ConsoleStack › browser API", () => {
  it("declares only the console's routes (reads and approvals, never propose or cancel), each JWT-authorized by the console's issuer", () => {
    // Act
    const routes = Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Route"));
    const [, authorizer] = only("AWS::ApiGatewayV2::Authorizer");

    // Assess
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(consoleRouteKeys().sort());
    expect(routes.map((r) => r.RouteKey)).toContain(CONSOLE_APPROVAL_ROUTE);
    expect(routes.map((r) => r.RouteKey)).not.toEqual(expect.arrayContaining(["POST /proposals"]));
    expect(routes.some((r) => /cancel/.test(r.RouteKey))).toBe(false);
    for (const route of routes) expect(route).toMatchObject({ AuthorizationType: "JWT" });
    expect(authorizer).toMatchObject({ AuthorizerType: "JWT", IdentitySource: ["$request.header.Authorization"], JwtConfiguration: { Issuer: ISSUER, Audience: [CLIENT_ID] } });
  });

  it("throttles like the CLI's API and logs each request with the token's subject to a log group kept a year", () => {
    // Act
    const [, stage] = only("AWS::ApiGatewayV2::Stage");
    const [, group] = only("AWS::Logs::LogGroup");

    // Assess
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: API_THROTTLE.rate, ThrottlingBurstLimit: API_THROTTLE.burst });
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({ routeKey: "$context.routeKey", status: "$context.status", subject: "$context.authorizer.claims.sub" });
    expect(group.RetentionInDays).toBe(365);
  });

  it("runs the API function of ApiStack, invocable only by the browser API's routes", () => {
    // Act
    const integrations = Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Integration"));
    const permissions = Object.values(resourcesOf(template, "AWS::Lambda::Permission"));

    // Assess
    expect(new Set(integrations.map((i) => flat(i.IntegrationUri)))).toEqual(new Set([expect.stringMatching(/^import\(.*ApiStack.*ApiFunction/)]));
    expect(permissions).toHaveLength(consoleRouteKeys().length);
    for (const permission of permissions) {
      expect(flat(permission.FunctionName)).toMatch(/^import\(.*ApiStack.*ApiFunction/);
      expect(permission.Principal).toBe("apigateway.amazonaws.com");
      expect(flat(permission.SourceArn)).toMatch(/execute-api:eu-west-1:123456789012:ref\(BrowserApi/);
    }
  });

  it("allows CORS for exactly the console's origin, with the bearer token and ETag revalidation, once both exist", () => {
    // Act
    const [, resource] = only("Custom::AWS");
    const create = JSON.parse(flat(resource.Create)) as { service: string; action: string; parameters: { ApiId: string; CorsConfiguration: Record<string, unknown> } };
    const [, browserApi] = only("AWS::ApiGatewayV2::Api");

    // Assess
    expect(flat(resource.Update)).toBe(flat(resource.Create));
    expect(create).toMatchObject({ service: "ApiGatewayV2", action: "UpdateApi", parameters: { ApiId: expect.stringMatching(/^ref\(BrowserApi/) } });
    expect(create.parameters.CorsConfiguration).toEqual({
      AllowOrigins: [expect.stringMatching(/^https:\/\/ConsoleDistribution.*\.DomainName$/)],
      AllowMethods: ["GET", "POST"],
      AllowHeaders: ["authorization", "content-type", "if-none-match"],
      ExposeHeaders: ["etag", "retry-after"],
      MaxAge: CONSOLE_CORS.maxAgeSeconds,
      AllowCredentials: false,
    });
    // No CORS declared on either API resource itself: nothing allows `*`.
    expect(browserApi.CorsConfiguration).toBeUndefined();
    expect(Object.values(resourcesOf(synthesized.template(ApiStack), "AWS::ApiGatewayV2::Api"))[0]!.CorsConfiguration).toBeUndefined();
  });

  it("leaves the CLI's API IAM-authorized on every route", () => {
    // Act
    const routes = Object.values(resourcesOf(synthesized.template(ApiStack), "AWS::ApiGatewayV2::Route"));

    // Assess
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...API_ROUTE_KEYS].sort());
    for (const route of routes) expect(route.AuthorizationType).toBe("AWS_IAM");
  });
});

describe("ConsoleStack › least privilege", () => {
  const roleOf = (pattern: RegExp) => {
    const [id, role] = Object.entries(resourcesOf(template, "AWS::IAM::Role")).find(([logicalId]) => pattern.test(logicalId))!;
    const attached = Object.values(resourcesOf(template, "AWS::IAM::Policy")).filter((p) => list(p.Roles).some((r) => flat(r) === `ref(${id})`));
    return [...list(role.Policies), ...attached].flatMap((p: any) => p.PolicyDocument.Statement as Statement[]);
  };

  it("lets the CORS call update only the browser API", () => {
    // Act
    const statements = roleOf(/^AWS679f53fac002430cb0da5b7982bd2287/);

    // Assess
    expect(statements.map((s) => [s.Sid, list(s.Action), list(s.Resource).map(flat)])).toEqual([["BrowserApiCorsOnly", ["apigateway:PATCH"], [expect.stringMatching(/^arn:aws:apigateway:eu-west-1::\/apis\/ref\(BrowserApi/)]]]);
  });

  it("lets the file deployment read only the CDK asset bucket and write only the console's bucket", () => {
    // Act
    const statements = roleOf(/^CustomCDKBucketDeployment/);
    const s3Resources = statements.filter((s) => list(s.Action).some((a) => String(a).startsWith("s3:"))).flatMap((s) => list(s.Resource).map(flat));

    // Assess
    expect(s3Resources.length).toBeGreaterThan(0);
    expect(s3Resources.every((r) => /cdk-hnb659fds-assets-123456789012-eu-west-1|ConsoleFiles/.test(r))).toBe(true);
    expect(statements.flatMap((s) => list(s.Action)).filter((a) => !String(a).startsWith("s3:"))).toEqual([]);
  });

  it("passes the cdk-nag AwsSolutions checks, and adds no statement to the API function's role", () => {
    // Act
    const findings = [ConsoleStack, ApiStack].flatMap((s) => synthesized.nagFindings(s));
    const apiRole = roleStatements(synthesized.template(ApiStack), "payrox-prod-api-fn");

    // Assess
    expect(findings).toEqual([]);
    expect(apiRole.flatMap((s) => list(s.Action)).some((a) => /apigateway|cloudfront|s3:PutObject\b/.test(String(a)))).toBe(false);
  });
});

describe("ConsoleStack without OIDC settings", () => {
  it("deploys no site and no browser API, and says so in its ConsoleUrl output", async () => {
    // Prepare: the console alone (it uses no other stack when it is not configured)
    const app = new App({ mode: "deploy", stage: "dev", region: REGION, account: ACCOUNT, name: "payrox" });

    // Act
    app.stack(ConsoleStack);
    const bare = (await import("aws-cdk-lib/assertions")).Template.fromStack(getStack(ConsoleStack));

    // Assess
    expect(Object.keys(bare.findResources("AWS::CloudFront::Distribution"))).toEqual([]);
    expect(Object.keys(bare.findResources("AWS::ApiGatewayV2::Api"))).toEqual([]);
    expect(bare.toJSON().Outputs.ConsoleUrl.Value).toBe(CONSOLE_NOT_CONFIGURED);
  });
});

describe("consoleContentSecurityPolicy and inlineScriptHashes", () => {
  it("pins an inline script by its SHA-256 and ignores scripts loaded by src", () => {
    // Act
    const hashes = inlineScriptHashes('<script type="module" src="/assets/a.js"></script><script>window.boot=1</script>');

    // Assess
    expect(hashes).toEqual(["'sha256-jajxeYVIwRnpYeIdQAnrCVaykHVFfL+sKIgsbVjP93M='"]);
    expect(consoleContentSecurityPolicy({ apiOrigin: "https://a.example.com", signInOrigins: [], scriptHashes: hashes })).toContain(`script-src 'self' ${hashes[0]};`);
  });

  it("routes the console only to reads and approvals of the API function", () => {
    expect(consoleRouteKeys(["GET /x", "POST /proposals", CONSOLE_APPROVAL_ROUTE, "POST /proposals/{id}/cancel"])).toEqual(["GET /x", CONSOLE_APPROVAL_ROUTE]);
    expect(() => consoleRouteKeys(["GET /x"])).toThrow(/CONSOLE_APPROVAL_ROUTE/);
  });
});
