// Validation of stored history events without zod: one table of every event's fields, checked by hand. The engine
// loads and checks histories on every cold turn, so this module is what a Lambda handler carries instead of zod
// schemas built at import (history.ts keeps the public zod schemas, which a bundle leaves out unless it uses them;
// test/core/history-check.test.ts holds the two to the same shapes). Pure: no I/O, no clock.
import { HistoryCorruptedError } from "../errors.js";
import type { EventOf, HistoryEvent, HistoryEventType } from "./history.js";

/**
 * The schema version this code writes and the newest it reads.
 * @example
 * ```ts
 * if (event.v > HISTORY_VERSION) throw new Error("written by a newer Spindle");
 * ```
 */
export const HISTORY_VERSION = 1;

/** Operation id of events that belong to the execution itself rather than to an operation. */
export const EXECUTION_OP = "-";

/** Event types that end a run. */
export const TERMINAL_EVENTS: ReadonlySet<HistoryEventType> = new Set([
  "ExecutionCompleted",
  "ExecutionFailed",
  "ExecutionCancelled",
  "ContinuedAsNew",
]);

/**
 * What a field holds. A trailing `?` makes it optional (absent or undefined): `str` a string, `int+` a positive safe
 * integer, `int0` a non-negative one, `num` a finite number, `bool` a boolean, `error` an error record, `child` a
 * child's ending status, `ids` a string or a list of strings.
 * @internal
 */
export type FieldKind = "str" | "int+" | "int0" | "num" | "bool" | "error" | "child" | "ids";

/** Fields of one event type besides the common ones, as `name: kind` (`kind?` when optional). @internal */
export type EventFields = Readonly<Record<string, `${FieldKind}` | `${FieldKind}?`>>;

/** Fields every event carries. @internal */
export const BASE_FIELDS: EventFields = { v: "int+", seq: "int+", opId: "str", kind: "str", name: "str", at: "num" };

/**
 * Every event type's own fields. Adding an event type means adding it here and to history.ts's zod schemas (the
 * test compares them).
 * @internal
 */
export const EVENT_FIELDS: Readonly<Record<HistoryEventType, EventFields>> = {
  ExecutionStarted: { executionId: "str", runId: "str", input: "str?", traceparent: "str?" },
  StepStarted: { attempt: "int+" },
  StepCompleted: { attempt: "int+", result: "str?" },
  StepFailed: { attempt: "int+", error: "error", retryAt: "num?" },
  TimerScheduled: { fireAt: "num" },
  TimerFired: {},
  WaitStarted: { deadline: "num?" },
  EventReceived: { inboxId: "str", payload: "str?", link: "str?" },
  ValueRecorded: { value: "str" },
  GroupStarted: { size: "int0", shape: "str?" },
  GroupSettled: { index: "int0" },
  ChildStarted: { childId: "str", detached: "bool?" },
  ChildCompleted: { inboxId: "str", status: "child", result: "str?", error: "error?" },
  CallbackCreated: { token: "str", deadline: "num?" },
  CallbackCompleted: { inboxId: "str", value: "str?", error: "error?" },
  PatchMarker: {},
  StatusSet: { value: "str?" },
  CancelRequested: { inboxId: "str", reason: "str?" },
  ExecutionCompleted: { result: "str?" },
  ExecutionFailed: { error: "error" },
  ContinuedAsNew: { nextRunId: "str", input: "str?" },
  ExecutionCancelled: { reason: "str?", terminated: "bool?" },
  ExecutionRedriven: { fromSeq: "int+", rerun: "ids?" },
};

const CHILD_STATUSES: ReadonlySet<unknown> = new Set(["completed", "failed", "cancelled", "terminated"]);

/** What a kind expects, for messages. */
const EXPECTED: Readonly<Record<FieldKind, string>> = {
  str: "a string",
  "int+": "a positive integer",
  int0: "a non-negative integer",
  num: "a finite number",
  bool: "a boolean",
  error: "an error record ({ name, message, code?, data?, stack?, cause? })",
  ids: "a string or a list of strings",
  child: `one of ${[...CHILD_STATUSES].map((status) => `"${status}"`).join(", ")}`,
};

