/**
 * Which dispatcher events PayRox did not cause, and the alert each raises: one alert type per family of
 * privileged events (roles, admin transfer, activation delay, pause, selector disable, upgrade lifecycle,
 * cancel), a severity per event, the event as evidence, and a dedupe key that names the incident by the
 * transaction hash and the event's content — never by its block hash or log index, which a reorg changes
 * while the incident stays the same.
 *
 * Whether PayRox caused a transaction is decided by the caller (watch-chain.ts), from PayRox's own
 * records; this module only says what an outside transaction's events mean.
 */
import type { DispatcherEvent } from "./ports.js";
import { AlertType, type AlertDraft, type AlertSeverity, type EvidenceValue } from "./types.js";

/** AccessControl's DEFAULT_ADMIN_ROLE (`bytes32(0)`). */
export const DEFAULT_ADMIN_ROLE = `0x${"00".repeat(32)}`;

/** The alert types of out-of-band dispatcher events, one per family. */
export type OutOfBandAlertType =
  | typeof AlertType.OUT_OF_BAND_ROLE_CHANGE
  | typeof AlertType.OUT_OF_BAND_ADMIN_TRANSFER
  | typeof AlertType.OUT_OF_BAND_DELAY_CHANGE
  | typeof AlertType.OUT_OF_BAND_PAUSE
  | typeof AlertType.OUT_OF_BAND_SELECTOR_DISABLED
  | typeof AlertType.OUT_OF_BAND_COMMIT
  | typeof AlertType.OUT_OF_BAND_CANCEL
  | typeof AlertType.UNAUTHORIZED;

/** What one dispatcher event is, for an alert: its family's type, its severity, a short description. */
export interface EventMeaning {
  type: OutOfBandAlertType;
  severity: AlertSeverity;
  what: string;
}

/**
 * The events of one chunked cancel (`CancelStarted`, `RoutesUnstaged` per chunk, `RootCancelled`): a cancel
 * PayRox did not send is one incident, however many chunks and transactions it took.
 */
export const CANCEL_EVENTS: ReadonlySet<string> = new Set(["CancelStarted", "RoutesUnstaged", "RootCancelled"]);

