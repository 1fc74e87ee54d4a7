// replayHistory(): today's code against a recorded history (a production export or a golden file), with no store
// and no effects. Every recorded position must match; the run stops at the first operation the history does not
// hold. If the history is finished, the code must finish the same way.
import { decodeValue, encodeValue } from "../core/codec.js";
import { toErrorRecord } from "../core/error-record.js";
import type { HistoryEvent } from "../core/history.js";
import { checkHistory, TERMINAL_EVENTS } from "../core/history.js";
import type { Decision } from "../core/replayer.js";
import { Replayer } from "../core/replayer.js";
import type { Envelope } from "../core/yieldable.js";
import { silentLogger } from "../engine/log.js";
import { CancelledError, HistoryCorruptedError, NonDeterminismError } from "../errors.js";
import { DEFAULT_MAX_VALUE_BYTES } from "../store/memory-store.js";
import type { AnyWorkflow } from "../workflow.js";
import { workflowContext } from "../workflow.js";

/** What a replay check found. */
export interface ReplayReport {
  executionId: string;
  /** Recorded events checked. */
  events: number;
  /**
   * `completed`/`failed`/`cancelled`: the code ended as the history did.
   * `waiting`: the history ends while the workflow waits or has new work; the code matched every recorded step.
   */
  outcome: "completed" | "failed" | "cancelled" | "waiting";
  /** The first operation the history does not hold, when `outcome` is `waiting`. */
  frontier?: { opId: string; kind: string; name: string };
}

/**
 * Replays recorded events against the workflow's current code, running no step and touching no store.
 *
 * @example
 * ```ts
 * import recorded from "./order.history.json";
 * const report = await replayHistory(order, recorded); // throws NonDeterminismError if the code drifted
 * ```
 * @throws NonDeterminismError (the code no longer matches), HistoryCorruptedError (malformed events).
 */
export async function replayHistory(workflow: AnyWorkflow, events: readonly unknown[]): Promise<ReplayReport> {
  const first = events[0] as { executionId?: unknown } | undefined;
  const executionId = typeof first?.executionId === "string" ? first.executionId : "(unknown)";
  const history = checkHistory(executionId, events);
  const started = history[0];
  if (started?.type !== "ExecutionStarted") {
    throw new HistoryCorruptedError(`replayHistory: the history is empty.`, { executionId });
  }
  if (started.name !== workflow.name) {
    throw new NonDeterminismError(
      `replayHistory: the history of execution '${executionId}' was recorded by workflow '${started.name}', not ` +
        `'${workflow.name}'.`,
      { executionId },
    );
  }
  const terminal = history.find((event) => TERMINAL_EVENTS.has(event.type));
  const recorded = terminal ? history.slice(0, history.indexOf(terminal)) : history;
  const frozenAt = history[history.length - 1]!.at;
  const replayer = new Replayer(
    executionId,
    recorded,
    { now: () => frozenAt, random: () => 0, uuid: () => "00000000-0000-4000-8000-000000000000" },
    DEFAULT_MAX_VALUE_BYTES,
  );
  const context = workflowContext({ executionId, runId: started.runId, workflowName: workflow.name, log: silentLogger });
  const generator: AsyncGenerator<Envelope, unknown, unknown> = workflow.body(decodeValue(started.input), context);
  const report = { executionId, events: history.length };
  let decision: Decision | undefined;
  for (;;) {
    let next: IteratorResult<Envelope, unknown>;
    try {
      if (decision === undefined) next = await generator.next();
      else if (decision.type === "resume") next = await generator.next(decision.value);
      else if (decision.type === "throw") next = await generator.throw(decision.error);
      else return frontier(replayer, terminal, report);
    } catch (error) {
      replayer.checkAllReached();
      const outcome = error instanceof CancelledError && replayer.cancelWasDelivered ? "cancelled" : "failed";
      return compare(executionId, terminal, outcome, { error }, report);
    }
    if (next.done) {
      replayer.checkAllReached();
      return compare(executionId, terminal, "completed", { value: next.value }, report);
    }
    decision = replayer.next(next.value);
    if (replayer.hasBuffered) return frontier(replayer, terminal, report);
  }
}

function frontier(
  replayer: Replayer,
  terminal: HistoryEvent | undefined,
  report: { executionId: string; events: number },
): ReplayReport {
  const position = replayer.position!;
  if (terminal) {
    throw new NonDeterminismError(
      `replayHistory: execution '${report.executionId}' ended (${terminal.type}) after the recorded operations, ` +
        `but the code now goes on to ${position.kind} '${position.name}' (#${position.opId}).`,
      { executionId: report.executionId, operation: `#${position.opId}` },
    );
  }
  return { ...report, outcome: "waiting", frontier: position };
}

function compare(
  executionId: string,
  terminal: HistoryEvent | undefined,
  outcome: "completed" | "failed" | "cancelled",
  ending: { value?: unknown; error?: unknown },
  report: { executionId: string; events: number },
): ReplayReport {
  if (!terminal) {
    // The history stops mid-run; code that now ends there has removed the operation the run reached next.
    throw new NonDeterminismError(
      `replayHistory: execution '${executionId}' is still running in the history, but the code now ${outcome} ` +
        `after the last recorded operation. The code removed or skipped an operation the history expects next.`,
      { executionId },
    );
  }
  const expected = terminal.type === "ExecutionCompleted" ? "completed" : terminal.type === "ExecutionFailed" ? "failed" : "cancelled";
  let same = expected === outcome;
  let detail = "";
  if (same && terminal.type === "ExecutionCompleted") {
    const now = safeEncode(ending.value);
    same = now === terminal.result;
    detail = ` (recorded result ${terminal.result ?? "undefined"}, now ${now ?? "undefined"})`;
  } else if (same && terminal.type === "ExecutionFailed") {
    const now = toErrorRecord(ending.error);
    same = now.name === terminal.error.name && now.message === terminal.error.message;
    detail = ` (recorded ${terminal.error.name}: ${terminal.error.message}; now ${now.name}: ${now.message})`;
  }
  if (!same) {
    throw new NonDeterminismError(
      `replayHistory: execution '${executionId}' ${expected} in the history but the code now ${outcome}${detail}. ` +
        `The code changed what the workflow computes from the same recorded results.`,
      { executionId },
    );
  }
  return { ...report, outcome };
}

function safeEncode(value: unknown): string | undefined {
  try {
    return encodeValue(value, { executionId: "-", operation: "result", limit: Number.POSITIVE_INFINITY });
  } catch {
    return "(not JSON data)";
  }
}
