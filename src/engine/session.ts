// Sessions: a workflow run in memory, its interpreter (replayer and fibers), opened from a validated history. The warm
// cache keeps suspended sessions so a resume in the same process continues without replaying.
import { decodeValue } from "../core/codec.js";
import type { HistoryEvent } from "../core/history.js";
import { checkPages } from "../core/history-check.js";
import { Interpreter } from "../core/interpreter.js";
import { ExecutionNotFoundError, HistoryCorruptedError, ValidationError } from "../errors.js";
import type { ExecutionRecord, HistoryStore, LoadedPage } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import { workflowContext } from "../workflow.js";
import type { Parked } from "./cache.js";
import type { Logger } from "./log.js";
import { scopedLogger } from "./log.js";
import type { RunTrace } from "../telemetry/run-trace.js";
import type { Tracing } from "../telemetry/span.js";
import { openTrace } from "./tracing.js";

/** A workflow run in memory: what the warm cache keeps between turns. */
export interface Session extends Parked {
  executionId: string;
  workflow: AnyWorkflow;
  interpreter: Interpreter;
  warned: boolean;
  /** When the run next asks the children it waits for whether they ended unheard (their report lost in a crash). */
  childCheckAt?: number;
  /** The trace context recorded in ExecutionStarted: a continueAsNew's next run records it too. */
  traceparent?: string;
  /** The run's spans, when the engine traces (tracing.ts). */
  trace?: RunTrace;
}

/**
 * Opens a session for the current run.
 * @throws WorkflowNotFoundError, ValidationError (the body is not a generator function).
 */
export function openSession(
  deps: {
    env: { random(): number; uuid(): string };
    logger: Logger;
    workflow(name: string, executionId: string): AnyWorkflow;
    valueLimit: number;
    tracing?: Tracing;
  },
  record: ExecutionRecord,
  events: HistoryEvent[],
): Session {
  const id = record.id;
  const workflow = deps.workflow(record.workflow, id);
  const started = events[0];
  const input = started?.type === "ExecutionStarted" ? decodeValue(started.input) : undefined;
  let interpreter: Interpreter | undefined;
  const log = scopedLogger(deps.logger, { executionId: id, workflow: workflow.name }, () => interpreter!.replayer.replaying);
  const context = workflowContext({ executionId: id, runId: record.runId, workflowName: workflow.name, log });
  const generator = workflow.body(input, context);
  if (typeof generator?.next !== "function" || typeof generator.throw !== "function") {
    throw new ValidationError(
      `Workflow '${workflow.name}' (execution '${id}'): the body did not return a generator. Declare it as ` +
        `'async function* (input, ctx) { ... }'.`,
      { executionId: id },
    );
  }
  interpreter = new Interpreter({
    executionId: id,
    runId: record.runId,
    workflowName: workflow.name,
    history: events,
    body: generator,
    ...(workflow.outputSchema ? { outputSchema: workflow.outputSchema } : {}),
    random: deps.env.random,
    uuid: deps.env.uuid,
    valueLimit: deps.valueLimit,
  });
  const session: Session = { executionId: id, runId: record.runId, version: record.version, workflow, interpreter, warned: false };
  if (started?.type === "ExecutionStarted" && started.traceparent !== undefined) session.traceparent = started.traceparent;
  const trace = openTrace(deps, record, events);
  if (trace !== undefined) session.trace = trace;
  return session;
}

/**
 * Loads and validates every event of the current run, following pages.
 * @throws HistoryCorruptedError when events are missing, malformed or out of sequence.
 */
export async function loadHistory(store: HistoryStore, id: string, first: LoadedPage): Promise<HistoryEvent[]> {
  const version = first.record.version;
  // Pages are kept as loaded and checked into one array: gathering them first would copy the history again.
  const pages: (readonly unknown[])[] = [first.events];
  let loaded = first.events.length;
  let more = first.more;
  while (more && loaded < version) {
    const page = await store.load(id, { afterSeq: loaded });
    if (!page) throw notFound(id);
    pages.push(page.events);
    loaded += page.events.length;
    more = page.more && page.events.length > 0;
  }
  const events = checkPages(id, pages, Math.min(loaded, version));
  if (events.length < version) {
    throw new HistoryCorruptedError(
      `History of execution '${id}' is corrupted: the record is at version ${version} but only ${events.length} ` +
        `events are stored. Nothing was overwritten; restore the missing events from a backup or terminate it.`,
      { executionId: id },
    );
  }
  const started = events[0];
  if (started?.type === "ExecutionStarted" && started.runId !== first.record.runId) {
    throw new HistoryCorruptedError(
      `History of execution '${id}' is corrupted: its events belong to run ${started.runId} but the record is on ` +
        `run ${first.record.runId}. Nothing was overwritten; inspect the stored items.`,
      { executionId: id },
    );
  }
  return events;
}

/** The error for an unknown execution id. */
export function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(
    `Execution '${id}' does not exist. Check the id, or start it with engine.start(workflow, input, { id }).`,
    { executionId: id },
  );
}
