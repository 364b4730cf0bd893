/**
 * The errors the local KMS server answers with, named exactly as AWS KMS names them, so the AWS SDK turns
 * them into the same exception classes a real KMS endpoint would produce.
 */

/** AWS KMS exception names the local server can answer with (the `__type` of an error body). */
export const KmsExceptionType = {
  AccessDenied: "AccessDeniedException",
  AlreadyExists: "AlreadyExistsException",
  Disabled: "DisabledException",
  DryRunOperation: "DryRunOperationException",
  IncompleteSignature: "IncompleteSignatureException",
  Internal: "KMSInternalException",
  InvalidKeyUsage: "InvalidKeyUsageException",
  InvalidMarker: "InvalidMarkerException",
  InvalidSignature: "InvalidSignatureException",
  InvalidState: "KMSInvalidStateException",
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
  NotFound: "NotFoundException",
  Serialization: "SerializationException",
  UnknownOperation: "UnknownOperationException",
  UnsupportedOperation: "UnsupportedOperationException",
  Validation: "ValidationException",
} as const;

/** One of {@link KmsExceptionType}'s values. */
export type KmsExceptionTypeName = (typeof KmsExceptionType)[keyof typeof KmsExceptionType];

/**
 * A KMS error answer: the server writes it as HTTP `status` with body `{"__type": type, "message": message}`
 * and the `x-amzn-ErrorType` header, as AWS JSON 1.1 services do.
 */
export class KmsServiceError extends Error {
  /** The AWS exception name, e.g. `NotFoundException`. */
  readonly type: KmsExceptionTypeName;
  /** HTTP status of the answer: 400 for client faults, 500 for server faults. */
  readonly status: number;

  constructor(type: KmsExceptionTypeName, message: string, status = 400) {
    super(message);
    this.name = "KmsServiceError";
    this.type = type;
    this.status = status;
  }
}
