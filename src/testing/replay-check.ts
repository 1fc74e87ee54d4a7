// replayHistory(): today's code against a recorded history (a production export or a golden file), with no effects.
// It drives the same pure interpreter the engine's turns drive, with no store: every recorded position must match,
// the run stops at the first work the history does not hold, and if the history is finished the code must finish the
// same way.
import { decodeValue } from "../core/codec.js";
import type { HistoryEvent, NewEvent } from "../core/history.js";
import { checkHistory, TERMINAL_EVENTS } from "../core/history.js";
import { side } from "../core/handlers/prelude.js";
import { EXECUTION_OP } from "../core/history-check.js";
import { Interpreter } from "../core/interpreter.js";
import { silentLogger } from "../engine/log.js";
import { HistoryCorruptedError, NonDeterminismError } from "../errors.js";
import type { AnyWorkflow } from "../workflow.js";
import { workflowContext } from "../workflow.js";

/** What a replay check found. */
export interface ReplayReport {
  executionId: string;
  /** Recorded events checked. */
  events: number;
  /**
   * `completed`/`failed`/`cancelled`/`continuedAsNew`: the code ended as the history did.
   * `waiting`: the history ends while the workflow waits or has new work; the code matched every recorded step.
   */
  outcome: "completed" | "failed" | "cancelled" | "continuedAsNew" | "waiting";
  /** The first operation the history does not hold, when `outcome` is `waiting`. */
  frontier?: { opId: string; kind: string; name: string };
  /**
   * What each `patched(id)` the code reached answered, in the order first asked: `false` means this execution runs
   * the change's old branch (its history predates the change), so that branch cannot be removed yet.
   */
  patches: PatchAnswer[];
}

/**
 * One `patched(id)` call's answer in a replay.
 *
 * @example
 * ```ts
 * const old = report.patches.filter((patch) => !patch.answer).map((patch) => patch.id); // ids still on the old branch
 * ```
 */
export interface PatchAnswer {
  /** The change id given to `patched()`. */
  id: string;
  /** `true`: the new branch (the marker is recorded, or the call was reached past the history); `false`: the old one. */
  answer: boolean;
}

/**
 * How a replay reads the history's end (internal: `checkExecutions` passes it for executions of a live store).
 *
 * @example
 * ```ts
 * const options: ReplayOptions = { cutInsideTurn: record.status === "running" };
 * ```
 */
export interface ReplayOptions {
  /**
   * The history may have been cut inside a turn (a `running` execution: a turn in flight, or one that crashed between
   * two writes), so code that ends right after the last recorded operation is not a divergence. Default false: a
   * history taken at rest that is still open must still be open on the new code.
   */
  cutInsideTurn?: boolean;
}

/**
 * Replays recorded events against the workflow's current code, running no step and touching no real store.
 *
 * @example
 * ```ts
 * import recorded from "./order.history.json";
 * const report = await replayHistory(order, recorded); // throws NonDeterminismError if the code drifted
 * ```
 * @throws NonDeterminismError (the code no longer matches), HistoryCorruptedError (malformed events).
 */
export async function replayHistory(workflow: AnyWorkflow, events: readonly unknown[]): Promise<ReplayReport> {
  return replayRecorded(workflow, events, {});
}

/**
 * replayHistory with options; what `checkExecutions` runs.
 *
 * @example
 * ```ts
 * const report = await replayRecorded(order, events, { cutInsideTurn: true });
 * ```
 * @throws NonDeterminismError, HistoryCorruptedError, as replayHistory.
 */
