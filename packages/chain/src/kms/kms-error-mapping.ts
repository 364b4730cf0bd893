/**
 * Translation of AWS SDK / KMS failures into the signer's typed errors. Matches on the exception `name`
 * (the `__type` KMS answered with) and on Node's network error codes, so it works for modelled exceptions,
 * unmodelled ones (AccessDeniedException, ThrottlingException) and transport failures alike.
 */
import {
  KmsAccessDeniedError, KmsKeyDisabledError, KmsKeyNotFoundError, KmsKeySpecError, KmsSignerError, KmsUnavailableError,
  type KmsErrorContext,
} from "../errors.js";

type ErrorConstructor = new (context: KmsErrorContext) => KmsSignerError;

const BY_NAME: Record<string, ErrorConstructor> = {
  NotFoundException: KmsKeyNotFoundError,
  DisabledException: KmsKeyDisabledError,
  KMSInvalidStateException: KmsKeyDisabledError,
  InvalidKeyUsageException: KmsKeySpecError,
  UnsupportedOperationException: KmsKeySpecError,
  AccessDeniedException: KmsAccessDeniedError,
  UnrecognizedClientException: KmsAccessDeniedError,
  InvalidSignatureException: KmsAccessDeniedError,
  IncompleteSignatureException: KmsAccessDeniedError,
  MissingAuthenticationTokenException: KmsAccessDeniedError,
  ExpiredTokenException: KmsAccessDeniedError,
  CredentialsProviderError: KmsAccessDeniedError,
  TimeoutError: KmsUnavailableError,
  AbortError: KmsUnavailableError,
  ThrottlingException: KmsUnavailableError,
  LimitExceededException: KmsUnavailableError,
  KMSInternalException: KmsUnavailableError,
  DependencyTimeoutException: KmsUnavailableError,
  KeyUnavailableException: KmsUnavailableError,
  ServiceUnavailableException: KmsUnavailableError,
};

/** Node's codes for a connection that failed, was reset or timed out. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

interface SdkFailure {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The typed signer error for a failed KMS call on `keyId` (an error that already is one is returned as is). */
export function toKmsSignerError(error: unknown, keyId: string): KmsSignerError {
  if (error instanceof KmsSignerError) return error;
  const failure = (typeof error === "object" && error !== null ? error : {}) as SdkFailure;
  const detail = typeof failure.message === "string" && failure.message ? failure.message : String(error);
  const context: KmsErrorContext = { keyId, detail, cause: error };
  const byName = typeof failure.name === "string" ? BY_NAME[failure.name] : undefined;
  if (byName) return new byName(context);
  if (typeof failure.code === "string" && NETWORK_CODES.has(failure.code)) return new KmsUnavailableError(context);
  if ((failure.$metadata?.httpStatusCode ?? 0) >= 500) return new KmsUnavailableError(context);
  return new KmsSignerError(`KMS request for key ${keyId} failed`, context);
}
