// newExecution(): the record and first event of an execution as the engine creates it, for stores and tests.
import type { HistoryEvent } from "../core/history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "../core/history-check.js";
import type { ExecutionRecord, NewExecution } from "./history-store.js";

/**
 * Builds a new execution as the engine creates it: a `running` record due at once, and its ExecutionStarted event.
 *
 * @example
 * ```ts
 * await store.create(newExecution({ id: "e-1", workflow: "order", runId: "r-1", at: Date.now(), input: '{"n":1}' }));
 * ```
 */
export function newExecution(fields: {
  id: string;
  workflow: string;
  runId: string;
  at: number;
  input?: string;
  parent?: { executionId: string; opId: string };
  /** The W3C trace context the execution joins (recorded in ExecutionStarted). */
  traceparent?: string;
}): NewExecution {
  const { id, workflow, runId, at, input, parent, traceparent } = fields;
  const record: ExecutionRecord = {
    id,
    workflow,
    runId,
    runs: 0,
    status: "running",
    version: 1,
    waitingFor: [],
    wakeAt: at,
    createdAt: at,
    updatedAt: at,
    inboxSeq: 0,
    inboxSeen: 0,
  };
  const started: HistoryEvent = {
    v: HISTORY_VERSION,
    seq: 1,
    type: "ExecutionStarted",
    opId: EXECUTION_OP,
    kind: "execution",
    name: workflow,
    at,
    executionId: id,
    runId,
  };
  if (input !== undefined) {
    record.input = input;
    started.input = input;
  }
  if (traceparent !== undefined) started.traceparent = traceparent;
  if (parent !== undefined) record.parent = { ...parent };
  return { record, events: [started] };
}
