/** Governance: approval policy, EIP-712 typed data, signature verification, approval ports. */
export * from "./errors.js";
export * from "./policy.js";
export * from "./typed-data.js";
export * from "./ports.js";
export * from "./verify.js";
export * from "./approval.js";
