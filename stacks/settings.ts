/**
 * Deploy-time choices that are not secrets, read from the deployer's environment (`.env.<stage>` is
 * loaded by SST): alert destinations, the API's authorization mode, the approval policy and the web
 * console's sign-in. PagerDuty and Slack are switched
 * on here; their credentials (routing key, webhook URL) are SST secrets (SSM SecureStrings), never here.
 */
import { readFileSync } from "node:fs";
import * as z from "zod";

/** Environment variables read at `sst deploy`. */
export const DEPLOY_ENV = {
  /** HTTPS endpoint receiving alert events (EventBridge API destination). Unset: SNS only. */
  ALERT_WEBHOOK_URL: "PAYROX_ALERT_WEBHOOK_URL",
  /** E-mail address subscribed to the alerts topic. */
  ALERT_EMAIL: "PAYROX_ALERT_EMAIL",
  /** JWT issuer URL: set with the audience to authorize the API with JWTs instead of IAM. */
  API_JWT_ISSUER: "PAYROX_API_JWT_ISSUER",
  /** Comma-separated JWT audiences. */
  API_JWT_AUDIENCE: "PAYROX_API_JWT_AUDIENCE",
  /** `true`: alerts go to PagerDuty too; the routing key is the secret `PAYROX_PAGERDUTY_ROUTING_KEY`. */
  ALERT_PAGERDUTY: "PAYROX_ALERT_PAGERDUTY",
  /** PagerDuty Events API v2 URL (e.g. the EU one). Unset: `https://events.pagerduty.com/v2/enqueue`. */
  PAGERDUTY_EVENTS_URL: "PAYROX_PAGERDUTY_EVENTS_URL",
  /** `true`: alerts go to Slack too; the incoming-webhook URL is the secret `PAYROX_SLACK_WEBHOOK_URL`. */
  ALERT_SLACK: "PAYROX_ALERT_SLACK",
  /** Base URL of the alerts' runbook links (your repository's RUNBOOKS.md). Unset: the repository path. */
  RUNBOOK_BASE_URL: "PAYROX_RUNBOOK_BASE_URL",
  /**
   * Path of the approval policy's JSON file (keep it in the repository, so a change is reviewed like code).
   * Required unless {@link DEPLOY_ENV.APPROVAL_POLICY} is set; `{"approvals":"none"}` must be stated to
   * deploy without approvals, and the `prod` stage refuses it.
   */
  APPROVAL_POLICY_FILE: "PAYROX_APPROVAL_POLICY_FILE",
  /** The approval policy as JSON text, instead of a file. */
  APPROVAL_POLICY: "PAYROX_APPROVAL_POLICY",
  /**
   * OIDC issuer the web console signs in with (https, exactly the tokens' `iss`). Set with
   * {@link DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID} to deploy the console; neither: no console is deployed.
   */
  CONSOLE_OIDC_ISSUER: "PAYROX_CONSOLE_OIDC_ISSUER",
  /** The console's OIDC client id (a public client: authorization code + PKCE, no secret). */
  CONSOLE_OIDC_CLIENT_ID: "PAYROX_CONSOLE_OIDC_CLIENT_ID",
  /** Comma-separated audiences the browser API accepts in a token's `aud` (or `client_id`). Unset: the client id. */
  CONSOLE_OIDC_AUDIENCE: "PAYROX_CONSOLE_OIDC_AUDIENCE",
  /**
   * Comma-separated https origins the console's sign-in calls besides the issuer's own (a token
   * endpoint on another host, e.g. a Cognito domain): added to the site's CSP `connect-src`.
   */
  CONSOLE_OIDC_ORIGINS: "PAYROX_CONSOLE_OIDC_ORIGINS",
  /** The console's built files (`index.html` + `assets/`). Unset: `packages/console/dist`. */
  CONSOLE_DIST_DIR: "PAYROX_CONSOLE_DIST_DIR",
} as const;

/** How API callers are authorized. */
export type ApiAuthorization = { kind: "iam" } | { kind: "jwt"; issuer: string; audience: string[] };

