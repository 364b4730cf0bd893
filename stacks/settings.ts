/**
 * Deploy-time choices that are not secrets, read from the deployer's environment (`.env.<stage>` is
 * loaded by SST): alert destinations, the API's authorization mode and the approval policy. PagerDuty and Slack are switched
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
} as const;

/** How API callers are authorized. */
export type ApiAuthorization = { kind: "iam" } | { kind: "jwt"; issuer: string; audience: string[] };

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
  [DEPLOY_ENV.RUNBOOK_BASE_URL]: z.url({ protocol: /^https$/, error: "must be an https URL" }).refine((u) => !u.includes("#"), "must not carry a #fragment (each alert adds #<type>)").optional(),
});

/**
 * Reads the deploy-time settings.
 * @throws Error naming each malformed variable, or a JWT issuer without an audience (or the reverse)
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
  return {
    ...(approvalPolicy && { approvalPolicy }),
    ...(e[DEPLOY_ENV.ALERT_WEBHOOK_URL] && { alertWebhookUrl: e[DEPLOY_ENV.ALERT_WEBHOOK_URL] }),
    ...(e[DEPLOY_ENV.ALERT_PAGERDUTY] === "true" && { alertPagerDuty: true as const }),
    ...(e[DEPLOY_ENV.PAGERDUTY_EVENTS_URL] && { pagerDutyEventsUrl: e[DEPLOY_ENV.PAGERDUTY_EVENTS_URL] }),
    ...(e[DEPLOY_ENV.ALERT_SLACK] === "true" && { alertSlack: true as const }),
    ...(e[DEPLOY_ENV.RUNBOOK_BASE_URL] && { runbookBaseUrl: e[DEPLOY_ENV.RUNBOOK_BASE_URL] }),
    ...(e[DEPLOY_ENV.ALERT_EMAIL] && { alertEmail: e[DEPLOY_ENV.ALERT_EMAIL] }),
    apiAuthorization: issuer && audience ? { kind: "jwt", issuer, audience } : { kind: "iam" },
  };
}

function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`invalid deploy settings: ${DEPLOY_ENV.APPROVAL_POLICY_FILE} ${path} can't be read (${(error as Error).message})`, { cause: error });
  }
}
