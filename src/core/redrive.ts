// Redrive of a failed run, as the history records it. `engine.redrive` appends an ExecutionRedriven event after the
// failed ending; it names `fromSeq`, the first event it supersedes (the failed step's final failure, or the ending
// itself when no step failed), and `rerun`, the step that runs again with a fresh attempt budget. A replay reads the
// run without the superseded events: the failed step and everything recorded after its failure are as if never
// recorded, and everything that completed before it replays from the history. Pure: the engine, replayHistory and the
// test engine all see the same live events.
import { HistoryCorruptedError } from "../errors.js";
import type { ErrorRecord } from "./error-record.js";
import type { EventOf, HistoryEvent } from "./history.js";

/**
 * The events a replay reads: `history` less what any ExecutionRedriven in it superseded (and less the ExecutionRedriven
 * events themselves). Returns `history` itself when it was never redriven.
 *
 * @example
 * ```ts
 * const live = liveEvents(history); // the failed step's events and the failed ending are gone after a redrive
 * ```
 */
export function liveEvents(history: readonly HistoryEvent[]): readonly HistoryEvent[] {
  let redrives: EventOf<"ExecutionRedriven">[] | undefined;
  for (let i = 0; i < history.length; i++) {
    const event = history[i]!;
    if (event.type === "ExecutionRedriven") (redrives ??= []).push(event);
  }
  if (!redrives) return history;
  return history.filter((event) => {
    if (event.type === "ExecutionRedriven") return false;
    for (const redrive of redrives) {
      if (event.seq >= redrive.seq) continue;
      if (event.seq >= redrive.fromSeq || event.opId === redrive.rerun) return false;
    }
    return true;
  });
}

/** Where a redrive of a failed run starts: the first event it supersedes and the step it reruns, if any. */
export interface RedrivePoint {
  fromSeq: number;
  rerun?: { opId: string; name: string };
  /** Live events between the failure and the ending that took inbox items (a redrive would drop them). */
  consumed: HistoryEvent[];
}

/** Event types whose recording consumed an inbox item. */
const CONSUMING: ReadonlySet<HistoryEvent["type"]> = new Set([
  "EventReceived",
  "CallbackCompleted",
  "ChildCompleted",
  "CancelRequested",
]);

/**
 * Where a redrive of this failed run starts. The failed step is the one the failure names: the StepFailedError that
 * ended the run, or one in its `cause` chain (a workflow that wrapped it). Its final StepFailed and everything after
 * it are superseded; without such a step only the failed ending is.
 *
 * @example
 * ```ts
 * const point = redrivePoint("order-o-1", history); // { fromSeq: 7, rerun: { opId: "2", name: "charge" }, consumed: [] }
 * ```
 * @throws HistoryCorruptedError when the run does not end with ExecutionFailed.
 */
export function redrivePoint(executionId: string, history: readonly HistoryEvent[]): RedrivePoint {
  const ending = history[history.length - 1];
  if (ending?.type !== "ExecutionFailed") {
    throw new HistoryCorruptedError(
      `Execution '${executionId}' is recorded as failed but its history does not end with ExecutionFailed ` +
        `(last event: ${ending?.type ?? "none"}). Nothing was changed; inspect it with engine.history().`,
      { executionId },
    );
  }
  const live = liveEvents(history.slice(0, -1));
  let fromSeq = ending.seq;
  let rerun: RedrivePoint["rerun"];
  for (const opId of failedSteps(ending.error)) {
    const final = lastFinalFailure(live, opId);
    if (final) {
      fromSeq = final.seq;
      rerun = { opId, name: final.name };
      break;
    }
  }
  const consumed = live.filter((event) => event.seq >= fromSeq && CONSUMING.has(event.type));
  return { fromSeq, ...(rerun ? { rerun } : {}), consumed };
}

/** Operation ids of the steps a failure names, outermost first (StepFailedError's `operation`: "step 'x' (#3.1)"). */
function failedSteps(error: ErrorRecord | undefined): string[] {
  const ids: string[] = [];
  for (let at = error, depth = 0; at && depth < 16; at = at.cause, depth++) {
    if (at.name !== "StepFailedError") continue;
    const operation = at.data?.operation;
    const match = typeof operation === "string" ? /\(#([0-9.]+)\)$/.exec(operation) : null;
    if (match) ids.push(match[1]!);
  }
  return ids;
}

function lastFinalFailure(live: readonly HistoryEvent[], opId: string): EventOf<"StepFailed"> | undefined {
  for (let i = live.length - 1; i >= 0; i--) {
    const event = live[i]!;
    if (event.opId === opId && event.type === "StepFailed" && event.retryAt === undefined) return event;
  }
  return undefined;
}
