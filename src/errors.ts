// The whole error tree. Every error Spindle throws is a SpindleError with a stable `code`; messages say what happened,
// to which execution and operation, and what to do. Errors that cross a yield are recorded as plain data
// (ErrorRecord, in core/error-record.ts) and revived from that record, so a failure replays identically.
// Bundles are minified, so no identity here rests on a class name: each class states its `name` as a string literal,
// and `instanceof` checks a brand (a `Symbol.for` key) that every copy of the package in the process shares, the ES
// module copy and the CommonJS one alike.

import type { SpindleErrorOptions } from "./error-base.js";
import { identify, identities, SpindleError } from "./error-base.js";

import { DagFailedError } from "./errors-dag.js";
import { NonDeterminismError } from "./errors-replay.js";

export { SpindleError } from "./error-base.js";
export { DagFailedError } from "./errors-dag.js";
export type { DagTaskFailure } from "./errors-dag.js";
export { NonDeterminismError } from "./errors-replay.js";
export type { Divergence, DivergenceSide } from "./errors-replay.js";
export type { ErrorContext, SpindleErrorCode, SpindleErrorOptions } from "./error-base.js";

/**
 * Input, output, an event or a value does not match its schema, or an argument is malformed. Nothing was recorded.
 *
 * @example
 * ```ts
 * await expect(engine.start(order, { amount: -1 })).rejects.toBeInstanceOf(ValidationError);
 * ```
 */
export class ValidationError extends SpindleError {
  static {
    identify(this, "ValidationError");
  }

  override readonly code = "VALIDATION" as const;
  /** The zod issues, when the error comes from a schema. */
  readonly issues?: readonly unknown[];
  constructor(message: string, options: SpindleErrorOptions & { issues?: readonly unknown[] } = {}) {
    super(message, options);
    if (options.issues) this.issues = options.issues;
  }
}

/**
 * Another writer appended to the execution first (optimistic concurrency). The losing turn recorded nothing; the
 * history never forks. Resume again to continue from the winner's state.
 *
 * @example
 * ```ts
 * try { await store.append(id, request); } catch (e) { if (e instanceof ConcurrencyError) reload(); }
 * ```
 */
export class ConcurrencyError extends SpindleError {
  static {
    identify(this, "ConcurrencyError");
  }

  override readonly code = "CONCURRENCY" as const;
}

/**
 * A step failed for good (retries exhausted, a non-retryable error, or `TerminalError`). `cause` is the step's error
 * revived from the history: the same name, message, `code` and own data fields on the first run as on replay.
 *
 * @example
 * ```ts
 * try { yield* step("charge", charge); }
 * catch (e) { if (e instanceof StepFailedError && e.cause.name === "CardDeclined") yield* step("notify", notify); }
 * ```
 */
export class StepFailedError extends SpindleError {
  static {
    identify(this, "StepFailedError");
  }

  override readonly code = "STEP_FAILED" as const;
  /** The step's name. */
  readonly stepName: string;
  /** How many attempts ran. */
  readonly attempts: number;
  declare readonly cause: Error & { code?: string; [field: string]: unknown };
  constructor(
    message: string,
    options: SpindleErrorOptions & { stepName: string; attempts: number; cause: Error },
  ) {
    super(message, options);
    this.stepName = options.stepName;
    this.attempts = options.attempts;
  }
}

/**
 * A step attempt ran past its `timeout`; its `signal` was aborted. The retry policy decides whether another attempt
 * runs; when none is left the workflow sees a `StepFailedError` whose `cause` is this error.
 *
 * @example
 * ```ts
 * yield* step("fetch", ({ signal }) => fetch(url, { signal }), { timeout: "10s" });
 * ```
 */
export class StepTimeoutError extends SpindleError {
  static {
    identify(this, "StepTimeoutError");
  }

  override readonly code = "STEP_TIMEOUT" as const;
}

/**
 * A wait (`waitForEvent`, later `callback`) reached its timeout before anything arrived.
 *
 * @example
 * ```ts
 * try { yield* waitForEvent("paid", { timeout: "24h" }); }
 * catch (e) { if (e instanceof TimeoutError) return "abandoned"; throw e; }
 * ```
 */
