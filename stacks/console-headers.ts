/**
 * The web console's response headers: a Content-Security-Policy that lets the page load only its own
 * files and call only its API and its OIDC issuer, never be framed, and run no inline script unless the
 * build's own inline scripts are pinned by hash; and the browser API's CORS rules for the console's origin.
 */
import { createHash } from "node:crypto";

/** What the console's CSP allows the page to call and run. */
export interface ConsolePolicyInput {
  /** Origin of the browser API (`https://<id>.execute-api.<region>.amazonaws.com`; may be a deploy-time token). */
  apiOrigin: string;
  /** Origins the OIDC sign-in calls (discovery, token endpoint). */
  signInOrigins: readonly string[];
  /** `'sha256-…'` sources of the inline scripts index.html carries (none for the console's build). */
  scriptHashes?: readonly string[];
}

/**
 * The console's Content-Security-Policy: everything `'none'` unless listed; scripts, styles, images and
 * fonts from the site itself; `connect-src` the site (config.json), the API and the sign-in origins.
 * @example consoleContentSecurityPolicy({ apiOrigin: "https://abc.execute-api.eu-west-1.amazonaws.com", signInOrigins: ["https://id.example.com"] })
 */
export function consoleContentSecurityPolicy({ apiOrigin, signInOrigins, scriptHashes = [] }: ConsolePolicyInput): string {
  return [
    "default-src 'none'",
    ["script-src 'self'", ...scriptHashes].join(" "),
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "manifest-src 'self'",
    ["connect-src 'self'", apiOrigin, ...signInOrigins].join(" "),
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "upgrade-insecure-requests",
  ].join("; ");
}

/**
 * The `'sha256-…'` CSP source of each inline `<script>` (one without `src`) in `html`, so a build that
 * carries one keeps working under `script-src` without `'unsafe-inline'`.
 * @example inlineScriptHashes('<script>boot()</script>') // ["'sha256-…'"]
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\bsrc\s*=/i.test(match[1]!)) continue;
    hashes.push(`'sha256-${createHash("sha256").update(match[2]!, "utf8").digest("base64")}'`);
  }
  return [...new Set(hashes)];
}

/** HSTS max-age: two years, what browsers' preload lists expect of a site that means it. */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/** `Permissions-Policy`: the console needs no camera, microphone, location, payment or USB. */
export const CONSOLE_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/**
 * The browser API's CORS rules (API Gateway answers the preflight itself, before any authorizer):
 * the console's origin only; the bearer token, JSON bodies and ETag revalidation; ETag and Retry-After
 * readable by the page; no cookies.
 */
export const CONSOLE_CORS = {
  allowMethods: ["GET", "POST"],
  allowHeaders: ["authorization", "content-type", "if-none-match"],
  exposeHeaders: ["etag", "retry-after"],
  maxAgeSeconds: 600,
  allowCredentials: false,
} as const;
