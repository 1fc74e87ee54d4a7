// Errors as data. A step's error is recorded as an ErrorRecord and the workflow always receives the error revived from
// that record, so the first run and every replay see the same name, message, code and own data fields.
import { CancelledError, errorClasses } from "../errors.js";
import { isJsonSafe } from "./codec.js";

/** A recorded error: what survives a trip through the history. */
export interface ErrorRecord {
  name: string;
  message: string;
  code?: string;
  /** Own enumerable fields of the error that are JSON data (others are dropped). */
  data?: Record<string, unknown>;
  stack?: string;
  cause?: ErrorRecord;
}

const RESERVED = new Set(["name", "message", "stack", "code", "cause"]);
/** Caps that keep a recorded error (with all its causes) far below any store's item limit. */
const MAX_MESSAGE = 8 * 1024;
const MAX_STACK = 4000;
const MAX_DATA = 16 * 1024;
const MAX_NAME = 200;
const MAX_CAUSE_DEPTH = 4;

/**
 * Turns anything thrown into an ErrorRecord. Never throws: a value that cannot be read (a message getter that throws,
 * a Proxy, a revoked Proxy) is recorded as an `UnreadableError` describing what failed, so the attempt still counts and
 * the retry policy decides.
 */
export function toErrorRecord(thrown: unknown, depth = 0): ErrorRecord {
  try {
    return readError(thrown, depth);
  } catch (failure) {
    return { name: "UnreadableError", message: `the thrown value could not be read (${safeText(failure)})` };
  }
}

/**
 * `value instanceof CancelledError`, for values the workflow threw: false, instead of a TypeError, for a value that
 * cannot be looked at (a Proxy whose traps throw, a revoked Proxy).
 */
export function isCancellation(value: unknown): value is CancelledError {
  try {
    return value instanceof CancelledError;
  } catch {
    return false;
  }
}

/** The value a workflow threw, as an Error to hand on (a value that is not one, or cannot be read, is described). */
export function asError(value: unknown): Error {
  try {
    if (value instanceof Error) return value;
  } catch {
    // unreadable: described below
  }
  const record = toErrorRecord(value);
  return Object.assign(new Error(record.message), { name: record.name });
}

function safeText(value: unknown): string {
  try {
    const text = value instanceof Error ? `${value.name}: ${value.message}` : String(value);
    return cap(text, 500);
  } catch {
    return "nothing about it could be read";
  }
}

function readError(thrown: unknown, depth: number): ErrorRecord {
  if (!(thrown instanceof Error)) {
    const message = typeof thrown === "string" ? thrown : describeThrown(thrown);
    const record: ErrorRecord = { name: "Error", message: cap(`a non-Error value was thrown: ${message}`, MAX_MESSAGE) };
    if (thrown !== undefined && isJsonSafe(thrown) && (JSON.stringify(thrown)?.length ?? 0) <= MAX_DATA) {
      record.data = { thrown };
    }
    return record;
  }
  const record: ErrorRecord = {
    name: cap(String(thrown.name || "Error"), MAX_NAME),
    message: cap(String(thrown.message ?? ""), MAX_MESSAGE),
  };
  const code = (thrown as { code?: unknown }).code;
  if (typeof code === "string") record.code = cap(code, MAX_NAME);
  else if (typeof code === "number") record.code = String(code);
  let data: Record<string, unknown> | undefined;
  for (const key of Object.keys(thrown)) {
    if (RESERVED.has(key)) continue;
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (value === undefined || !isJsonSafe(value)) continue;
    defineData((data ??= {}), key, value);
  }
  if (data && (JSON.stringify(data)?.length ?? 0) <= MAX_DATA) record.data = data;
  if (typeof thrown.stack === "string") record.stack = thrown.stack.slice(0, MAX_STACK);
  if (thrown.cause !== undefined && depth < MAX_CAUSE_DEPTH) record.cause = toErrorRecord(thrown.cause, depth + 1);
  return record;
}

/** Rebuilds an Error from its record: Spindle's own classes come back as themselves, others as `Error` with the name. */
export function reviveError(record: ErrorRecord): Error & { code?: string; [field: string]: unknown } {
  const error = new Error(record.message) as Error & { code?: string; [field: string]: unknown };
  // Own keys only: a recorded name like "constructor" or "toString" is not one of Spindle's classes.
  const known = Object.hasOwn(errorClasses, record.name) ? errorClasses[record.name] : undefined;
  if (known) Object.setPrototypeOf(error, known.prototype);
  Object.defineProperty(error, "name", { value: record.name, writable: true, configurable: true, enumerable: false });
  if (record.code !== undefined) error.code = record.code;
  if (record.data) copyData(error, record.data);
  if (record.stack !== undefined) error.stack = record.stack;
  else delete (error as { stack?: string }).stack;
  if (record.cause) {
    Object.defineProperty(error, "cause", {
      value: reviveError(record.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}

/**
 * Copies own fields as data: a field named `__proto__` (from JSON, say) is copied as a field, never set as the
 * target's prototype.
 */
export function copyData<T extends object>(target: T, source: object): T {
  for (const key of Object.keys(source)) defineData(target, key, (source as Record<string, unknown>)[key]);
  return target;
}

function defineData(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 15)}... (truncated)`;
}

function describeThrown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