export async function replayRecorded(workflow: AnyWorkflow, events: readonly unknown[], options: ReplayOptions): Promise<ReplayReport> {
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
  // The run's ending is its last event (a redriven run holds its superseded failed ending further up).
  const last = history[history.length - 1]!;
  const terminal = TERMINAL_EVENTS.has(last.type) ? last : undefined;
  const recorded = terminal ? history.slice(0, -1) : history;
  const body = workflow.body(decodeValue(started.input), replayContext(executionId, started.runId, workflow.name));
  const interpreter = new Interpreter({
    executionId,
    runId: started.runId,
    workflowName: workflow.name,
    history: recorded,
    body,
    ...(workflow.outputSchema ? { outputSchema: workflow.outputSchema } : {}),
    random: () => 0,
    uuid: () => "00000000-0000-4000-8000-000000000000",
    valueLimit: Number.MAX_SAFE_INTEGER,
  });
  // The interpreter runs the body as far as the recorded history takes it, at the history's last recorded time; no
  // step runs and no child is created: anything it asks for, or any event it records, is past the recorded history.
  const advance = await interpreter.advance(history[history.length - 1]!.at);
  const replayer = interpreter.replayer;
  const patches = [...replayer.patchesAsked].map((id) => ({ id, answer: replayer.patches.get(id) === true }));
  const report = { executionId, events: history.length, patches };
  const fresh = interpreter.replayer.takeBuffer().events;
  const ending = advance.ending;
  const endEvent = ending && ending.status !== "continueAsNew" ? fresh[fresh.length - 1] : undefined;
  const newWork = fresh.filter((event) => event !== endEvent);
  const effect = advance.steps[0]?.position ?? advance.children[0]?.position;
  const frontier =
    newWork[0] !== undefined
      ? { opId: newWork[0].opId, kind: newWork[0].kind, name: newWork[0].name }
      : effect
        ? { opId: effect.opId, kind: effect.command.kind, name: effect.command.name }
        : undefined;
  if (ending && ending.status !== "continueAsNew" && !frontier) {
    if (!terminal && options.cutInsideTurn) return { ...report, outcome: "waiting" };
    return compare(executionId, terminal, endEvent as NewEvent, report);
  }
  if (terminal?.type === "ContinuedAsNew" && !frontier && ending?.status === "continueAsNew") {
    return { ...report, outcome: "continuedAsNew" };
  }
  const waitingAt = frontier ?? interpreter.waiting.positions()[0];
  if (terminal && !(terminal.type === "ExecutionCancelled" && terminal.terminated)) {
    const at = waitingAt ? `${waitingAt.kind} '${waitingAt.name}' (#${waitingAt.opId})` : "new work";
    throw new NonDeterminismError(
      `replayHistory: execution '${executionId}' ended (${terminal.type}) after the recorded operations, but the ` +
        `code now goes on to ${at}.`,
      {
        executionId,
        ...(waitingAt ? { operation: `#${waitingAt.opId}` } : {}),
        opId: waitingAt?.opId ?? EXECUTION_OP,
        expected: { text: `the end of the execution (${terminal.type})` },
        found: waitingAt ? side(waitingAt.kind, waitingAt.name) : { text: "new work" },
      },
    );
  }
  return { ...report, outcome: "waiting", ...(waitingAt ? { frontier: waitingAt } : {}) };
}

/** The context a replayed body receives: logs are silent. */
function replayContext(executionId: string, runId: string, workflowName: string) {
  return workflowContext({ executionId, runId, workflowName, log: silentLogger });
}

function compare(
  executionId: string,
  terminal: HistoryEvent | undefined,
  ending: NewEvent,
  report: Omit<ReplayReport, "outcome">,
): ReplayReport {
  const now = ending.type === "ExecutionCompleted" ? "completed" : ending.type === "ExecutionFailed" ? "failed" : "cancelled";
  if (!terminal) {
    throw new NonDeterminismError(
      `replayHistory: execution '${executionId}' is still running in the history, but the code now ${now} after ` +
        `the last recorded operation. The code removed or skipped an operation the history expects next.`,
      { executionId, opId: EXECUTION_OP, expected: { text: "more operations (the execution is open)" }, found: { text: `the code ${now}` } },
    );
  }
  if (terminal.type === "ExecutionCancelled" && terminal.terminated) return { ...report, outcome: "cancelled" };
  let same = terminal.type === ending.type;
  let detail = "";
  if (same && terminal.type === "ExecutionCompleted" && ending.type === "ExecutionCompleted") {
    same = terminal.result === ending.result;
    detail = ` (recorded result ${terminal.result ?? "undefined"}, now ${ending.result ?? "undefined"})`;
  } else if (same && terminal.type === "ExecutionFailed" && ending.type === "ExecutionFailed") {
    same = terminal.error.name === ending.error.name && terminal.error.message === ending.error.message;
    detail = ` (recorded ${terminal.error.name}: ${terminal.error.message}; now ${ending.error.name}: ${ending.error.message})`;
  }
  if (!same) {
    throw new NonDeterminismError(
      `replayHistory: execution '${executionId}' ended with ${terminal.type} in the history but the code now ` +
        `${now}${detail}. The code changed what the workflow computes from the same recorded results.`,
      {
        executionId,
        opId: EXECUTION_OP,
        expected: { text: endingText(terminal) },
        found: { text: endingText(ending) },
      },
    );
  }
  const outcome = terminal.type === "ContinuedAsNew" ? "continuedAsNew" : now;
  return { ...report, outcome };
}

/** An ending in words, for a divergence: `ExecutionCompleted with result "v1"`, `ExecutionFailed (Error: boom)`. */
function endingText(event: NewEvent | HistoryEvent): string {
  if (event.type === "ExecutionCompleted") return `${event.type} with result ${event.result ?? "undefined"}`;
  if (event.type === "ExecutionFailed") return `${event.type} (${event.error.name}: ${event.error.message})`;
  return event.type;
}
