export * from "./errors.js";
export { KmsSigner, KMS_ETHEREUM_KEY, type KmsKeyDescription, type KmsSignerOptions } from "./kms/kms-signer.js";
export { createKmsClient, KMS_REQUEST_TIMEOUTS, KMS_RETRY_DEFAULTS } from "./kms/kms-client.js";
export { toKmsSignerError } from "./kms/kms-error-mapping.js";
export { DerFormatError, SECP256K1_N, isHighS, parseDerEcdsaSignature, parseSecp256k1PublicKeyDer, toLowS, type EcdsaSignatureValues } from "./kms/der.js";
export * from "./dispatcher/index.js";
export * from "./tx/index.js";
export * from "./relay/index.js";
export * from "./gateway/index.js";
