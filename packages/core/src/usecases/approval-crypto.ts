/**
 * What the approval gates hash and verify with — the policy's and the manifest's hashes, signature recovery
 * (ethers, secp256k1) — which the gates load with `import()` when one first applies: a step's and the
 * watchdog's start-up then hold none of it, and only a step with approvals to check loads signature recovery.
 */
export { policyHash } from "../governance/policy.js";
export { manifestFileHash } from "../governance/typed-data.js";
export { verifyQuorum } from "../governance/approval.js";
