// The engine's hooks into tracing (src/telemetry), kept here so turns and commands carry one call each: opening a
// run's trace with its session, the caller's context recorded by start and sendEvent, and the spans a terminate ends
// (written outside any turn). With no `tracing` option none of this runs and nothing is computed.
import type { HistoryEvent } from "../core/history.js";
import { formatTraceparent, parseTraceparent } from "../telemetry/ids.js";
import { RunTrace } from "../telemetry/run-trace.js";
import type { Tracing } from "../telemetry/span.js";
import type { ExecutionRecord } from "../store/history-store.js";
import type { Logger } from "./log.js";

/** What tracing needs from the engine. */
export interface TracingDeps {
  tracing?: Tracing;
  logger: Logger;
}

/** The spans of a run being opened from its history (replayed: nothing is emitted for it). */
export function openTrace(deps: TracingDeps, record: ExecutionRecord, events: readonly HistoryEvent[]): RunTrace | undefined {
  const tracing = deps.tracing;
  if (tracing === undefined) return undefined;
  const report = (error: unknown) =>
    deps.logger.warn(`Tracing of execution '${record.id}' failed to emit a span: ${(error as Error)?.message ?? String(error)}`, {
      executionId: record.id,
    });
  return new RunTrace(tracing, report, record.id, record.runId, record.workflow, events);
}

/** The caller's trace context to record (start, sendEvent), well-formed, or undefined. */
export function callerTraceparent(deps: TracingDeps): string | undefined {
  const read = deps.tracing?.traceparent;
  if (read === undefined) return undefined;
  let text: unknown;
  try {
    text = read.call(deps.tracing);
  } catch (error) {
    deps.logger.warn(`Tracing could not read the active trace context: ${(error as Error)?.message ?? String(error)}`, {});
    return undefined;
  }
  const context = parseTraceparent(text);
  return context === undefined ? undefined : formatTraceparent(context);
}

/** `{ traceparent }` to spread into an event or item, or nothing. */
export function traceparentField(traceparent: string | undefined): { traceparent?: string } {
  return traceparent === undefined ? {} : { traceparent };
}

/**
 * A terminate was written (one event, outside any turn): the spans it ends — the run's and what was open — are
 * emitted from the run's history, read back once.
 */
export async function traceTerminated(
  deps: TracingDeps,
  history: (id: string) => Promise<HistoryEvent[]>,
  record: ExecutionRecord,
  ending: HistoryEvent,
): Promise<void> {
  if (deps.tracing === undefined) return;
  try {
    const events = (await history(record.id)).filter((event) => event.seq < ending.seq);
    openTrace(deps, record, events)!.written([ending], { startedAt: ending.at, release: false, updatedAt: ending.at, status: record.status });
  } catch (error) {
    deps.logger.warn(`Tracing of execution '${record.id}' could not read its history after terminate: ${(error as Error)?.message ?? String(error)}`, {
      executionId: record.id,
    });
  }
}