const MEANINGS: Readonly<Record<string, (args: Record<string, string>) => EventMeaning>> = {
  RoleGranted: (a) => roleEvent(a, "granted"),
  RoleRevoked: (a) => roleEvent(a, "revoked"),
  RoleAdminChanged: (a) => ({ type: AlertType.OUT_OF_BAND_ROLE_CHANGE, severity: "critical", what: `admin role of ${a.role} changed to ${a.newAdminRole}` }),
  DefaultAdminTransferScheduled: (a) => ({ type: AlertType.OUT_OF_BAND_ADMIN_TRANSFER, severity: "critical", what: `admin transfer to ${a.newAdmin} scheduled (acceptable from ${a.acceptSchedule})` }),
  DefaultAdminTransferCanceled: () => ({ type: AlertType.OUT_OF_BAND_ADMIN_TRANSFER, severity: "warning", what: "scheduled admin transfer cancelled" }),
  DefaultAdminDelayChangeScheduled: (a) => ({ type: AlertType.OUT_OF_BAND_ADMIN_TRANSFER, severity: "critical", what: `admin transfer delay change to ${a.newDelay} s scheduled` }),
  DefaultAdminDelayChangeCanceled: () => ({ type: AlertType.OUT_OF_BAND_ADMIN_TRANSFER, severity: "warning", what: "scheduled admin transfer delay change cancelled" }),
  // A decrease weakens the timelock (it is itself time-locked); an increase only makes upgrades slower.
  ActivationDelayChangeScheduled: (a) => ({ type: AlertType.OUT_OF_BAND_DELAY_CHANGE, severity: "critical", what: `activation delay decrease to ${a.newDelay} s scheduled (effective ${a.effectSchedule})` }),
  ActivationDelaySet: (a) => ({ type: AlertType.OUT_OF_BAND_DELAY_CHANGE, severity: "warning", what: `activation delay set from ${a.previousDelay} s to ${a.newDelay} s` }),
  ActivationDelayChangeCanceled: () => ({ type: AlertType.OUT_OF_BAND_DELAY_CHANGE, severity: "warning", what: "scheduled activation delay change cancelled" }),
  Paused: () => ({ type: AlertType.OUT_OF_BAND_PAUSE, severity: "critical", what: "dispatcher paused" }),
  Unpaused: () => ({ type: AlertType.OUT_OF_BAND_PAUSE, severity: "critical", what: "dispatcher unpaused" }),
  SelectorDisabled: (a) => ({ type: AlertType.OUT_OF_BAND_SELECTOR_DISABLED, severity: "critical", what: `selector ${a.selector} disabled (was routed to ${a.facet})` }),
  RootCommitted: (a) => ({ type: AlertType.OUT_OF_BAND_COMMIT, severity: "critical", what: `root ${a.root} committed at epoch ${a.epoch} (ETA ${a.eta})` }),
  RoutesApplied: (a) => ({ type: AlertType.OUT_OF_BAND_COMMIT, severity: "critical", what: `${a.count} routes of root ${a.root} applied` }),
  RootActivated: (a) => ({ type: AlertType.OUT_OF_BAND_COMMIT, severity: "critical", what: `root ${a.root} activated at epoch ${a.epoch}` }),
  SelectorsPruned: (a) => ({ type: AlertType.OUT_OF_BAND_COMMIT, severity: "warning", what: `${a.count} dead selectors pruned from the loupe list` }),
  CancelStarted: (a) => ({ type: AlertType.OUT_OF_BAND_CANCEL, severity: "critical", what: `cancel of root ${a.root} (epoch ${a.epoch}) started` }),
  RoutesUnstaged: (a) => ({ type: AlertType.OUT_OF_BAND_CANCEL, severity: "critical", what: `cancel of root ${a.root} (epoch ${a.epoch}) unstaged ${a.count} routes, ${a.remaining} left` }),
  RootCancelled: (a) => ({ type: AlertType.OUT_OF_BAND_CANCEL, severity: "critical", what: `root ${a.root} (epoch ${a.epoch}) cancelled` }),
};

function roleEvent(a: Record<string, string>, verb: "granted" | "revoked"): EventMeaning {
  // A lone DEFAULT_ADMIN_ROLE grant/revoke outside an accepted transfer (initialisation, renounce) is still
  // about who administers the dispatcher.
  const type = a.role?.toLowerCase() === DEFAULT_ADMIN_ROLE ? AlertType.OUT_OF_BAND_ADMIN_TRANSFER : AlertType.OUT_OF_BAND_ROLE_CHANGE;
  return { type, severity: "critical", what: `role ${a.role} ${verb} ${verb === "granted" ? "to" : "from"} ${a.account} by ${a.sender}` };
}

/** What `event` is; an event the watcher does not know (or could not decode) is a critical `unauthorized`. */
export function eventMeaning(event: Pick<DispatcherEvent, "name" | "args">): EventMeaning {
  return MEANINGS[event.name]?.(event.args) ?? { type: AlertType.UNAUTHORIZED, severity: "critical", what: `event ${event.name} the watcher does not know` };
}

/** How an outside transaction relates to PayRox. */
export interface OutsideOrigin {
  /**
   * The sender is one of PayRox's signer addresses, yet PayRox never journaled the transaction: the
   * signer key was used outside PayRox (stolen or misused).
   */
  fromPayRoxSigner: boolean;
}

