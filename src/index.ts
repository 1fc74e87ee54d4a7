// The `spindle` entry point, for workflow authors and operators: workflows and their operations, the engine, the
// in-memory store, errors, and the types their code handles. Explicit named exports only. What store authors need
// (the HistoryStore port, records, their helpers, history validation) is in `spindle/store`.
export { workflow } from "./workflow.js";
export type {
  AnyWorkflow,
  CallbackSchemas,
  EventSchemas,
  Workflow,
  WorkflowBody,
  WorkflowCallbackName,
  WorkflowCallbackValue,
  WorkflowContext,
  WorkflowEventName,
  WorkflowEventPayload,
  WorkflowOptions,
  WorkflowOutput,
  WorkflowStartInput,
} from "./workflow.js";
export { step } from "./operations/step.js";
export type { StepOptions } from "./operations/step.js";
export { sleep, sleepUntil } from "./operations/sleep.js";
export { waitForEvent } from "./operations/events.js";
export type { WaitForEventOptions } from "./operations/events.js";
export { now, random, uuid } from "./operations/deterministic.js";
export { setStatus } from "./operations/status.js";
export { all, allSettled, branch, map, mapSettled, race } from "./operations/concurrency.js";
export type { GroupOptions, MapOptions, Results, Settled } from "./operations/concurrency.js";
export { child, startChild } from "./operations/child.js";
export type { ChildOptions } from "./operations/child.js";
export { callback } from "./operations/callback.js";
export type { CallbackOptions } from "./operations/callback.js";
export { continueAsNew, deprecatePatch, patched } from "./operations/versioning.js";
export { dag, task } from "./operations/dag.js";
export type { ChildTaskOptions, DagInputs, DagOptions, DagResults, Task, TaskOptions, TaskResult, TriggerRule } from "./operations/dag.js";
export { saga } from "./operations/saga.js";
export type { Compensation, Saga } from "./operations/saga.js";
export type { Envelope, Yieldable } from "./operations/yieldable.js";
export type { Jsonify } from "./operations/json.js";
export type { SchemaLike, StepContext } from "./core/yieldable.js";
export type { RetryPolicy } from "./core/retry.js";
export type { Duration, DurationObject } from "./core/duration.js";
export { toMillis } from "./core/duration.js";
export { createEngine } from "./engine/engine.js";
export { schedule } from "./schedules/definition.js";
export type { OverlapPolicy, Schedule, ScheduleOptions } from "./schedules/definition.js";
export type { ScheduleInfo, Schedules } from "./schedules/schedules.js";
export type {
  Engine,
  RedriveResult,
  ResumeDueOptions,
  ResumeDueResult,
  ResumeOptions,
  RunHandle,
  SendEventOptions,
  StartOptions,
  StopResult,
  TurnReport,
} from "./engine/api.js";
export type { EngineOptions } from "./engine/options.js";
export type { SpindleSpan, Tracing } from "./telemetry/span.js";
export type { ExecutionDescription } from "./engine/describe.js";
export type { TurnResult } from "./engine/turn.js";
export { METRIC } from "./engine/metrics.js";
export { defineConfig } from "./cli/define-config.js";
export type { SpindleConfig } from "./cli/define-config.js";
export { systemClock } from "./engine/clock.js";
export type { Clock } from "./engine/clock.js";
export { consoleLogger, silentLogger } from "./engine/log.js";
export type { LogFields, Logger } from "./engine/log.js";
export { MemoryStore } from "./store/memory-store.js";
export type { MemoryStoreOptions } from "./store/memory-store.js";
export type { ExecutionStatus, ListQuery } from "./store/history-store.js";
export type { HistoryEvent } from "./core/history.js";
export type { ErrorRecord } from "./core/error-record.js";
export {
  CallbackNotFoundError,
  CancelledError,
  ConcurrencyError,
  DagFailedError,
  ExecutionClosedError,
  ExecutionNotFoundError,
  HistoryCorruptedError,
  IdempotencyConflictError,
  NonDeterminismError,
  PayloadTooLargeError,
  RedriveRefusedError,
  SerializationError,
  SpindleError,
  StepFailedError,
  StepTimeoutError,
  StoreUnavailableError,
  TerminalError,
  TimeoutError,
  ValidationError,
  WorkflowNotFoundError,
} from "./errors.js";
export type { DagTaskFailure, Divergence, DivergenceSide, ErrorContext, SpindleErrorCode, SpindleErrorOptions } from "./errors.js";
