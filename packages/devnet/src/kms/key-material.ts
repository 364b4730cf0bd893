/**
 * Key material of the local KMS server: generation, public keys as DER SubjectPublicKeyInfo, and ECDSA
 * secp256k1 signatures as DER — with a high s half of the time, as real KMS produces.
 *
 * DEVELOPMENT ONLY: private keys live in plain text in the devnet's key file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomInt } from "node:crypto";
import { SigningKey, getBytes, hexlify, toBeArray } from "ethers";
import { KmsExceptionType, KmsServiceError } from "./kms-service-error.js";

/** Every `KeySpec` value AWS KMS accepts (the request enum); the devnet creates only {@link DEVNET_KEY_SPECS}. */
export const AWS_KEY_SPECS = [
  "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
  "ECC_NIST_EDWARDS25519", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2",
  "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
] as const;

/** Every `KeyUsage` value AWS KMS accepts. */
export const AWS_KEY_USAGES = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"] as const;

/** An AWS KMS key spec name. */
export type AwsKeySpec = (typeof AWS_KEY_SPECS)[number];
/** An AWS KMS key usage name. */
export type AwsKeyUsage = (typeof AWS_KEY_USAGES)[number];

/**
 * The key specs the devnet can create, with the usages AWS allows for each. Only ECC_SECG_P256K1 can sign;
 * the others exist so that clients can be tested against keys of the wrong spec.
 */
export const DEVNET_KEY_SPECS: Partial<Record<AwsKeySpec, readonly AwsKeyUsage[]>> = {
  ECC_SECG_P256K1: ["SIGN_VERIFY"],
  ECC_NIST_P256: ["SIGN_VERIFY", "KEY_AGREEMENT"],
  RSA_2048: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
  SYMMETRIC_DEFAULT: ["ENCRYPT_DECRYPT"],
};

/** The signing algorithms AWS lists for a key spec used for SIGN_VERIFY. */
export function signingAlgorithmsOf(keySpec: AwsKeySpec): string[] {
  if (keySpec === "ECC_SECG_P256K1" || keySpec === "ECC_NIST_P256") return ["ECDSA_SHA_256"];
  if (keySpec.startsWith("RSA_")) {
    return ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"];
  }
  return [];
}

/** The encryption algorithms AWS lists for a key spec used for ENCRYPT_DECRYPT. */
export function encryptionAlgorithmsOf(keySpec: AwsKeySpec): string[] {
  if (keySpec === "SYMMETRIC_DEFAULT") return ["SYMMETRIC_DEFAULT"];
  if (keySpec.startsWith("RSA_")) return ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];
  return [];
}

/**
 * Generates private key material for `keySpec`: a 0x-hex scalar for ECC_SECG_P256K1, base64 PKCS#8 DER for
 * the other asymmetric specs, base64 random bytes for SYMMETRIC_DEFAULT.
 */
export function generatePrivateKey(keySpec: AwsKeySpec): string {
  switch (keySpec) {
    case "ECC_SECG_P256K1":
      // A uniformly random 32-byte scalar is ≥ n with probability ~2^-128; SigningKey rejects it then.
      return new SigningKey(hexlify(randomBytes(32))).privateKey;
    case "ECC_NIST_P256":
      return pkcs8(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey);
    case "RSA_2048":
      return pkcs8(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
    case "SYMMETRIC_DEFAULT":
      return randomBytes(32).toString("base64");
    default:
      throw new KmsServiceError(KmsExceptionType.UnsupportedOperation, `KeySpec ${keySpec} is not supported by the PayRox devnet KMS server.`);
  }
}

/** The DER SubjectPublicKeyInfo of an asymmetric key, encoded by OpenSSL (node:crypto). */
export function publicKeyDer(keySpec: AwsKeySpec, privateKey: string): Buffer {
  if (keySpec === "SYMMETRIC_DEFAULT") {
    throw new KmsServiceError(KmsExceptionType.UnsupportedOperation, "GetPublicKey is not supported for symmetric keys.");
  }
  const key = keySpec === "ECC_SECG_P256K1" ? secp256k1PublicKeyObject(privateKey) : createPublicKey(privateKeyObject(privateKey));
  return key.export({ type: "spki", format: "der" });
}

/** How the server picks between the two valid values of s (s and n − s) for each signature. */
export type HighSPolicy = "random" | "always" | "never";

/** The secp256k1 group order n. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Signs a 32-byte digest with a secp256k1 key and returns the DER `SEQUENCE { INTEGER r, INTEGER s }`.
 * ethers signs with low s; like real KMS (which does not normalise s) the server returns n − s instead when
 * `highS` says so — half of the time under "random". Both values verify.
 */
export function signSecp256k1Digest(privateKey: string, digest: Uint8Array, highS: HighSPolicy): Buffer {
  const signature = new SigningKey(privateKey).sign(digest);
  const lowS = BigInt(signature.s);
  const flip = highS === "always" || (highS === "random" && randomInt(2) === 1);
  return derEcdsaSignature(BigInt(signature.r), flip ? SECP256K1_N - lowS : lowS);
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` (at most 72 bytes, so the length always fits the short form). */
function derEcdsaSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derPositiveInteger(r), derPositiveInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** DER INTEGER of a positive value: minimal big-endian bytes, with a 0x00 pad when the top bit is set. */
function derPositiveInteger(value: bigint): Buffer {
  const bytes = Buffer.from(toBeArray(value));
  const content = bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return Buffer.concat([Buffer.from([0x02, content.length]), content]);
}

function secp256k1PublicKeyObject(privateKey: string) {
  const point = getBytes(new SigningKey(privateKey).publicKey);
  const jwk = {
    kty: "EC",
    crv: "secp256k1",
    x: Buffer.from(point.subarray(1, 33)).toString("base64url"),
    y: Buffer.from(point.subarray(33, 65)).toString("base64url"),
  };
  return createPublicKey({ key: jwk, format: "jwk" });
}

function privateKeyObject(pkcs8Base64: string) {
  return createPrivateKey({ key: Buffer.from(pkcs8Base64, "base64"), format: "der", type: "pkcs8" });
}

function pkcs8(key: ReturnType<typeof createPrivateKey>): string {
  return key.export({ type: "pkcs8", format: "der" }).toString("base64");
}
