// The replayer's vocabulary: what arrives (inbox items, with their arrival times), what a workflow waits for, what the
// replayer needs from outside (randomness and the recorded time it has reached), and its answer to a yielded command.
import type { Position } from "./position.js";

/** An item in an execution's inbox: an event, a cancellation, a callback completion or a child's outcome. */
export interface InboxItem {
  /** Unique id, sortable by arrival (a ULID). */
  id: string;
  /** Idempotency key; writes with a key already present are duplicates. */
  key: string;
  type: "event" | "cancel" | "callback" | "child";
  /** Event name; `callback:<token>` or `child:<childId>` for those; `cancel` for cancellations. */
  name: string;
  /** JSON text: the event payload, the cancellation reason, or the callback's/child's outcome. */
  payload?: string;
  /** When it arrived (epoch ms). */
  at: number;
  /** The sender's W3C trace context (`sendEvent` inside a trace); recorded as the EventReceived's `link`. */
  traceparent?: string;
}

/** What a suspended execution waits for. */
export interface WaitInfo {
  kind: "timer" | "event" | "retry" | "callback" | "child";
  opId: string;
  name: string;
  /** When it wakes up by itself (epoch ms), if ever. */
  until?: number;
  /**
   * A callback's token, kept in the record so a completion is checked against it without reading the history. Never
   * shown by `describe`, `list` or a turn's result.
   */
  token?: string;
}

/** What the replayer injects at the frontier: time and randomness come from outside. */
export interface Environment {
  now(): number;
  random(): number;
  uuid(): string;
}

/** The answer to one yielded command. */
export type Decision =
  | { type: "resume"; value: unknown }
  | { type: "throw"; error: Error }
  /** Run attempt `attempt` of the step at `position` (for a callback, its send step). */
  | { type: "run"; position: Position; attempt: number; flushFirst: boolean }
  | { type: "wait"; wait: WaitInfo }
  /** Run a group: open its children's scopes. `settled` is the child index a recorded early settlement names. */
  | { type: "group"; position: Position; settled?: number }
  /** Create the child execution (idempotently), then call childStarted. */
  | { type: "startChild"; position: Position; childId: string; input?: string }
  /** End the run and start the next with this input. */
  | { type: "continueAsNew"; input?: string };
