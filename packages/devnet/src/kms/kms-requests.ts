/**
 * Request bodies of the KMS operations the local server implements, as zod schemas with AWS's field names and
 * limits. Anything that does not match is answered with a `ValidationException`, as AWS does.
 */
import * as z from "zod";
import { AWS_KEY_SPECS, AWS_KEY_USAGES } from "./key-material.js";
import { KmsExceptionType, KmsServiceError } from "./kms-service-error.js";

/** Every `SigningAlgorithm` value AWS KMS accepts. */
export const AWS_SIGNING_ALGORITHMS = [
  "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
  "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
  "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512", "SM2DSA", "ML_DSA_SHAKE_256", "ED25519_SHA_512", "ED25519_PH_SHA_512",
] as const;

const keyId = z.string().min(1).max(2048);
const grantTokens = z.array(z.string().min(1).max(8192)).max(10).optional();
const limit = z.number().int().min(1).max(1000).optional();
const marker = z.string().min(1).max(1024).optional();

/** `CreateKey` (Policy and Tags are accepted and ignored: the devnet has no IAM). */
export const createKeyRequest = z.object({
  Description: z.string().max(8192).optional(),
  KeySpec: z.enum(AWS_KEY_SPECS).optional(),
  CustomerMasterKeySpec: z.enum(AWS_KEY_SPECS).optional(),
  KeyUsage: z.enum(AWS_KEY_USAGES).optional(),
  Origin: z.enum(["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]).optional(),
  MultiRegion: z.boolean().optional(),
  Policy: z.string().min(1).max(32768).optional(),
  BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
  Tags: z.array(z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) })).max(50).optional(),
});

/** `DescribeKey`, `GetPublicKey`, `EnableKey`, `DisableKey`. */
export const keyIdRequest = z.object({ KeyId: keyId, GrantTokens: grantTokens });

/** `Sign`: the Message blob is decoded from base64 and must be 1–4096 bytes. */
export const signRequest = z.object({
  KeyId: keyId,
  Message: z
    .base64()
    .transform((text) => Buffer.from(text, "base64"))
    .refine((bytes) => bytes.length >= 1 && bytes.length <= 4096, "Member must have length between 1 and 4096 bytes"),
  MessageType: z.enum(["RAW", "DIGEST", "EXTERNAL_MU"]).optional(),
  SigningAlgorithm: z.enum(AWS_SIGNING_ALGORITHMS),
  GrantTokens: grantTokens,
  DryRun: z.boolean().optional(),
});

/** `ListKeys` */
export const listKeysRequest = z.object({ Limit: limit, Marker: marker });

/** `CreateAlias` */
export const createAliasRequest = z.object({
  AliasName: z.string().min(1).max(256).regex(/^alias\/[a-zA-Z0-9/_-]+$/, "Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$"),
  TargetKeyId: keyId,
});

/** `ListAliases` */
export const listAliasesRequest = z.object({ KeyId: keyId.optional(), Limit: limit, Marker: marker });

/**
 * Parses `body` with `schema`.
 *
 * @throws KmsServiceError `ValidationException` listing every problem, in the spirit of AWS's
 *   "N validation errors detected: …" message.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `Value at '${issue.path.join(".") || "(body)"}' failed to satisfy constraint: ${issue.message}`);
  const count = problems.length;
  throw new KmsServiceError(KmsExceptionType.Validation, `${count} validation error${count === 1 ? "" : "s"} detected: ${problems.join("; ")}`);
}
