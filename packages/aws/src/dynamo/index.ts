/** DynamoDB adapters of the core ports, on one table. */
export { DynamoRunStore, DEFAULT_PROPOSAL_PAGE_SIZE, MAX_PROPOSAL_PAGE_SIZE, type DynamoRunStoreOptions } from "./run-store.js";
export { DynamoAuditLog, type DynamoAuditLogOptions } from "./audit-log.js";
export { DynamoNonceStore, type DynamoNonceStoreOptions, type DynamoNonceKeySnapshot } from "./nonce-store.js";
export { DynamoTxJournal, type DynamoTxJournalOptions } from "./tx-journal.js";
export { createTable, tableDefinition, type CreateTableOptions } from "./create-table.js";
export { createDocumentClient, type DynamoTableOptions } from "./single-table.js";
export { ItemType, TableKeys } from "./keys.js";
export type { CollisionRetryOptions } from "./collision-retry.js";
export type { StoredStepLease } from "./step-leases.js";
export { DynamoJobStore, JobLeaseLostError, JobStatus, type DynamoJobStoreOptions, type JobPutResult, type StoredJob } from "./job-store.js";
export { DynamoIncidentLedger, DynamoGasHistory, DynamoChainCursorStore, DynamoAlertDeadLetters, type DynamoGasHistoryOptions } from "./monitoring-store.js";
export { DynamoAlertDeliveries, alertDeliveryKey, MAX_DESTINATIONS, type DynamoAlertDeliveriesOptions } from "./alert-deliveries.js";
export { meterConsumedCapacity, sumCapacity, type ConsumedCapacityReading } from "./consumed-capacity.js";
export { DynamoApprovalStore, type DynamoApprovalStoreOptions } from "./approval-store.js";
export { DynamoPolicyRecordStore, type DynamoPolicyRecordStoreOptions } from "./policy-record-store.js";
