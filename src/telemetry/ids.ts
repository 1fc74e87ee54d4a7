// Trace and span ids derived from what the history names: the trace from the execution id, each span from execution,
// run, operation id and attempt. A hash (SHA-256, truncated) keeps them stable across processes, replays and
// engines, so an execution that lives for days across many invocations is one trace. Also W3C traceparent parsing.
import * as crypto from "node:crypto";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A parsed W3C traceparent. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** SHA-256 as hex: the one-shot `crypto.hash` where Node has it (20.12+), else a Hash object. */
const sha256: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string, encoding: "hex"): string }).hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text).digest("hex");

function digest(kind: string, parts: readonly (string | number)[], hexDigits: number): string {
  let text = kind;
  for (const part of parts) text += `\u0000${part}`;
  const hex = sha256(text).slice(0, hexDigits);
  // An all-zero id is invalid in W3C trace context: the last digit stands in.
  return hex === ZERO_TRACE.slice(0, hexDigits) ? `${hex.slice(0, -1)}1` : hex;
}

/**
 * The trace id of an execution (32 hex digits) when no caller's trace was recorded.
 * @example
 * ```ts
 * traceIdFor("order-o-1"); // the same in every process
 * ```
 */
export function traceIdFor(executionId: string): string {
  return digest("spindle.trace", [executionId], 32);
}

/**
 * A span id (16 hex digits) from its parts: execution id, run id, and what names the span in the run.
 * @example
 * ```ts
 * spanIdFor(["order-o-1", runId, "3", 2]); // attempt 2 of operation #3
 * ```
 */
export function spanIdFor(parts: readonly (string | number)[]): string {
  return digest("spindle.span", parts, 16);
}

/**
 * Parses a W3C traceparent (version 00); undefined for anything else, all-zero ids included.
 * @example
 * ```ts
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.traceId;
 * ```
 */
export function parseTraceparent(text: unknown): TraceContext | undefined {
  if (typeof text !== "string") return undefined;
  const match = TRACEPARENT.exec(text);
  if (!match || match[1] === ZERO_TRACE || match[2] === ZERO_SPAN) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) };
}

/**
 * Formats a W3C traceparent.
 * @example
 * ```ts
 * formatTraceparent({ traceId, spanId, traceFlags: 1 }); // "00-<trace>-<span>-01"
 * ```
 */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}