/** The web console's deployment: its OIDC sign-in and where its built files are. */
export interface ConsoleSettings {
  /** OIDC issuer URL, exactly as the tokens' `iss` claim carries it. */
  issuer: string;
  clientId: string;
  /** Audiences the browser API's JWT authorizer accepts. */
  audience: string[];
  /** Origins (`https://host[:port]`) the browser may call during sign-in: the issuer's and any configured. */
  signInOrigins: string[];
  /** Directory of the built console (`index.html`, `assets/`). */
  distDir: string;
}

/** Where the console's build writes its files, relative to the repository root (the deploy's working directory). */
export const CONSOLE_DIST_DEFAULT = "packages/console/dist";

/** The validated deploy-time settings. */
export interface DeploySettings {
  alertWebhookUrl?: string;
  alertEmail?: string;
  apiAuthorization: ApiAuthorization;
  /** PagerDuty is a destination (its routing key a bound secret). */
  alertPagerDuty?: true;
  pagerDutyEventsUrl?: string;
  /** Slack is a destination (its webhook URL a bound secret). */
  alertSlack?: true;
  runbookBaseUrl?: string;
  /** The approval policy's JSON text as given (validated by the stacks for the stage), when one is configured. */
  approvalPolicy?: string;
  /** The web console, when its OIDC issuer and client are configured. */
  console?: ConsoleSettings;
}

const flag = z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional();

const Schema = z.object({
  [DEPLOY_ENV.ALERT_WEBHOOK_URL]: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  [DEPLOY_ENV.ALERT_EMAIL]: z.email({ error: "must be an e-mail address" }).optional(),
  [DEPLOY_ENV.API_JWT_ISSUER]: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  [DEPLOY_ENV.API_JWT_AUDIENCE]: z.string().min(1).optional(),
  [DEPLOY_ENV.ALERT_PAGERDUTY]: flag,
  [DEPLOY_ENV.PAGERDUTY_EVENTS_URL]: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  [DEPLOY_ENV.ALERT_SLACK]: flag,
  [DEPLOY_ENV.APPROVAL_POLICY_FILE]: z.string().trim().min(1, "must be a path to the policy's JSON file").optional(),
  [DEPLOY_ENV.APPROVAL_POLICY]: z.string().trim().min(1, "must be the policy's JSON text").optional(),
  [DEPLOY_ENV.CONSOLE_OIDC_ISSUER]: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  [DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID]: z.string().trim().min(1, "must be the console's OIDC client id").optional(),
  [DEPLOY_ENV.CONSOLE_OIDC_AUDIENCE]: z.string().trim().min(1, "must be one or more comma-separated audiences").optional(),
  [DEPLOY_ENV.CONSOLE_OIDC_ORIGINS]: z.string().trim().min(1, "must be one or more comma-separated https origins").optional(),
  [DEPLOY_ENV.CONSOLE_DIST_DIR]: z.string().trim().min(1, "must be the directory of the built console").optional(),
  [DEPLOY_ENV.RUNBOOK_BASE_URL]: z.url({ protocol: /^https$/, error: "must be an https URL" }).refine((u) => !u.includes("#"), "must not carry a #fragment (each alert adds #<type>)").optional(),
});

/**
 * Reads the deploy-time settings.
 * @throws Error naming each malformed variable, a JWT issuer without an audience (or the reverse), or a
 *   console OIDC issuer without a client id (or the reverse)
 * @example readDeploySettings(process.env)
 */
