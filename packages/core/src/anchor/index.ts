/** Audit anchors: the audit chains' heads kept outside the table, and the check of a chain against them. */
export * from "./types.js";
export * from "./ports.js";
export * from "./anchor-chain.js";