/** What was found where something else was expected. */
function received(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : Number.isFinite(value) ? `the number ${value}` : String(value);
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return typeof value;
}

/** An object (not null, not an array): what an event or error record must be. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A plain object (from JSON), what an error record's `data` must be. */
function isPlainRecord(value: unknown): boolean {
  if (!isObject(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Why an error record does not pass, as [path, message], or undefined when it does. Records nest through `cause`. */
function errorRecordProblem(value: unknown, path: string): [string, string] | undefined {
  for (let depth = 0; ; depth++) {
    if (!isObject(value)) return [path, `expected ${EXPECTED.error}, received ${received(value)}`];
    for (const field of ["name", "message"] as const) {
      if (typeof value[field] !== "string") return [`${path}.${field}`, `expected a string, received ${received(value[field])}`];
    }
    for (const field of ["code", "stack"] as const) {
      const inner = value[field];
      if (inner !== undefined && typeof inner !== "string") return [`${path}.${field}`, `expected a string, received ${received(inner)}`];
    }
    const data = value.data;
    if (data !== undefined && !isPlainRecord(data)) {
      return [`${path}.data`, `expected a plain object, received ${received(data)}`];
    }
    if (value.cause === undefined) return undefined;
    value = value.cause;
    path = `${path}.cause`;
    if (depth > 1_000) return [path, "error causes nest more than 1,000 deep"];
  }
}

/** Why `value` is not of `kind`, or undefined when it is. */
function fieldProblem(kind: FieldKind, value: unknown, path: string): [string, string] | undefined {
  let ok: boolean;
  switch (kind) {
    case "str":
      ok = typeof value === "string";
      break;
    case "int+":
      ok = Number.isSafeInteger(value) && (value as number) > 0;
      break;
    case "int0":
      ok = Number.isSafeInteger(value) && (value as number) >= 0;
      break;
    case "num":
      ok = typeof value === "number" && Number.isFinite(value);
      break;
    case "bool":
      ok = typeof value === "boolean";
      break;
    case "child":
      ok = CHILD_STATUSES.has(value);
      break;
    case "ids":
      ok = typeof value === "string" || (Array.isArray(value) && value.every((id) => typeof id === "string"));
      break;
    case "error":
      return errorRecordProblem(value, path);
  }
  return ok ? undefined : [path, `expected ${EXPECTED[kind]}, received ${received(value)}`];
}

/** Checks `fields` of `item`, copying them into `into`; returns the first problem as [path, message]. */
function checkFields(item: Record<string, unknown>, fields: EventFields, into: Record<string, unknown>): [string, string] | undefined {
  for (const name in fields) {
    const spec = fields[name]!;
    const optional = spec.endsWith("?");
    const value = item[name];
    if (value === undefined) {
      if (!optional) return [name, `required, received ${name in item ? "undefined" : "nothing"}`];
      if (name in item) into[name] = undefined;
      continue;
    }
    const problem = fieldProblem((optional ? spec.slice(0, -1) : spec) as FieldKind, value, name);
    if (problem) return problem;
    into[name] = value;
  }
  return undefined;
}

/**
 * Checks one raw event against its type's fields. Returns the event (a StepCompleted as it is; others copied with
 * only their known fields, as a schema parse would) or why it does not match, as [path, message].
 */
function checkEvent(item: unknown): { event: HistoryEvent } | { problem: [string, string] } {
  if (isPlainStepCompleted(item)) return { event: item };
  if (!isObject(item)) return { problem: ["", `expected an event object, received ${received(item)}`] };
  const type = item.type;
  const fields = typeof type === "string" && Object.hasOwn(EVENT_FIELDS, type) ? EVENT_FIELDS[type as HistoryEventType] : undefined;
  if (fields === undefined) {
    return { problem: ["type", `expected a known event type (${Object.keys(EVENT_FIELDS).join(", ")}), received ${received(type)}`] };
  }
  const event: Record<string, unknown> = { type };
  const problem = checkFields(item, BASE_FIELDS, event) ?? checkFields(item, fields, event);
  return problem ? { problem } : { event: event as unknown as HistoryEvent };
}

/**
 * Validates raw stored events for one execution: each must match its event type's fields, be of a version this code
 * reads, follow the previous one in sequence starting at `firstSeq`, and the first of a run must be the
 * ExecutionStarted of this execution.
 * @example
 * ```ts
 * const events = checkHistory("order-1", JSON.parse(await readFile("order-1.history.json", "utf8")));
 * ```
 * @throws HistoryCorruptedError naming the execution, the position and what is wrong.
 */
export function checkHistory(executionId: string, raw: readonly unknown[], firstSeq = 1): HistoryEvent[] {
  const events: HistoryEvent[] = new Array(raw.length);
  checkInto(executionId, raw, raw.length, firstSeq, events, 0);
  return events;
}

/**
 * checkHistory over the pages of one run as loaded, into one array of `length` events (pages past it are ignored).
 * A history gathered into one array first would be copied at every growth, and arrays past 16K entries are costly
 * large objects.
 * @throws HistoryCorruptedError as checkHistory.
 * @internal
 */
export function checkPages(executionId: string, pages: readonly (readonly unknown[])[], length: number): HistoryEvent[] {
  const events: HistoryEvent[] = new Array(length);
  let at = 0;
  for (let p = 0; p < pages.length && at < length; p++) {
    const page = pages[p]!;
    const count = Math.min(page.length, length - at);
    checkInto(executionId, page, count, 1 + at, events, at);
    at += count;
  }
  return events;
}

/** Checks the first `count` events of `raw` (the first at `firstSeq`) into `into` from `offset`. */
function checkInto(executionId: string, raw: readonly unknown[], count: number, firstSeq: number, into: HistoryEvent[], offset: number): void {
  for (let i = 0; i < count; i++) {
    const expectedSeq = firstSeq + i;
    const item = raw[i];
    const version = (item as { v?: unknown } | null)?.v;
    if (typeof version === "number" && version > HISTORY_VERSION) {
      throw corrupted(executionId, expectedSeq, `it was written with history schema version ${version}, newer than ` +
        `this Spindle reads (${HISTORY_VERSION}). Upgrade Spindle before resuming this execution.`);
    }
    const checked = checkEvent(item);
    if ("problem" in checked) {
      const [path, message] = checked.problem;
      throw corrupted(executionId, expectedSeq, `it does not match the event schema${path ? ` at '${path}'` : ""}: ${message}`);
    }
    const event = checked.event;
    if (event.seq !== expectedSeq) {
      const what = event.seq < expectedSeq ? "a duplicate or out-of-order" : "a gap before";
      throw corrupted(executionId, expectedSeq, `found seq ${event.seq}: ${what} event`);
    }
    if (event.seq === 1) {
      if (event.type !== "ExecutionStarted") {
        throw corrupted(executionId, 1, `the first event is ${event.type}, not ExecutionStarted`);
      }
      if (event.executionId !== executionId) {
        throw corrupted(executionId, 1, `it belongs to execution '${event.executionId}'`);
      }
    }
    into[offset + i] = event;
  }
}

/**
 * A strict check for the most common event, StepCompleted, that keeps the stored object as it is (no copy), so long
 * histories validate fast. It accepts only what the general check accepts.
 * @example
 * ```ts
 * if (isPlainStepCompleted(raw)) events.push(raw); // else checkHistory's general path
 * ```
 */
export function isPlainStepCompleted(item: unknown): item is EventOf<"StepCompleted"> {
  if (typeof item !== "object" || item === null) return false;
  const e = item as Record<string, unknown>;
  return (
    e.type === "StepCompleted" &&
    isPositiveInteger(e.v) &&
    isPositiveInteger(e.seq) &&
    typeof e.opId === "string" &&
    typeof e.kind === "string" &&
    typeof e.name === "string" &&
    typeof e.at === "number" &&
    Number.isFinite(e.at) &&
    isPositiveInteger(e.attempt) &&
    (e.result === undefined || typeof e.result === "string")
  );
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

function corrupted(executionId: string, seq: number, what: string): HistoryCorruptedError {
  return new HistoryCorruptedError(
    `History of execution '${executionId}' is corrupted at event #${seq}: ${what}. Nothing was overwritten; ` +
      `inspect the stored record (engine.history) and restore it from a backup or terminate the execution.`,
    { executionId, operation: `event #${seq}` },
  );
}
