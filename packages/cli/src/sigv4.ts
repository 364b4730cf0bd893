/**
 * SigV4 signing of API requests for a deployed stack (`execute-api`, IAM auth), with the default AWS
 * credential chain (environment, profile, SSO, instance role). Loaded only for non-loopback API URLs.
 */
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

/** Signs a request (SigV4 in production); returns the headers to send. */
export type RequestSigner = (request: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Record<string, string>>;

/** The region in an `execute-api` host name (`<id>.execute-api.<region>.amazonaws.com`), else AWS_REGION. */
export function regionOf(url: URL): string {
  const match = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname);
  return match?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/** A {@link RequestSigner} for the API at `base`. */
export function sigV4Signer(base: URL): RequestSigner {
  const signer = new SignatureV4({ service: "execute-api", region: regionOf(base), credentials: defaultProvider(), sha256: Hash.bind(null, "sha256") });
  return async ({ method, url, headers, body }) => {
    const query = Object.fromEntries(url.searchParams);
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      ...(body !== undefined && { body }),
    });
    return signed.headers as Record<string, string>;
  };
}
