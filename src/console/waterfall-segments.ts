// How one operation's recorded events become its lane's segments on the waterfall (waterfall.ts lays the lanes out):
// a step's attempts with the backoffs between them, and the bars of timers, event waits, callbacks and children up to
// what ended them. Recorded times only; `now` only measures what is still open.
import type { HistoryEvent } from "../core/history.js";
import type { Lane, Segment } from "./waterfall.js";

const MAX_NOTE = 120;

/**
 * What open segments are measured against: the run's end, or now while it is open.
 *
 * @example
 * ```ts
 * const context: Context = { now: Date.now(), closed: false };
 * ```
 */
export interface Context {
  /** The run's end, or now while it is open: what an open segment runs up to. */
  now: number;
  closed: boolean;
}

/**
 * A step's segments from its records: each attempt (from when it could start to its recorded end) and the backoff
 * after each retried failure; a retry that is due shows as a running attempt.
 *
 * @example
 * ```ts
 * layoutStep(lane, events.filter((event) => event.opId === lane.opId), { now: Date.now(), closed: false });
 * ```
 */
export function layoutStep(lane: Lane, events: readonly HistoryEvent[], context: Context): void {
  let attemptStart = lane.start;
  for (const event of events) {
    if (event.type === "StepStarted") {
      attemptStart = event.at;
      if (event.attempt === 1) lane.start = Math.min(lane.start, event.at);
    } else if (event.type === "StepCompleted") {
      lane.segments.push({ kind: "attempt", from: attemptStart, to: event.at, attempt: event.attempt, outcome: "completed" });
      delete lane.deadline;
      lane.status = "completed";
      lane.end = event.at;
      if (event.result !== undefined) lane.note = short(event.result);
    } else if (event.type === "StepFailed") {
      const note = short(`${event.error.name}: ${event.error.message}`);
      lane.segments.push({ kind: "attempt", from: attemptStart, to: event.at, attempt: event.attempt, outcome: "failed", note });
      lane.note = note;
      if (event.retryAt === undefined) {
        lane.status = "failed";
        lane.end = event.at;
      } else {
        lane.segments.push({ kind: "backoff", from: event.at, to: event.retryAt, attempt: event.attempt });
        lane.deadline = event.retryAt;
        attemptStart = event.retryAt;
        lane.status = "waiting";
        lane.end = undefined;
      }
    }
  }
  // A retry that is due: its next attempt runs (or is about to).
  if (lane.end === undefined && !context.closed && lane.deadline !== undefined && lane.deadline <= context.now) {
    lane.status = "running";
    lane.segments.push({ kind: "attempt", from: lane.deadline, attempt: lastAttempt(lane) + 1 });
  }
}

function lastAttempt(lane: Lane): number {
  return Math.max(0, ...lane.segments.map((segment) => segment.attempt ?? 0));
}

/**
 * Timers, waits for an event, callbacks, children, groups and instant records (setStatus, now, patched): a bar from
 * the record that began it to the one that ended it (open while it waits), and its deadline.
 *
 * @example
 * ```ts
 * layoutWait(lane, events.filter((event) => event.opId === lane.opId));
 * ```
 */
export function layoutWait(lane: Lane, events: readonly HistoryEvent[]): void {
  let open: Segment | undefined;
  for (const event of events) {
    switch (event.type) {
      case "TimerScheduled":
        open = { kind: "timer", from: event.at };
        lane.deadline = event.fireAt;
        lane.status = "waiting";
        break;
      case "WaitStarted":
      case "CallbackCreated":
        open = { kind: "wait", from: event.at };
        if (event.deadline !== undefined) lane.deadline = event.deadline;
        lane.status = "waiting";
        break;
      case "ChildStarted":
        lane.childId = event.childId;
        if (event.detached) {
          lane.end = event.at;
          lane.status = "completed";
        } else {
          open = { kind: "child", from: event.at };
          lane.status = "waiting";
        }
        break;
      case "TimerFired":
        // A sleep's timer fired; for a wait or a callback it is the timeout.
        lane.status = lane.kind === "sleep" || open?.kind === "timer" ? "completed" : "timed-out";
        close(lane, open, event.at, lane.status === "completed" ? "completed" : "timed-out");
        open = undefined;
        break;
      case "EventReceived":
        lane.status = "completed";
        if (event.payload !== undefined) lane.note = short(event.payload);
        close(lane, open, event.at, "completed");
        open = undefined;
        break;
      case "CallbackCompleted":
        lane.status = event.error ? "failed" : "completed";
        lane.note = event.error ? short(`${event.error.name}: ${event.error.message}`) : event.value === undefined ? undefined : short(event.value);
        close(lane, open, event.at, event.error ? "failed" : "completed");
        open = undefined;
        break;
      case "ChildCompleted":
        lane.status = event.status === "completed" ? "completed" : event.status === "failed" ? "failed" : "cancelled";
        lane.note = event.error ? short(`${event.error.name}: ${event.error.message}`) : event.result === undefined ? undefined : short(event.result);
        close(lane, open, event.at, event.status === "completed" ? "completed" : event.status === "failed" ? "failed" : "cancelled");
        open = undefined;
        break;
      case "CancelRequested":
        lane.note = event.reason === undefined ? "cancel requested" : short(`cancel requested: ${event.reason}`);
        break;
      case "StatusSet":
      case "ValueRecorded":
        lane.end = event.at;
        lane.status = "recorded";
        lane.note = short(event.type === "StatusSet" ? (event.value ?? "") : event.value);
        break;
      case "PatchMarker":
      case "GroupSettled":
        if (lane.end === undefined && !open && event.type === "PatchMarker") lane.end = event.at;
        break;
      default:
        break;
    }
  }
  if (open) lane.segments.push(open);
}

function close(lane: Lane, open: Segment | undefined, at: number, outcome: NonNullable<Segment["outcome"]>): void {
  if (open) lane.segments.push({ ...open, to: at, outcome });
  lane.end = at;
}

/**
 * A note for a lane: the text, cut to 120 characters.
 *
 * @example
 * ```ts
 * short(event.payload ?? "");
 * ```
 */
export function short(text: string): string {
  return text.length > MAX_NOTE ? `${text.slice(0, MAX_NOTE - 3)}...` : text;
}
