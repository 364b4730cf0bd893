/**
 * Sign-in for a deployment whose browser routes take a JWT (`config.json` auth `oidc`): the OpenID
 * Connect authorization-code flow with PKCE (S256), as a public client — no secret in the page. The
 * token lives in sessionStorage (this tab only) and is sent as `Authorization: Bearer`.
 */

/** `config.json`'s `auth` of kind `oidc`. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** @default "openid" */
  scope?: string;
}

interface StoredToken {
  token: string;
  expiresAtMs: number;
}

const TOKEN_KEY = "payrox.oidc.token";
const PENDING_KEY = "payrox.oidc.pending";

/** A sign-in that could not complete (the issuer refused, the state did not match…). */
export class SignInError extends Error {
  constructor(message: string) {
    super(`sign-in failed: ${message}; reload the page to try again`);
    this.name = "SignInError";
  }
}

/**
 * The bearer token: the stored one while valid; after the issuer's redirect, the one the code is
 * exchanged for; otherwise the page is sent to the issuer to sign in (and this never resolves).
 */
export async function signedInToken(settings: OidcSettings): Promise<string> {
  const stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? "null") as StoredToken | null;
  if (stored && stored.expiresAtMs > Date.now() + 30_000) return stored.token;
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (code || params.get("error")) return finishSignIn(settings, params);
  await startSignIn(settings);
  return new Promise<never>(() => {});
}

/** Forgets the token (the API refused it): the next request signs in again. */
export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function discover(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const response = await fetch(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
  if (!response.ok) throw new SignInError(`the issuer's discovery document answered ${response.status}`);
  return (await response.json()) as { authorization_endpoint: string; token_endpoint: string };
}

function redirectUri(): string {
  return location.origin + location.pathname;
}

async function startSignIn(settings: OidcSettings): Promise<void> {
  const { authorization_endpoint } = await discover(settings.issuer);
  const verifier = randomText(48);
  const state = randomText(24);
  // The view to come back to: the hash is not sent to the issuer.
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const query = new URLSearchParams({ response_type: "code", client_id: settings.clientId, redirect_uri: redirectUri(), scope: settings.scope ?? "openid", state, code_challenge: challenge, code_challenge_method: "S256" });
  location.assign(`${authorization_endpoint}?${query}`);
}

async function finishSignIn(settings: OidcSettings, params: URLSearchParams): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as { verifier: string; state: string; hash: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", redirectUri() + (pending?.hash ?? ""));
  if (params.get("error")) throw new SignInError(`the issuer answered ${params.get("error")}: ${params.get("error_description") ?? ""}`);
  if (!pending || pending.state !== params.get("state")) throw new SignInError("the issuer's answer does not belong to a sign-in this tab started (state mismatch)");
  const { token_endpoint } = await discover(settings.issuer);
  const response = await fetch(token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: params.get("code")!, redirect_uri: redirectUri(), client_id: settings.clientId, code_verifier: pending.verifier }),
  });
  if (!response.ok) throw new SignInError(`the token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { access_token?: string; id_token?: string; expires_in?: number };
  const token = tokens.access_token ?? tokens.id_token;
  if (!token) throw new SignInError("the token endpoint returned no token");
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token, expiresAtMs: Date.now() + (tokens.expires_in ?? 300) * 1000 } satisfies StoredToken));
  return token;
}

function randomText(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(data: Uint8Array): string {
  return btoa(String.fromCharCode(...data)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
