/**
 * The web console's static site: its built files in a private S3 bucket behind CloudFront (origin
 * access control), served with the console's security headers, and a `config.json` written next to
 * `index.html` at deploy telling the app where its API is and how to sign in. Plain CDK rather than SST's
 * StaticSite: the site needs a response headers policy whose CSP names the API's origin, origin access
 * control, different caching for hashed files and for index.html/config.json, and a prebuilt directory
 * (StaticSite would run a build and rewrite files for its own environment placeholders).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import { S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import { CONSOLE_PERMISSIONS_POLICY, consoleContentSecurityPolicy, HSTS_MAX_AGE_SECONDS, inlineScriptHashes } from "./console-headers.js";
import { DEPLOY_ENV } from "./settings.js";

/** What the app reads from `/config.json` at start (the contract with packages/console). */
export interface ConsoleRuntimeConfig {
  /** The browser API, no trailing slash. */
  apiUrl: string;
  auth: { kind: "oidc"; issuer: string; clientId: string };
}

/** Options of {@link ConsoleSite}. */
export interface ConsoleSiteProps {
  /** Directory of the built console: `index.html` and the hashed files under `assets/`. */
  distPath: string;
  /** The browser API's URL: an origin (`https://<id>.execute-api.<region>.amazonaws.com`, the `$default` stage), usually a deploy-time token. */
  apiUrl: string;
  /** The console's OIDC issuer and client, written to config.json. */
  auth: { issuer: string; clientId: string };
  /** Origins the sign-in calls (the issuer's and any token endpoint elsewhere): the CSP's `connect-src` beside the API. */
  signInOrigins: readonly string[];
  /**
   * Keep the buckets and the deployed files on `sst remove` (protected stages).
   * @default false
   */
  retain?: boolean;
}

/** How long the site's access logs (CloudFront's and the bucket's) are kept. */
export function consoleLogDays(retain: boolean): number {
  return retain ? 400 : 30;
}

/** `Cache-Control` of the hashed files: a name is never reused for other content. */
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";

/** The console's bucket, distribution and headers; `url` is the console's origin (`https://<id>.cloudfront.net`). */
export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  /** The console's origin, where users open it. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    const retain = props.retain ?? false;
    const indexHtml = readBuiltConsole(props.distPath);

    const logs = new s3.Bucket(this, "AccessLogs", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are delivered with an object ACL.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(consoleLogDays(retain)) }],
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.bucket = new s3.Bucket(this, "Files", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: "files-bucket/",
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.headers = new cloudfront.ResponseHeadersPolicy(this, "Headers", {
      comment: "PayRox console: CSP (own files, the API and the OIDC issuer only; never framed), HSTS, nosniff, no referrer",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy({ apiOrigin: props.apiUrl, signInOrigins: props.signInOrigins, scriptHashes: inlineScriptHashes(indexHtml) }), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
      customHeadersBehavior: { customHeaders: [{ header: "Permissions-Policy", value: CONSOLE_PERMISSIONS_POLICY, override: true }] },
    });

    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: "PayRox console",
      // The console's views are hash routes (`/#/proposals/<id>`): every shareable URL is index.html, so a
      // path the bucket doesn't hold stays an error instead of turning into the app.
      defaultRootObject: "index.html",
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: "cloudfront/",
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    // Hashed files first, kept across deploys (prune off): a tab still on the previous index.html loads its own files.
    const assets = new s3deploy.BucketDeployment(this, "Assets", {
      sources: [s3deploy.Source.asset(join(props.distPath, "assets"))],
      destinationBucket: this.bucket,
      destinationKeyPrefix: "assets/",
      cacheControl: [s3deploy.CacheControl.fromString(IMMUTABLE_CACHE)],
      prune: false,
      retainOnDelete: retain,
    });
    // Then index.html (and any other top-level file) with config.json, revalidated on every load: with
    // `no-cache` CloudFront keeps them only for the cache policy's minimum TTL (1 s), so a deploy needs no
    // invalidation — and the handler no `cloudfront:CreateInvalidation` on every distribution (CDK grants it on `*`).
    const config: ConsoleRuntimeConfig = { apiUrl: props.apiUrl, auth: { kind: "oidc", issuer: props.auth.issuer, clientId: props.auth.clientId } };
    const entry = new s3deploy.BucketDeployment(this, "Entry", {
      sources: [s3deploy.Source.asset(props.distPath, { exclude: ["assets", "config.json"] }), s3deploy.Source.jsonData("config.json", config)],
      destinationBucket: this.bucket,
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: false,
      retainOnDelete: retain,
    });
    entry.node.addDependency(assets);
  }
}

/**
 * The built console's index.html, after checking the build is there.
 * @throws Error naming the missing file and the command that builds it
 */
function readBuiltConsole(distPath: string): string {
  for (const required of ["index.html", "assets"]) {
    if (!existsSync(join(distPath, required))) {
      throw new Error(`the console's build is missing ${join(distPath, required)}: run \`npm run build\` (it builds packages/console) before \`sst deploy\`, or point ${DEPLOY_ENV.CONSOLE_DIST_DIR} at a built console`);
    }
  }
  return readFileSync(join(distPath, "index.html"), "utf8");
}
