export { startKmsServer, type KmsServer, type KmsServerOptions } from "./kms/kms-server.js";
export { DEVELOPMENT_KEYS_WARNING, KEY_FILE_FORMAT } from "./kms/key-file.js";
export type { HighSPolicy } from "./kms/key-material.js";
export { KmsExceptionType, type KmsExceptionTypeName } from "./kms/kms-service-error.js";
export * from "./relay/index.js";
export * from "./scheduler/index.js";
export { startLocalApi, type ApiLambdaHandler, type LocalApi, type LocalApiOptions } from "./api/local-api.js";
export * from "./webhook/index.js";
