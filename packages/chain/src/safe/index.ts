/** A dispatcher admin held by a Safe: admin calls, Safe transactions and their hashes, a Safe's state. */
export * from "./errors.js";
export * from "./admin-call.js";
export * from "./safe-transaction.js";
export * from "./admin-transaction.js";
