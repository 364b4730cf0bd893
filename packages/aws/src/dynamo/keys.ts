/**
 * The single-table key design: every item has string keys `PK` / `SK`; proposals also carry `GSI1PK` /
 * `GSI1SK` for listing by creation time. Key parts are joined with `#`, so parts that come from callers
 * (proposal id, network, step attempt) must not contain `#`. See packages/aws/README.md for the access
 * patterns these keys serve.
 */
import { createHash } from "node:crypto";
import type { StepName } from "@payrox/core/runs";
import { StoreInputError } from "../errors.js";

/** Names of the key attributes and of the one global secondary index. */
export const TableKeys = {
  PK: "PK",
  SK: "SK",
  GSI1PK: "GSI1PK",
  GSI1SK: "GSI1SK",
  /** The GSI that lists proposals by creation time. */
  GSI1: "GSI1",
  /** Epoch-seconds attribute DynamoDB TTL deletes by: set on unfinished step leases only. */
  TTL: "ttl",
} as const;

/** The `type` attribute of each kind of item. */
export const ItemType = {
  PROPOSAL: "proposal",
  RUN: "run",
  STEP: "step",
  AUDIT: "audit",
  AUDIT_KEY: "audit-key",
  NETWORK_LOCK: "network-lock",
  TX_NONCE: "tx-nonce",
  NONCE: "nonce",
  TX: "tx",
  TX_HASH: "tx-hash",
  INCIDENT: "incident",
  GAS: "gas",
  CURSOR: "cursor",
  DEAD_LETTER: "dead-letter",
  ALERT_DELIVERY: "alert-delivery",
  APPROVAL: "approval",
  POLICY: "policy",
} as const;
/** One of {@link ItemType}. */
export type ItemType = (typeof ItemType)[keyof typeof ItemType];

/** A primary key. */
export interface ItemKey {
  PK: string;
  SK: string;
}

/** Attributes that exist for storage only and are stripped before an item becomes a domain object. */
const STORAGE_ATTRIBUTES: ReadonlySet<string> = new Set([TableKeys.PK, TableKeys.SK, TableKeys.GSI1PK, TableKeys.GSI1SK, TableKeys.TTL, "type"]);

/** The partition of the proposal listing GSI (one partition: proposals are created rarely). */
export const PROPOSAL_LIST_PARTITION = "PROPOSALS";
/** SK prefixes inside a proposal's partition. */
export const SkPrefix = { RUN: "RUN#", STEP: "STEP#", AUDIT: "AUDIT#", AUDIT_KEY: "AUDITKEY#", APPROVAL: "APPROVAL#" } as const;

/**
 * Longest key part, in UTF-8 bytes. DynamoDB refuses a partition key over 2,048 bytes and a sort key over
 * 1,024 (a `ValidationException`); a bounded part keeps every key built from one caller-supplied part
 * (`PROPOSAL#<id>`, `<created>#<id>`) inside both.
 */
export const MAX_KEY_PART_BYTES = 512;

/** Whether `value` can be a key part: non-empty, free of the `#` separator, at most {@link MAX_KEY_PART_BYTES}. */
export function isKeyPart(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && !value.includes("#") && Buffer.byteLength(value, "utf8") <= MAX_KEY_PART_BYTES;
}

/** Checks a caller-supplied key part: non-empty, free of the `#` separator, at most {@link MAX_KEY_PART_BYTES}. */
export function keyPart(field: string, value: string): string {
  if (typeof value !== "string" || value.length === 0) throw new StoreInputError(field, "must be a non-empty string");
  if (value.includes("#")) throw new StoreInputError(field, `must not contain "#" (the key separator), got ${JSON.stringify(value.slice(0, 80))}`);
  if (!isKeyPart(value)) throw new StoreInputError(field, `must be at most ${MAX_KEY_PART_BYTES} bytes (UTF-8), got ${Buffer.byteLength(value, "utf8")}`);
  return value;
}

/** Left-pads a non-negative integer so that string order is numeric order. */
export function padNumber(field: string, value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || String(value).length > width) {
    throw new StoreInputError(field, `must be an integer in [0, ${10 ** width - 1}], got ${value}`);
  }
  return String(value).padStart(width, "0");
}

/** Key of a proposal item. */
export function proposalKey(proposalId: string): ItemKey {
  return { PK: `PROPOSAL#${keyPart("proposalId", proposalId)}`, SK: "PROPOSAL" };
}

/** GSI1 keys of a proposal: one partition, sorted by creation time, then id. */
export function proposalListKeys(proposalId: string, createdAtMs: number): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: PROPOSAL_LIST_PARTITION, GSI1SK: `${padNumber("createdAtMs", createdAtMs, 15)}#${keyPart("proposalId", proposalId)}` };
}

/** Key of a run (one proposal on one network), in its proposal's partition. */
export function runKey(proposalId: string, network: string): ItemKey {
  return { PK: proposalKey(proposalId).PK, SK: `${SkPrefix.RUN}${keyPart("network", network)}` };
}

/** Key of a step lease / completion, in its proposal's partition. */
export function stepKey(proposalId: string, network: string, step: StepName, attempt: string): ItemKey {
  return { PK: proposalKey(proposalId).PK, SK: `${SkPrefix.STEP}${keyPart("network", network)}#${keyPart("step", step)}#${keyPart("attempt", attempt)}` };
}

