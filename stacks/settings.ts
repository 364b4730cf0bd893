/**
 * Deploy-time choices that are not secrets, read from the deployer's environment (`.env.<stage>` is
 * loaded by SST): alert destinations and the API's authorization mode.
 */
import { z } from "zod";

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
} as const;

/** How API callers are authorized. */
export type ApiAuthorization = { kind: "iam" } | { kind: "jwt"; issuer: string; audience: string[] };

/** The validated deploy-time settings. */
export interface DeploySettings {
  alertWebhookUrl?: string;
  alertEmail?: string;
  apiAuthorization: ApiAuthorization;
}

const Schema = z.object({
  [DEPLOY_ENV.ALERT_WEBHOOK_URL]: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  [DEPLOY_ENV.ALERT_EMAIL]: z.email({ error: "must be an e-mail address" }).optional(),
  [DEPLOY_ENV.API_JWT_ISSUER]: z.url({ protocol: /^https$/, error: "must be an https URL" }).optional(),
  [DEPLOY_ENV.API_JWT_AUDIENCE]: z.string().min(1).optional(),
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
  return {
    ...(e[DEPLOY_ENV.ALERT_WEBHOOK_URL] && { alertWebhookUrl: e[DEPLOY_ENV.ALERT_WEBHOOK_URL] }),
    ...(e[DEPLOY_ENV.ALERT_EMAIL] && { alertEmail: e[DEPLOY_ENV.ALERT_EMAIL] }),
    apiAuthorization: issuer && audience ? { kind: "jwt", issuer, audience } : { kind: "iam" },
  };
}
