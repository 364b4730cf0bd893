/** Signer key rotation: the audit stream, retired signers, quiescence. */
export * from "./rotation.js";