export class TimeoutError extends SpindleError {
  static {
    identify(this, "TimeoutError");
  }

  override readonly code = "TIMEOUT" as const;
}

/**
 * The execution was cancelled with `engine.cancel`. It surfaces at the workflow's current (or next) operation; the
 * workflow may catch it, run compensation steps, and rethrow to end as `cancelled`.
 *
 * @example
 * ```ts
 * try { yield* sleep("1h"); } catch (e) { if (e instanceof CancelledError) yield* step("refund", refund); throw e; }
 * ```
 */
export class CancelledError extends SpindleError {
  static {
    identify(this, "CancelledError");
  }

  override readonly code = "CANCELLED" as const;
  /** The reason given to `engine.cancel`, if any. */
  readonly reason?: string;
  constructor(message: string, options: SpindleErrorOptions & { reason?: string } = {}) {
    super(message, options);
    if (options.reason !== undefined) this.reason = options.reason;
  }
}

/**
 * Thrown by user code inside a step to stop retries at once: the step fails for good with this error as its cause.
 *
 * @example
 * ```ts
 * yield* step("charge", async () => {
 *   const r = await stripe.charge();
 *   if (r.declined) throw new TerminalError("card declined");
 *   return r.id;
 * });
 * ```
 */
export class TerminalError extends SpindleError {
  static {
    identify(this, "TerminalError");
  }

  override readonly code = "TERMINAL" as const;
}

/**
 * A value is larger than the store accepts. Never retried: make the value smaller or keep it elsewhere (S3) and
 * pass a reference.
 *
 * @example
 * ```ts
 * // a step returning 1 MB fails with PayloadTooLargeError naming the step, the size and the limit
 * ```
 */
export class PayloadTooLargeError extends SpindleError {
  static {
    identify(this, "PayloadTooLargeError");
  }

  override readonly code = "PAYLOAD_TOO_LARGE" as const;
  /** Size in bytes (UTF-8 JSON). */
  readonly size: number;
  /** The limit in bytes. */
  readonly limit: number;
  constructor(message: string, options: SpindleErrorOptions & { size: number; limit: number }) {
    super(message, options);
    this.size = options.size;
    this.limit = options.limit;
  }
}

/**
 * A value that must cross a yield is not JSON data (a function, a cycle, a BigInt, a Map, a class instance,
 * NaN or Infinity). Convert it to plain data first.
 *
 * @example
 * ```ts
 * yield* step("load", () => new Map()); // fails: return Object.fromEntries(map) instead
 * ```
 */
export class SerializationError extends SpindleError {
  static {
    identify(this, "SerializationError");
  }

  override readonly code = "SERIALIZATION" as const;
}

/**
 * A stored history record is malformed, out of sequence, of an unknown type, written by a newer Spindle or belongs to
 * another execution. Nothing was overwritten; inspect the record and restore it from a backup.
 *
 * @example
 * ```ts
 * await expect(engine.resume("broken")).rejects.toBeInstanceOf(HistoryCorruptedError);
 * ```
 */
export class HistoryCorruptedError extends SpindleError {
  static {
    identify(this, "HistoryCorruptedError");
  }

  override readonly code = "HISTORY_CORRUPTED" as const;
}

/**
 * No execution has this id. Check the id, or start it first.
 *
 * @example
 * ```ts
 * await expect(engine.describe("nope")).rejects.toBeInstanceOf(ExecutionNotFoundError);
 * ```
 */
export class ExecutionNotFoundError extends SpindleError {
  static {
    identify(this, "ExecutionNotFoundError");
  }

  override readonly code = "EXECUTION_NOT_FOUND" as const;
}

/**
 * The execution has already finished (completed, failed, cancelled or terminated); it accepts no more events.
 *
 * @example
 * ```ts
 * await expect(engine.sendEvent("done-1", "paid", {})).rejects.toBeInstanceOf(ExecutionClosedError);
 * ```
 */
export class ExecutionClosedError extends SpindleError {
  static {
    identify(this, "ExecutionClosedError");
  }

