/**
 * A deployment's approval policy: who may approve a proposal (EOA keys and ERC-1271 smart accounts such as
 * a Safe), how many must (threshold M), within how long, and how proposers map to approver addresses (so
 * a proposer can't approve its own proposal). Fails closed: a deployment states `approvals: "none"` to run
 * without approvals, and a protected stage refuses even that.
 */
import { getAddress, isAddress } from "ethers/address";
import { keccak256 } from "ethers/crypto";
import { toUtf8Bytes } from "ethers/utils";
import * as z from "zod";
import { ApprovalPolicyError } from "./errors.js";

/** Longest approval window a policy may set (30 days). */
export const MAX_APPROVAL_WINDOW_SECONDS = 30 * 24 * 3600;
/** Most approvers a policy may list. */
export const MAX_APPROVERS = 50;

const address = z
  .string({ error: "required: a 0x-prefixed 20-byte address" })
  .refine((value) => isAddress(value), "must be a 0x-prefixed 20-byte address (with a valid EIP-55 checksum if mixed-case)")
  .transform((value) => getAddress(value));

const approverId = z.string({ error: "required: a short name for the approver" }).regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "must be 1–64 letters, digits, '.', '_', '@' or '-'");

/** An approver holding an ordinary key: its signatures are recovered (65-byte or EIP-2098 64-byte). */
const EoaApproverSchema = z.strictObject({ id: approverId, address, kind: z.literal("eoa") });
/** A smart account (e.g. a Safe) on `network`: its signatures are checked with ERC-1271 `isValidSignature`. */
const Erc1271ApproverSchema = z.strictObject({
  id: approverId,
  address,
  kind: z.literal("erc1271"),
  network: z.string({ error: "required: the registry id of the network the account lives on" }).min(1, "must name a network"),
});

const ApproverSchema = z.discriminatedUnion("kind", [EoaApproverSchema, Erc1271ApproverSchema], { error: 'must be { id, address, kind: "eoa" } or { id, address, kind: "erc1271", network }' });

/** The `approvals` object of a policy that requires approvals. */
export const ApprovalRulesSchema = z
  .strictObject({
    approvers: z.array(ApproverSchema, { error: "required: the list of approvers" }).min(1, "must list at least one approver").max(MAX_APPROVERS, `lists more than ${MAX_APPROVERS} approvers`),
    threshold: z.number({ error: "required: how many approvers must approve (M)" }).int("must be a whole number").min(1, "must be at least 1"),
    windowSeconds: z
      .number({ error: "required: how long (seconds) after a proposal its approvals are accepted" })
      .int("must be a whole number of seconds")
      .min(60, "must be at least 60 seconds")
      .max(MAX_APPROVAL_WINDOW_SECONDS, `must be at most ${MAX_APPROVAL_WINDOW_SECONDS} seconds (30 days)`),
    proposerMap: z.record(z.string().min(1, "a proposer principal must be non-empty"), address, { error: "required: an object mapping proposer principals to their approver addresses ({} for none)" }),
    forbidSelfApproval: z.boolean({ error: "must be true or false" }).default(true),
    allOrNone: z.boolean({ error: "required: true or false — whether one network's halt before the cut-over holds the others" }),
  })
  .superRefine((rules, ctx) => {
    if (rules.threshold > rules.approvers.length) {
      ctx.addIssue({ code: "custom", path: ["threshold"], message: `is ${rules.threshold} but only ${rules.approvers.length} approver(s) are listed` });
    }
    const ids = new Set<string>();
    const addresses = new Set<string>();
    rules.approvers.forEach((approver, i) => {
      if (ids.has(approver.id)) ctx.addIssue({ code: "custom", path: ["approvers", i, "id"], message: `duplicate approver id ${approver.id}` });
      if (addresses.has(approver.address)) ctx.addIssue({ code: "custom", path: ["approvers", i, "address"], message: `${approver.address} is listed twice; an approver counts once` });
      ids.add(approver.id);
      addresses.add(approver.address);
    });
    for (const [proposer, mapped] of Object.entries(rules.proposerMap)) {
      if (!addresses.has(mapped)) ctx.addIssue({ code: "custom", path: ["proposerMap", proposer], message: `${mapped} is not one of the approvers` });
    }
  });

