// Redrive of a failed run, as the history records it. `engine.redrive` appends an ExecutionRedriven event after the
// failed ending; it names `fromSeq`, the first event it supersedes (the failed step's final failure, or the ending
// itself when no step failed), and `rerun`, the step that runs again with a fresh attempt budget. A replay reads the
// run without the superseded events: the failed step and everything recorded after its failure are as if never
// recorded, and everything that completed before it replays from the history. A run failed by a DAG (DagFailedError)
// is redriven per task: `rerun` lists the scopes of the failed tasks and of the tasks downstream of them that ran on
// their failure, and `fromSeq` is the first event after the DAG's last task event, so every task that succeeded
// replays (also one that completed after the first failure) and the failed, skipped and never-started tasks run.
// Pure: the engine, replayHistory and the test engine all see the same live events.
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
      if (event.seq >= redrive.fromSeq || reruns(redrive.rerun, event.opId)) return false;
    }
    return true;
  });
}

/** Whether `opId` is superseded by `rerun`: the one step named (a string), or a listed operation or its scope. */
function reruns(rerun: string | readonly string[] | undefined, opId: string): boolean {
  if (rerun === undefined) return false;
  if (typeof rerun === "string") return opId === rerun;
  for (const id of rerun) if (opId === id || (opId.startsWith(id) && opId.charCodeAt(id.length) === 46 /* "." */)) return true;
  return false;
}

/** Where a redrive of a failed run starts: the first event it supersedes and the step it reruns, if any. */
export interface RedrivePoint {
  fromSeq: number;
  /** The step that failed first: it runs again with a fresh attempt budget. */
  rerun?: { opId: string; name: string };
  /** A failed DAG's task scopes to supersede (recorded as ExecutionRedriven's `rerun` list). */
  scopes?: string[];
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
 * it are superseded; without such a step only the failed ending is. When a DagFailedError comes first in that chain,
 * the failed tasks and the tasks downstream of them that ran are superseded, and what followed the DAG's last task
 * event: the tasks that succeeded replay.
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
  const dag = dagPoint(ending.seq, ending.error, live);
  if (dag) return dag;
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

/** A redrive point for a run a DAG failed, when a DagFailedError comes before any StepFailedError in the chain. */
function dagPoint(endingSeq: number, error: ErrorRecord | undefined, live: readonly HistoryEvent[]): RedrivePoint | undefined {
  let failure: ErrorRecord | undefined;
  for (let at = error, depth = 0; at && depth < 16; at = at.cause, depth++) {
    if (at.name === "StepFailedError") return undefined;
    if (at.name === "DagFailedError") {
      failure = at;
      break;
    }
  }
  const dagOp = failure && opIdOf(failure.data?.operation);
  const failures = failure?.data?.failures;
  if (dagOp === undefined || !Array.isArray(failures)) return undefined;
  const started = live.find((event) => event.opId === dagOp && event.type === "GroupStarted");
  if (started?.type !== "GroupStarted" || started.shape === undefined) return undefined;
  let tasks: [string, string[]][];
  try {
    tasks = JSON.parse(started.shape) as [string, string[]][];
  } catch {
    return undefined;
  }
  const index = new Map(tasks.map(([name], at) => [name, at]));
  const failed = failures.map((entry) => index.get((entry as { task?: string } | null)?.task ?? ""));
  if (failed.length === 0 || failed.some((at) => at === undefined)) return undefined;
  // The failed tasks and every task downstream of them: those that ran took a failed dependency's outcome.
  const dependents = tasks.map((): number[] => []);
  tasks.forEach(([, deps], at) => deps.forEach((dep) => dependents[index.get(dep)!]?.push(at)));
  const rerun = new Set<number>();
  const queue = [...(failed as number[])];
  while (queue.length > 0) {
    const at = queue.pop()!;
    if (rerun.has(at)) continue;
    rerun.add(at);
    queue.push(...dependents[at]!);
  }
  const prefix = `${dagOp}.`;
  let last = started.seq;
  const ran = new Set<number>();
  for (const event of live) {
    if (!event.opId.startsWith(prefix)) continue;
    last = event.seq;
    ran.add(Number(event.opId.slice(prefix.length).split(".", 1)[0]));
  }
  const scopes = [...rerun].sort((a, b) => a - b).filter((at) => ran.has(at) || failed.includes(at)).map((at) => `${prefix}${at}`);
  const fromSeq = Math.min(endingSeq, last + 1);
  const consumed = live.filter((event) => (event.seq >= fromSeq || reruns(scopes, event.opId)) && CONSUMING.has(event.type));
  // The step whose failure was recorded first (the error's cause); else the first failed task in declaration order.
  const firstTask = tasks[failed[0]!]![0];
  let first: RedrivePoint["rerun"] = { opId: `${prefix}${failed[0]}`, name: firstTask };
  for (const opId of failedSteps(failure!.cause)) {
    const final = lastFinalFailure(live, opId);
    if (final && reruns(scopes, opId)) {
      first = { opId, name: final.name };
      break;
    }
  }
  return { fromSeq, rerun: first, scopes, consumed };
}

/** The operation id an error's `operation` names ("step 'x' (#3.1)" -> "3.1"). */
function opIdOf(operation: unknown): string | undefined {
  const match = typeof operation === "string" ? /\(#([0-9.]+)\)$/.exec(operation) : null;
  return match ? match[1]! : undefined;
}

/** Operation ids of the steps a failure names, outermost first (StepFailedError's `operation`: "step 'x' (#3.1)"). */
function failedSteps(error: ErrorRecord | undefined): string[] {
  const ids: string[] = [];
  for (let at = error, depth = 0; at && depth < 16; at = at.cause, depth++) {
    if (at.name !== "StepFailedError") continue;
    const opId = opIdOf(at.data?.operation);
    if (opId !== undefined) ids.push(opId);
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