/** Key of an audit entry; seq is zero-padded to 10 digits so SK order is seq order. */
export function auditKey(proposalId: string, seq: number): ItemKey {
  return { PK: proposalKey(proposalId).PK, SK: `${SkPrefix.AUDIT}${padNumber("seq", seq, 10)}` };
}

/**
 * Key of the marker that an audit entry with idempotency key `key` exists (it holds the entry's seq). The
 * key is hashed: it is caller-chosen (a journal step id) and may be long or contain `#`.
 */
export function auditMarkerKey(proposalId: string, key: string): ItemKey {
  if (typeof key !== "string" || key.length === 0) throw new StoreInputError("key", "must be a non-empty string");
  return { PK: proposalKey(proposalId).PK, SK: `${SkPrefix.AUDIT_KEY}${createHash("sha256").update(key).digest("hex")}` };
}

/** Key of one approver's record on a proposal, in its partition; the address is lower-cased, so an approver has one record. */
export function approvalKey(proposalId: string, approver: string): ItemKey {
  if (typeof approver !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(approver)) throw new StoreInputError("approver", `must be a 0x-prefixed 20-byte address, got ${JSON.stringify(String(approver).slice(0, 80))}`);
  return { PK: proposalKey(proposalId).PK, SK: `${SkPrefix.APPROVAL}${approver.toLowerCase()}` };
}

/** Key of the deployment's policy record: the hash of the approval policy it last ran with. */
export const POLICY_RECORD_KEY: ItemKey = { PK: "POLICY", SK: "CURRENT" };

/** Key of a network's lock: the one proposal whose unfinished run may commit there. */
export function networkLockKey(network: string): ItemKey {
  return { PK: `NETLOCK#${keyPart("network", network)}`, SK: "NETLOCK" };
}

/** Key of the nonce state of one (network, signer); the signer is compared case-insensitively. */
export function nonceKey(network: string, signer: string): ItemKey {
  return { PK: `NONCE#${keyPart("network", network)}#${keyPart("signer", signer).toLowerCase()}`, SK: "NONCE" };
}

/** Key of a write-ahead journal record; the step id is opaque (may contain `#` and `/`). */
export function txKey(stepId: string): ItemKey {
  if (typeof stepId !== "string" || stepId.length === 0) throw new StoreInputError("stepId", "must be a non-empty string");
  return { PK: `TX#${stepId}`, SK: "TX" };
}

/** Key of the journal's index by transaction hash (lower-case): which step signed it. */
/** Key of the index item naming the step journaled at (network, signer, nonce). */
export function txNonceKey(network: string, from: string, nonce: number): ItemKey {
  return { PK: `TXNONCE#${keyPart("network", network)}#${keyPart("from", from).toLowerCase()}#${padNumber("nonce", nonce, 12)}`, SK: "TXNONCE" };
}

export function txHashKey(txHash: string): ItemKey {
  if (typeof txHash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(txHash)) throw new StoreInputError("txHash", `must be a 32-byte 0x-hex hash, got ${JSON.stringify(String(txHash).slice(0, 80))}`);
  return { PK: `TXHASH#${txHash.toLowerCase()}`, SK: "TXHASH" };
}

/** The GSI1 partition that lists incidents by opening time (sparse: only incident items carry it). */
export const INCIDENT_LIST_PARTITION = "INCIDENTS";

/** GSI1 keys of an incident: one partition, sorted by opening time, then dedupe key. */
export function incidentListKeys(dedupeKey: string, openedAtMs: number): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: INCIDENT_LIST_PARTITION, GSI1SK: `${padNumber("openedAtMs", openedAtMs, 15)}#${keyPart("dedupeKey", dedupeKey)}` };
}

/** Key of an alert incident (dedupe and resolution state). */
export function incidentKey(dedupeKey: string): ItemKey {
  return { PK: `INCIDENT#${keyPart("dedupeKey", dedupeKey)}`, SK: "INCIDENT" };
}

/** Key of the gas history of one (network, step). */
export function gasHistoryKey(network: string, step: string): ItemKey {
  return { PK: `GAS#${keyPart("network", network)}#${keyPart("step", step)}`, SK: "GAS" };
}

/** Key of the chain watcher's cursor on one network. */
export function chainCursorKey(network: string): ItemKey {
  return { PK: `CURSOR#${keyPart("network", network)}`, SK: "CURSOR" };
}

/** The one partition of dead letters, and a letter's key in it: newest last in SK order. */
export const DEAD_LETTER_PARTITION = "DEADLETTERS";

/** Key of one dead letter. */
export function deadLetterKey(atMs: number, alertId: string, endpoint: string): ItemKey {
  return { PK: DEAD_LETTER_PARTITION, SK: `${padNumber("atMs", atMs, 15)}#${keyPart("alertId", alertId)}#${keyPart("endpoint", endpoint)}` };
}

/** The domain object of an item: every attribute except the storage-only ones. */
export function fromItem<T>(item: Record<string, unknown>): T {
  const domain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) if (!STORAGE_ATTRIBUTES.has(name)) domain[name] = value;
  return domain as T;
}