/** The policy document: `{ approvals: "none" }` or `{ approvals: { approvers, threshold, … } }`. */
export const ApprovalPolicySchema = z.strictObject({
  approvals: z.union([z.literal("none"), ApprovalRulesSchema], { error: 'required: "none" (explicitly, to run without approvals) or { approvers, threshold, windowSeconds, proposerMap, allOrNone }' }),
});

/** One approver of a policy (address in EIP-55 form). */
export type Approver = z.infer<typeof ApproverSchema>;
/** The rules of a policy that requires approvals (defaults applied, addresses normalised). */
export type ApprovalRules = z.infer<typeof ApprovalRulesSchema>;
/** A validated policy. */
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

/** Options of {@link loadApprovalPolicy}. */
export interface LoadApprovalPolicyOptions {
  /** The stage is protected (production): `approvals: "none"` is refused. */
  protectedStage: boolean;
  /** Whether a network id is known (the registry's `findNetwork`); ERC-1271 approvers must name one. @default any */
  isKnownNetwork?: (id: string) => boolean;
}

/**
 * Validates a policy document (an object or its JSON text).
 * @throws {ApprovalPolicyError} naming the first offending field: a missing or malformed policy, or `"none"` on a protected stage
 * @example loadApprovalPolicy(process.env.PAYROX_APPROVAL_POLICY, { protectedStage: stage === "prod" })
 */
export function loadApprovalPolicy(source: unknown, options: LoadApprovalPolicyOptions): ApprovalPolicy {
  if (source === undefined || source === null || source === "") {
    throw new ApprovalPolicyError("approvals", 'no approval policy is configured; set one, or state `{ "approvals": "none" }` explicitly to run without approvals (refused on a protected stage)');
  }
  let document = source;
  if (typeof source === "string") {
    try {
      document = JSON.parse(source);
    } catch (error) {
      throw new ApprovalPolicyError("", `is not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  // The rules are parsed on their own when `approvals` is an object, so an error names the exact field
  // instead of "matches neither 'none' nor the rules".
  const approvals = (document as { approvals?: unknown } | null)?.approvals;
  const isRules = approvals !== null && typeof approvals === "object";
  const parsed = isRules ? ApprovalPolicySchema.extend({ approvals: ApprovalRulesSchema }).safeParse(document) : ApprovalPolicySchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApprovalPolicyError(issue.path.map(String).join("."), issue.message, { cause: parsed.error });
  }
  const policy: ApprovalPolicy = parsed.data;
  if (policy.approvals === "none") {
    if (options.protectedStage) throw new ApprovalPolicyError("approvals", 'is "none" on a protected stage; a protected stage must require approvals (list approvers and a threshold)');
    return policy;
  }
  policy.approvals.approvers.forEach((approver, i) => {
    if (approver.kind === "erc1271" && options.isKnownNetwork && !options.isKnownNetwork(approver.network)) {
      throw new ApprovalPolicyError(`approvals.approvers.${i}.network`, `unknown network ${approver.network}; GET /networks lists the known ids`);
    }
  });
  return policy;
}


/**
 * Canonical JSON of validated policy data (strings, numbers, booleans, arrays, plain objects): object keys
 * sorted at every level, no whitespace; arrays keep their order. (Same rules as the audit chain's, kept
 * here so governance does not import the run store's types.)
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The policy's hash: keccak256 of its canonical JSON after validation (defaults applied, addresses in
 * EIP-55 form), so two spellings of the same policy hash alike and any change of rule changes it.
 */
export function policyHash(policy: ApprovalPolicy): string {
  return keccak256(toUtf8Bytes(canonicalJson(policy)));
}

/** The approver at `address` (any case), if the policy lists one. */
export function findApprover(rules: ApprovalRules, address: string): Approver | undefined {
  const wanted = address.toLowerCase();
  return rules.approvers.find((a) => a.address.toLowerCase() === wanted);
}