/**
 * The alerts of one transaction PayRox did not cause: one per event, except that the events of one
 * chunked cancel share one incident (its root and epoch, across transactions), and an accepted admin
 * transfer (`RoleRevoked` + `RoleGranted` of DEFAULT_ADMIN_ROLE in one transaction) is one incident. Same-
 * named events of the transaction are numbered in chain order, so the keys survive a reorg that moves the
 * transaction to another block (its hash stays; its block hash and log indexes change).
 * @param events every dispatcher event of one transaction, in chain order
 */
export function outOfBandTransactionAlerts(events: readonly DispatcherEvent[], origin: OutsideOrigin): AlertDraft[] {
  const drafts = new Map<string, AlertDraft>();
  const ordinals = new Map<string, number>();
  const acceptance = adminAcceptance(events);
  for (const event of events) {
    const ordinal = ordinals.get(event.name) ?? 0;
    ordinals.set(event.name, ordinal + 1);
    const isAcceptance = acceptance !== undefined && isDefaultAdminRoleEvent(event);
    const meaning = isAcceptance ? { type: AlertType.OUT_OF_BAND_ADMIN_TRANSFER, severity: "critical" as const, what: `admin transfer accepted: ${acceptance.previousAdmin} → ${acceptance.newAdmin}` } : eventMeaning(event);
    const incident = isAcceptance ? `${event.txHash.toLowerCase()}:admin-accepted` : incidentOf(event, ordinal);
    const dedupeKey = `${meaning.type}:${event.network}:${incident}`;
    if (!drafts.has(dedupeKey)) drafts.set(dedupeKey, draftOf(event, meaning, dedupeKey, origin));
  }
  return [...drafts.values()];
}

function incidentOf(event: DispatcherEvent, ordinal: number): string {
  if (CANCEL_EVENTS.has(event.name) && event.args.root !== undefined) return `cancel:${event.args.root.toLowerCase()}:${event.args.epoch ?? "?"}`;
  return `${event.txHash.toLowerCase()}:${event.name}:${ordinal}`;
}

function isDefaultAdminRoleEvent(event: DispatcherEvent): boolean {
  return (event.name === "RoleGranted" || event.name === "RoleRevoked") && event.args.role?.toLowerCase() === DEFAULT_ADMIN_ROLE;
}

/** OpenZeppelin's `acceptDefaultAdminTransfer` revokes the old admin and grants the new one in one transaction. */
function adminAcceptance(events: readonly DispatcherEvent[]): { previousAdmin: string; newAdmin: string } | undefined {
  const revoked = events.find((e) => e.name === "RoleRevoked" && isDefaultAdminRoleEvent(e));
  const granted = events.find((e) => e.name === "RoleGranted" && isDefaultAdminRoleEvent(e));
  return revoked && granted ? { previousAdmin: revoked.args.account ?? "?", newAdmin: granted.args.account ?? "?" } : undefined;
}

function draftOf(event: DispatcherEvent, meaning: EventMeaning, dedupeKey: string, origin: OutsideOrigin): AlertDraft {
  const args = Object.entries(event.args).map(([k, v]) => `${k}=${v}`).join(", ");
  const who = origin.fromPayRoxSigner
    ? `sent from PayRox's own signer ${event.from} but not by PayRox (not in its write-ahead journal): treat that key as compromised`
    : `in a transaction PayRox did not send (from ${event.from})`;
  const values: Record<string, EvidenceValue> = {
    ...event.args,
    event: event.name,
    from: event.from,
    fromPayRoxSigner: origin.fromPayRoxSigner,
    blockHash: event.blockHash,
    logIndex: event.logIndex,
  };
  return {
    type: meaning.type,
    // A PayRox key used behind its back is critical whatever it did.
    severity: origin.fromPayRoxSigner ? "critical" : meaning.severity,
    dedupeKey,
    network: event.network,
    message: `${meaning.what} on ${event.network}'s dispatcher, ${who}: ${event.name}(${args}), tx ${event.txHash}, block ${event.blockNumber}`,
    evidence: { txHash: event.txHash, blockNumber: event.blockNumber, values },
  };
}