  override readonly code = "EXECUTION_CLOSED" as const;
}

/**
 * A callback token is unknown, already used or expired.
 *
 * @example
 * ```ts
 * await expect(engine.completeCallback("bad-token", {})).rejects.toBeInstanceOf(CallbackNotFoundError);
 * ```
 */
export class CallbackNotFoundError extends SpindleError {
  static {
    identify(this, "CallbackNotFoundError");
  }

  override readonly code = "CALLBACK_NOT_FOUND" as const;
}

/**
 * The workflow named by a start request or a stored execution is not registered with this engine. Add it to
 * `createEngine({ workflows })`.
 *
 * @example
 * ```ts
 * await expect(engine.start("unknown", {})).rejects.toBeInstanceOf(WorkflowNotFoundError);
 * ```
 */
export class WorkflowNotFoundError extends SpindleError {
  static {
    identify(this, "WorkflowNotFoundError");
  }

  override readonly code = "WORKFLOW_NOT_FOUND" as const;
}

/**
 * An idempotency key (or execution id) was reused with a different request: another payload, event name, input or
 * workflow. Use a new key for a new request.
 *
 * @example
 * ```ts
 * await engine.sendEvent(id, "paid", { ref: "a" }, { idempotencyKey: "k" });
 * await expect(engine.sendEvent(id, "paid", { ref: "b" }, { idempotencyKey: "k" }))
 *   .rejects.toBeInstanceOf(IdempotencyConflictError);
 * ```
 */
export class IdempotencyConflictError extends SpindleError {
  static {
    identify(this, "IdempotencyConflictError");
  }

  override readonly code = "IDEMPOTENCY_CONFLICT" as const;
}

/**
 * The store could not be reached or kept failing (throttling, 5xx) after its retries. Nothing partial was written;
 * try again later.
 *
 * @example
 * ```ts
 * try { await engine.resume(id); } catch (e) { if (e instanceof StoreUnavailableError) requeue(id); }
 * ```
 */
export class StoreUnavailableError extends SpindleError {
  static {
    identify(this, "StoreUnavailableError");
  }

  override readonly code = "STORE_UNAVAILABLE" as const;
}

/**
 * `engine.redrive` was asked for an execution it cannot redrive: only a `stuck` or a `failed` one can be, and a failed
 * one only when redriving it loses no delivered event. The message names the execution, its status and what to do.
 *
 * @example
 * ```ts
 * try { await engine.redrive("order-o-1"); }
 * catch (e) { if (e instanceof RedriveRefusedError) console.log(e.status); } // e.g. "completed"
 * ```
 */
export class RedriveRefusedError extends SpindleError {
  static {
    identify(this, "RedriveRefusedError");
  }

  override readonly code = "REDRIVE_REFUSED" as const;
  /** The execution's status when it was refused. */
  readonly status: string;
  constructor(message: string, options: SpindleErrorOptions & { status: string }) {
    super(message, options);
    this.status = options.status;
  }
}

/** A class a recorded error is revived as: reviveError gives the error its prototype (no constructor runs). */
type ErrorClass = new (message: string, options?: never) => SpindleError;

/** Every error class by its literal name, used to revive recorded errors with the right class. */
export const errorClasses: Readonly<Record<string, ErrorClass>> = Object.freeze(
  Object.fromEntries(
    [
      SpindleError,
      ValidationError,
      NonDeterminismError,
      ConcurrencyError,
      StepFailedError as never as ErrorClass,
      StepTimeoutError,
      TimeoutError,
      CancelledError,
      TerminalError,
      PayloadTooLargeError as never as ErrorClass,
      SerializationError,
      HistoryCorruptedError,
      ExecutionNotFoundError,
      ExecutionClosedError,
      CallbackNotFoundError,
      WorkflowNotFoundError,
      IdempotencyConflictError,
      StoreUnavailableError,
      RedriveRefusedError as never as ErrorClass,
      DagFailedError as never as ErrorClass,
    ].map((type) => [identities.get(type)!.name, type]),
  ),
);
