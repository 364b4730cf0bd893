/** Transaction lifecycle: nonces, fees, simulation, write-ahead journal, submission, confirmation. */
export { TxSender } from "./tx-sender.js";
export type { TxStep, TxSenderOptions, TxEvent, TxOutcome, RebroadcastReason } from "./types.js";
export { InMemoryNonceStore, type NonceKeySnapshot } from "./in-memory-nonce-store.js";
export { InMemoryTxJournal } from "./in-memory-tx-journal.js";
export { KeyedMutex } from "./keyed-mutex.js";
export { suggestFees, bumpFees, capInitialFees, type FeeOptions, type Eip1559Fees, type FeeSuggestion } from "./fees.js";
export { simulateCall, estimateGasWithMargin, decodeRevert, type CallRequest } from "./simulate.js";
export { DISPATCHER_ERROR_ABI, dispatcherErrorInterface } from "./dispatcher-errors.js";