export function readDeploySettings(source: Record<string, string | undefined>): DeploySettings {
  const parsed = Schema.safeParse(source);
  if (!parsed.success) throw new Error(`invalid deploy settings: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  const e = parsed.data;
  const issuer = e[DEPLOY_ENV.API_JWT_ISSUER];
  const audience = e[DEPLOY_ENV.API_JWT_AUDIENCE]?.split(",").map((a) => a.trim()).filter(Boolean);
  if (Boolean(issuer) !== Boolean(audience?.length)) {
    throw new Error(`invalid deploy settings: set both ${DEPLOY_ENV.API_JWT_ISSUER} and ${DEPLOY_ENV.API_JWT_AUDIENCE} for JWT authorization, or neither for IAM`);
  }
  if (e[DEPLOY_ENV.PAGERDUTY_EVENTS_URL] && e[DEPLOY_ENV.ALERT_PAGERDUTY] !== "true") {
    throw new Error(`invalid deploy settings: ${DEPLOY_ENV.PAGERDUTY_EVENTS_URL} is set but ${DEPLOY_ENV.ALERT_PAGERDUTY} is not "true"`);
  }
  const policyFile = e[DEPLOY_ENV.APPROVAL_POLICY_FILE];
  if (policyFile && e[DEPLOY_ENV.APPROVAL_POLICY]) {
    throw new Error(`invalid deploy settings: set ${DEPLOY_ENV.APPROVAL_POLICY_FILE} or ${DEPLOY_ENV.APPROVAL_POLICY}, not both`);
  }
  const approvalPolicy = policyFile ? readPolicyFile(policyFile) : e[DEPLOY_ENV.APPROVAL_POLICY];
  const consoleSettings = readConsoleSettings(e);
  return {
    ...(approvalPolicy && { approvalPolicy }),
    ...(e[DEPLOY_ENV.ALERT_WEBHOOK_URL] && { alertWebhookUrl: e[DEPLOY_ENV.ALERT_WEBHOOK_URL] }),
    ...(e[DEPLOY_ENV.ALERT_PAGERDUTY] === "true" && { alertPagerDuty: true as const }),
    ...(e[DEPLOY_ENV.PAGERDUTY_EVENTS_URL] && { pagerDutyEventsUrl: e[DEPLOY_ENV.PAGERDUTY_EVENTS_URL] }),
    ...(e[DEPLOY_ENV.ALERT_SLACK] === "true" && { alertSlack: true as const }),
    ...(e[DEPLOY_ENV.RUNBOOK_BASE_URL] && { runbookBaseUrl: e[DEPLOY_ENV.RUNBOOK_BASE_URL] }),
    ...(e[DEPLOY_ENV.ALERT_EMAIL] && { alertEmail: e[DEPLOY_ENV.ALERT_EMAIL] }),
    apiAuthorization: issuer && audience ? { kind: "jwt", issuer, audience } : { kind: "iam" },
    ...(consoleSettings && { console: consoleSettings }),
  };
}

/**
 * The console's settings, `undefined` when neither issuer nor client id is set.
 * @throws Error for one of the pair without the other, a console-only setting without them, or an origin that is not `https://host[:port]`
 */
function readConsoleSettings(e: z.infer<typeof Schema>): ConsoleSettings | undefined {
  const issuer = e[DEPLOY_ENV.CONSOLE_OIDC_ISSUER];
  const clientId = e[DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID];
  if (!issuer && !clientId) {
    const stray = ([DEPLOY_ENV.CONSOLE_OIDC_AUDIENCE, DEPLOY_ENV.CONSOLE_OIDC_ORIGINS] as const).filter((name) => e[name] !== undefined);
    if (stray.length > 0) throw new Error(`invalid deploy settings: ${stray.join(", ")} set without ${DEPLOY_ENV.CONSOLE_OIDC_ISSUER} and ${DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID}; set both to deploy the console`);
    return undefined;
  }
  if (!issuer || !clientId) throw new Error(`invalid deploy settings: set both ${DEPLOY_ENV.CONSOLE_OIDC_ISSUER} and ${DEPLOY_ENV.CONSOLE_OIDC_CLIENT_ID} to deploy the console, or neither to deploy none`);
  const extraOrigins = commaList(e[DEPLOY_ENV.CONSOLE_OIDC_ORIGINS]).map((origin) => {
    const url = URL.canParse(origin) ? new URL(origin) : undefined;
    if (url?.protocol !== "https:" || url.pathname !== "/" || url.search || url.hash || url.username) throw new Error(`invalid deploy settings: ${DEPLOY_ENV.CONSOLE_OIDC_ORIGINS} entry ${JSON.stringify(origin)} must be an origin, https://host[:port] with no path`);
    return url.origin;
  });
  const audience = commaList(e[DEPLOY_ENV.CONSOLE_OIDC_AUDIENCE]);
  return {
    issuer,
    clientId,
    audience: audience.length > 0 ? audience : [clientId],
    signInOrigins: [...new Set([new URL(issuer).origin, ...extraOrigins])],
    distDir: e[DEPLOY_ENV.CONSOLE_DIST_DIR] ?? CONSOLE_DIST_DEFAULT,
  };
}

function commaList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`invalid deploy settings: ${DEPLOY_ENV.APPROVAL_POLICY_FILE} ${path} can't be read (${(error as Error).message})`, { cause: error });
  }
}
