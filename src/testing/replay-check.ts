// replayHistory(): today's code against a recorded history (a production export or a golden file), with no effects.
// It runs the engine's own turn over the history in replay-only mode: every recorded position must match, the run
// stops at the first work the history does not hold, and if the history is finished the code must finish the same way.
import type { HistoryEvent, NewEvent } from "../core/history.js";
import { checkHistory, TERMINAL_EVENTS } from "../core/history.js";
import { WarmCache } from "../engine/cache.js";
import { silentLogger } from "../engine/log.js";
import type { Session, TurnDeps } from "../engine/turn.js";
import { ReplayStop, runTurn } from "../engine/turn.js";
import { HistoryCorruptedError, NonDeterminismError, WorkflowNotFoundError } from "../errors.js";
import { newExecution } from "../store/history-store.js";
import { MemoryStore } from "../store/memory-store.js";
import type { AnyWorkflow } from "../workflow.js";

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
  const store = new MemoryStore({ maxValueBytes: Number.MAX_SAFE_INTEGER });
  const execution = newExecution({ id: executionId, workflow: workflow.name, runId: started.runId, at: started.at });
  await store.create({ record: { ...execution.record, status: "suspended" }, events: [started] });
  if (recorded.length > 1) {
    await store.append(executionId, {
      runId: started.runId,
      expectedVersion: 1,
      events: recorded.slice(1),
      update: { status: "suspended", waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: started.at },
      consumeInbox: [],
    });
  }
  const frozenAt = history[history.length - 1]!.at;
  const deps: TurnDeps = {
    store,
    clock: { now: () => frozenAt, setTimer: () => () => {} },
    env: { now: () => frozenAt, random: () => 0, uuid: () => "00000000-0000-4000-8000-000000000000" },
    logger: silentLogger,
    cache: new WarmCache<Session>(0),
    workflow: (name) => {
      if (name === workflow.name) return workflow;
      throw new WorkflowNotFoundError(`replayHistory: no workflow '${name}'.`);
    },
    staleTurnMs: 0,
    historyWarningThreshold: Number.POSITIVE_INFINITY,
    takeInboxSignal: () => false,
    timedSteps: { running: 0 },
    newRunId: () => "replay",
    startChild: async () => {},
    notifyParent: async () => {},
    ensureChildReported: async () => {},
    replayOnly: true,
  };
  const report = { executionId, events: history.length };
  try {
    await runTurn(deps, executionId);
  } catch (stop) {
    if (!(stop instanceof ReplayStop)) throw stop;
    const outcome = stop.outcome;
    if (outcome.kind === "frontier") {
      if (terminal?.type === "ContinuedAsNew" && outcome.position?.kind === "continueAsNew") {
        return { ...report, outcome: "continuedAsNew" };
      }
      if (terminal && !(terminal.type === "ExecutionCancelled" && terminal.terminated)) {
        const at = outcome.position ? `${outcome.position.kind} '${outcome.position.name}' (#${outcome.position.opId})` : "new work";
        throw new NonDeterminismError(
          `replayHistory: execution '${executionId}' ended (${terminal.type}) after the recorded operations, but the ` +
            `code now goes on to ${at}.`,
          { executionId },
        );
      }
      return { ...report, outcome: "waiting", ...(outcome.position ? { frontier: outcome.position } : {}) };
    }
    return compare(executionId, terminal, outcome.event, report);
  }
  throw new Error("Spindle internal error: a replay-only turn ended without stopping");
}

function compare(
  executionId: string,
  terminal: HistoryEvent | undefined,
  ending: NewEvent,
  report: { executionId: string; events: number },
): ReplayReport {
  const now = ending.type === "ExecutionCompleted" ? "completed" : ending.type === "ExecutionFailed" ? "failed" : "cancelled";
  if (!terminal) {
    throw new NonDeterminismError(
      `replayHistory: execution '${executionId}' is still running in the history, but the code now ${now} after ` +
        `the last recorded operation. The code removed or skipped an operation the history expects next.`,
      { executionId },
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
      { executionId },
    );
  }
  const outcome = terminal.type === "ContinuedAsNew" ? "continuedAsNew" : now;
  return { ...report, outcome };
}
