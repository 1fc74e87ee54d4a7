// The prelude every operation handler shares: the errors a wait ends with (timeout, cancellation) and the check of a
// delivered value against its schema. Cancellation delivery itself lives in the replayer (it owns the inbox).
import { CancelledError, NonDeterminismError, TimeoutError, ValidationError } from "../../errors.js";
import type { DivergenceSide } from "../../errors.js";
import type { Position } from "../position.js";
import type { EncodeSite } from "../codec.js";
import type { HistoryEvent } from "../history.js";
import type { Decision, Replayer } from "../replayer.js";
import type { SchemaLike } from "../yieldable.js";

/** The recorded events of one operation, and its kind and name. */
export interface OpRecord {
  kind: string;
  name: string;
  events: HistoryEvent[];
}

/** No events: what an operation with nothing recorded iterates over. */
export const NO_EVENTS: readonly HistoryEvent[] = Object.freeze([]);

/** A value delivered to a wait, checked against the wait's schema. */
export function delivered(r: Replayer, position: Position, schema: SchemaLike<unknown> | undefined, value: unknown, what: string): Decision {
  if (!schema) return { type: "resume", value };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { type: "resume", value: parsed.data };
  const error = new ValidationError(
    `Execution '${r.executionId}': ${what} at ${position.describe()} does not match its schema: ` +
      `${JSON.stringify(parsed.error.issues)}. Send a value that matches, or widen the schema.`,
    { executionId: r.executionId, operation: position.describe(), issues: parsed.error.issues },
  );
  return { type: "throw", error };
}

/** The error a wait ends with when its deadline comes first. */
export function timedOut(r: Replayer, position: Position, timeoutMs: number | undefined): TimeoutError {
  return new TimeoutError(
    `Execution '${r.executionId}': ${position.describe()} timed out after ${timeoutMs} ms with nothing ` +
      `received. Catch TimeoutError to handle it, or raise the timeout.`,
    { executionId: r.executionId, operation: position.describe() },
  );
}

/** The error a cancellation surfaces as, at the operation it reached. */
export function cancelled(r: Replayer, position: Position, reason: string | undefined): CancelledError {
  const why = reason === undefined ? "" : ` (${reason})`;
  return new CancelledError(
    `Execution '${r.executionId}' was cancelled${why} at ${position.describe()}. Run compensation steps in ` +
      `catch/finally and rethrow to end as cancelled.`,
    { executionId: r.executionId, operation: position.describe(), ...(reason === undefined ? {} : { reason }) },
  );
}

/** The history holds another operation here than the code does. */
export function mismatch(r: Replayer, opId: string, recorded: DivergenceSide, found: DivergenceSide): NonDeterminismError {
  return new NonDeterminismError(
    `Execution '${r.executionId}' is not deterministic at operation #${opId}: the history holds ${recorded.text} ` +
      `but the code now does ${found.text}. Nothing new ran. Deploy the code that recorded this history, or guard ` +
      `the change with patched(). If the code did not change, the body depends on something that is not ` +
      `recorded: Math.random() (use random()), Date.now() or new Date() (use now()), I/O or mutable state read ` +
      `outside a step (move it into step()), or iteration over an unordered source (sort it first).`,
    { executionId: r.executionId, operation: `#${opId}`, opId, expected: recorded, found },
  );
}

/** One side of a divergence that is an operation: `step 'b'`, or with what follows, `all 'fan' of 2 branches`. */
export function side(kind: string, name: string, detail?: string): DivergenceSide {
  return { kind, name, text: `${kind} '${name}'${detail === undefined ? "" : ` ${detail}`}` };
}

/** A recorded event that this kind of operation never records. */
export function unexpected(r: Replayer, event: HistoryEvent): Error {
  return new NonDeterminismError(
    `Execution '${r.executionId}': event #${event.seq} (${event.type}) cannot belong to ${event.kind} ` +
      `'${event.name}' (#${event.opId}). The history was recorded by different code or edited.`,
    { executionId: r.executionId, operation: `#${event.opId}`, opId: event.opId },
  );
}

/** What a body yielded instead of an operation, for the error. */
export function describeYielded(value: unknown): string {
  if (value === null || typeof value !== "object") return `a ${value === null ? "null" : typeof value}`;
  if (typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") {
    return "an operation object (a bare yield)";
  }
  return "an object";
}

/**
 * The events every operation meets the same way: a cancellation recorded at it is thrown again; any other event is
 * not one this kind of operation records.
 */
export function cancelledOrUnexpected(r: Replayer, position: Position, event: HistoryEvent): Decision {
  if (event.type === "CancelRequested") return { type: "throw", error: cancelled(r, position, event.reason) };
  throw unexpected(r, event);
}

/** Where a value produced at an operation is encoded: names the execution and the operation when it is refused. */
export function site(r: Replayer, position: Position | undefined, what: string): EncodeSite {
  return {
    executionId: r.executionId,
    get operation() {
      return position ? `${position.describe()} ${what}` : what;
    },
    limit: r.valueLimit,
  };
}
