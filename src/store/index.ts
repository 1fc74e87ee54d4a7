// The `spindle/store` entry point, for authors of a HistoryStore: the port, the records and requests that cross it,
// the helpers that apply its rules (leases, appends, copies), and history validation. Explicit named exports only.
// Errors a store throws (ConcurrencyError, ExecutionNotFoundError, PayloadTooLargeError, StoreUnavailableError...)
// come from `spindle`; the conformance suite from `spindle/testing`.
export type {
  AppendRequest,
  CreateResult,
  ExecutionRecord,
  ExecutionStatus,
  HistoryStore,
  InboxWriteResult,
  Lease,
  LeaseRequest,
  LeaseResult,
  ListPage,
  ListQuery,
  LoadedPage,
  LoadOptions,
  NewExecution,
  RecordUpdate,
  StoreLimits,
} from "./history-store.js";
export { CLOSED_STATUSES, EXECUTION_STATUSES, leaseHeldByOther, newExecution } from "./history-store.js";
export type { TurnFailures, TurnFailuresResult, TurnFailuresUpdate } from "./turn-failures.js";
export { MAX_TURN_FAILURE_REASON, recordWithTurnFailures, turnFailuresRefused } from "./turn-failures.js";
export { copyRecord, inboxMoved, leaseConflict, leaseRefused, recordAfter, recordLeased } from "./record-rules.js";
export { checkHistory, HISTORY_VERSION, historyEventSchema, historyEventSchemas } from "../core/history.js";
export type { EventOf, HistoryEvent, HistoryEventType } from "../core/history.js";
export type { InboxItem, WaitInfo } from "../core/replayer.js";
export type { ErrorRecord } from "../core/error-record.js";
