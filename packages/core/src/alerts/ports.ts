/**
 * Ports of monitoring: the incident ledger (dedupe and resolution state), the gas history behind the
 * gas-spike baseline, the chain watcher's cursor per network, the dead letters of undeliverable alerts,
 * and the source of the dispatcher's on-chain events. Adapters: DynamoDB (packages/aws), ethers
 * (packages/chain), in memory (tests).
 */
import type { Alert } from "../run/ports.js";
import type { AlertEvidence, AlertSeverity, AlertType } from "./types.js";
import type { NewAlertDeliveries } from "./delivery.js";

/** Where an incident stands. `released` = its alert could not be delivered; raising it again is allowed. */
export type IncidentStatus = "open" | "resolved" | "released";

/** One incident, as the ledger stores it. */
export interface Incident {
  dedupeKey: string;
  type: AlertType;
  severity: AlertSeverity;
  proposalId?: string;
  network?: string;
  /** Id of the raised alert. */
  alertId: string;
  status: IncidentStatus;
  openedAtMs: number;
  resolvedAtMs?: number;
  /** The raised alert's message, evidence and runbook link (absent on incidents stored before they were kept). */
  message?: string;
  evidence?: AlertEvidence;
  runbook?: string;
}

/** Incidents for people to read (the console's alerts view, `GET /alerts`), newest first. */
export interface IncidentReader {
  /** Up to `limit` incidents (open, resolved or released), newest opened first. */
  listIncidents(options: { limit: number }): Promise<Incident[]>;
}

/** Remembers incidents so one incident raises one alert and one resolution, across processes. */
export interface IncidentLedger {
  /**
   * Opens the incident unless it exists (open or resolved); with `deliveries`, writes them pending in the
   * same atomic write, so an opened incident always has its deliveries. @returns whether this call opened it
   */
  open(incident: Incident, deliveries?: NewAlertDeliveries): Promise<boolean>;
  /**
   * Moves an open incident to resolved; with `deliveries`, writes them pending in the same atomic write.
   * @returns the incident if this call resolved it, else undefined
   */
  resolve(dedupeKey: string, atMs: number, deliveries?: NewAlertDeliveries): Promise<Incident | undefined>;
  /** Undoes an `open` or `resolve` whose alert could not be delivered, so a later attempt reports it. */
  revert(dedupeKey: string, status: "open" | "released"): Promise<void>;
  get(dedupeKey: string): Promise<Incident | undefined>;
}

/** One measured step, kept for the gas-spike baseline. */
export interface GasSample {
  txHash: string;
  /** Decimal gas of the whole transaction (an apply batch is judged against its plan, not these). */
  gas: string;
  atMs: number;
}

/** The most recent gas samples per (network, step). */
export interface GasHistory {
  /** Samples, oldest first (at most the adapter's capacity). */
  recent(network: string, step: string): Promise<GasSample[]>;
  /** Appends a sample, dropping the oldest beyond capacity; a sample with a known `txHash` is ignored. */
  add(network: string, step: string, sample: GasSample): Promise<void>;
}

/** The last block the chain watcher processed on a network. */
export interface ChainCursor {
  network: string;
  blockNumber: number;
  /** Hash of that block when it was processed; a different canonical hash now means a reorg. */
  blockHash: string;
  updatedAtMs: number;
}

/** The chain watcher's cursor per network. */
export interface ChainCursorStore {
  get(network: string): Promise<ChainCursor | undefined>;
  put(cursor: ChainCursor): Promise<void>;
}

/** An alert no endpoint accepted within its retry budget. */
export interface DeadLetter {
  alert: Alert;
  /** The endpoint's id (never its secret). */
  endpoint: string;
  attempts: number;
  /** HTTP status of the last attempt, when there was an answer. */
  lastStatus?: number;
  lastError: string;
  atMs: number;
}

/** Keeps undeliverable alerts for a human or a replay. */
export interface AlertDeadLetters {
  put(letter: DeadLetter): Promise<void>;
  list(options?: { limit?: number }): Promise<DeadLetter[]>;
}

/** A block reference. */
export interface BlockRef {
  number: number;
  hash: string;
}

/** One decoded event of a dispatcher (lifecycle, pause, roles, admin transfer…). */
export interface DispatcherEvent {
  network: string;
  /** Event name, e.g. `RootCommitted`, `RoleGranted`, `Paused`; `unknown` when it does not decode. */
  name: string;
  /** Decoded arguments as strings, by name. */
  args: Record<string, string>;
  txHash: string;
  /** Sender of the transaction that emitted it. */
  from: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

/**
 * Whether PayRox signed a transaction: its write-ahead journal looked up by transaction hash. Every
 * transaction PayRox broadcasts is journaled before it is sent, so a hash it does not know was not
 * PayRox's doing, even when it came from PayRox's signer address.
 */
export interface JournaledTxLookup {
  /** The step id of the journal record one of whose attempts is `txHash` on `network`, or undefined. */
  findByTxHash(network: string, txHash: string): Promise<{ stepId: string } | undefined>;
}

/** Reads the dispatchers' events in bounded block ranges. */
export interface DispatcherEventSource {
  /** The networks it can read. */
  networks(): string[];
  /** Addresses PayRox sends from on `network` (its signers): their transactions are PayRox's own. */
  ownSenders(network: string): Promise<string[]>;
  /** The latest block. */
  head(network: string): Promise<BlockRef>;
  /** The canonical hash of block `blockNumber`, or undefined when the chain is shorter. */
  blockHash(network: string, blockNumber: number): Promise<string | undefined>;
  /**
   * Every dispatcher event in `[fromBlock, toBlock]`, in chain order.
   * @throws LogRangeRefusedError when the provider (or the adapter's own bound) refuses the range as too
   *   large — too many blocks or too many results; the caller splits it
   */
  getLogs(network: string, fromBlock: number, toBlock: number): Promise<DispatcherEvent[]>;
}
