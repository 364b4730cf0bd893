/**
 * The console's only server: the PayRox HTTP API. GETs revalidate with the ETag of the last answer
 * (`If-None-Match` → 304), so a poll that finds nothing new moves no body and redraws nothing.
 */

/** Where the API is and how the browser authenticates (see packages/console/README.md, `config.json`). */
export interface ConsoleConfig {
  apiUrl: string;
  auth: { kind: "none" } | { kind: "oidc"; issuer: string; clientId: string; scope?: string };
}

/** An API refusal: its `{ error: { code, message } }` body. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

/** A GET's answer: `changed` is false when the API answered 304 (the cached body is returned). */
export interface Fetched<T> {
  data: T;
  changed: boolean;
}

/**
 * Reads the configuration: `config.json` next to index.html if the deployment put one there, else the
 * `<meta name="payrox-api">` tag (empty: the page's own origin, as on the devnet).
 */
export async function loadConfig(): Promise<ConsoleConfig> {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="payrox-api"]')?.content ?? "";
  const fallback: ConsoleConfig = { apiUrl: meta || location.origin, auth: { kind: "none" } };
  const response = await fetch("config.json", { cache: "no-store" }).catch(() => undefined);
  if (!response?.ok || !response.headers.get("content-type")?.includes("json")) return fallback;
  const file = (await response.json()) as Partial<ConsoleConfig>;
  return { apiUrl: file.apiUrl || fallback.apiUrl, auth: file.auth ?? fallback.auth };
}

/** How the client authenticates: a bearer token per request (OIDC), and what to do when it is refused. */
export interface ApiAuth {
  token(): Promise<string>;
  refused(): void;
}

/** The HTTP API client with an ETag cache per path. */
export class ApiClient {
  readonly #base: string;
  readonly #auth: ApiAuth | undefined;
  readonly #cache = new Map<string, { etag: string; data: unknown }>();

  constructor(config: ConsoleConfig, auth?: ApiAuth) {
    this.#base = config.apiUrl.replace(/\/+$/, "");
    this.#auth = auth;
  }

  async #headers(extra: Record<string, string>): Promise<Record<string, string>> {
    return this.#auth ? { ...extra, authorization: `Bearer ${await this.#auth.token()}` } : extra;
  }

  #checked(response: Response): Response {
    if (response.status === 401) this.#auth?.refused();
    return response;
  }

  /** GETs `path`, revalidating the cached answer. */
  async get<T>(path: string): Promise<Fetched<T>> {
    const cached = this.#cache.get(path);
    const response = this.#checked(await fetch(this.#base + path, { cache: "no-store", headers: await this.#headers(cached ? { "if-none-match": cached.etag } : {}) }));
    if (response.status === 304 && cached) return { data: cached.data as T, changed: false };
    const data = await bodyOf<T>(response);
    const etag = response.headers.get("etag");
    if (etag) this.#cache.set(path, { etag, data });
    return { data, changed: true };
  }

  /** POSTs a JSON body. */
  async post<T>(path: string, body: unknown): Promise<T> {
    const response = this.#checked(await fetch(this.#base + path, { method: "POST", headers: await this.#headers({ "content-type": "application/json" }), body: JSON.stringify(body) }));
    return bodyOf<T>(response);
  }
}

async function bodyOf<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } & Record<string, unknown> };
  if (!response.ok) {
    const { code = "http-" + response.status, message = response.statusText, ...details } = body.error ?? {};
    throw new ApiRequestError(response.status, code, message, details);
  }
  return body as T;
}
