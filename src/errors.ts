// The whole error tree. Every error Spindle throws is a SpindleError with a stable `code`; messages say what happened,
// to which execution and operation, and what to do. Errors that cross a yield are recorded as plain data
// (ErrorRecord, in core/error-record.ts) and revived from that record, so a failure replays identically.

/**
 * Where an error happened: the execution and, when there is one, the operation.
 *
 * @example
 * ```ts
 * const where: ErrorContext = { executionId: error.executionId, operation: error.operation };
 * ```
 */
export interface ErrorContext {
  executionId?: string;
  /** Human-readable operation, e.g. `step 'charge' (#3)`. */
  operation?: string;
}

/**
 * Options accepted by every Spindle error.
 *
 * @example
 * ```ts
 * const options: SpindleErrorOptions = { cause: error, executionId: "order-o-1" };
 * throw new TerminalError("card declined", options);
 * ```
 */
export interface SpindleErrorOptions extends ErrorContext {
  cause?: unknown;
}

/**
 * Base class of every error Spindle throws. `code` is stable across versions; match on it or on `instanceof`.
 *
 * @example
 * ```ts
 * try { await engine.sendEvent("order-1", "paid", {}); }
 * catch (e) { if (e instanceof SpindleError && e.code === "EXECUTION_CLOSED") { ... } }
 * ```
 */
export class SpindleError extends Error {
  /** Stable machine-readable code, e.g. `"VALIDATION"`. */
  readonly code: string = "SPINDLE";
  /** The execution the error concerns, when known. */
  readonly executionId?: string;
  /** The operation the error concerns, when known. */
  readonly operation?: string;

  constructor(message: string, options: SpindleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.executionId !== undefined) this.executionId = options.executionId;
    if (options.operation !== undefined) this.operation = options.operation;
  }
}

/**
 * Input, output, an event or a value does not match its schema, or an argument is malformed. Nothing was recorded.
 *
 * @example
 * ```ts
 * await expect(engine.start(order, { amount: -1 })).rejects.toBeInstanceOf(ValidationError);
 * ```
 */
export class ValidationError extends SpindleError {
  override readonly code: string = "VALIDATION";
  /** The zod issues, when the error comes from a schema. */
  readonly issues?: readonly unknown[];
  constructor(message: string, options: SpindleErrorOptions & { issues?: readonly unknown[] } = {}) {
    super(message, options);
    if (options.issues) this.issues = options.issues;
  }
}

/**
 * Today's code does not match the recorded history (a step was added, removed, renamed or reordered without
 * `patched`). Thrown before any new effect runs; nothing is recorded. Deploy the old code back, or guard the change.
 *
 * @example
 * ```ts
 * await expect(replayHistory(order, recorded)).rejects.toBeInstanceOf(NonDeterminismError);
 * ```
 */
export class NonDeterminismError extends SpindleError {
  override readonly code: string = "NON_DETERMINISM";
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
  override readonly code: string = "CONCURRENCY";
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
  override readonly code: string = "STEP_FAILED";
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
  override readonly code: string = "STEP_TIMEOUT";
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
  override readonly code: string = "TIMEOUT";
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
  override readonly code: string = "CANCELLED";
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
  override readonly code: string = "TERMINAL";
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
  override readonly code: string = "PAYLOAD_TOO_LARGE";
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
  override readonly code: string = "SERIALIZATION";
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
  override readonly code: string = "HISTORY_CORRUPTED";
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
  override readonly code: string = "EXECUTION_NOT_FOUND";
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
  override readonly code: string = "EXECUTION_CLOSED";
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
  override readonly code: string = "CALLBACK_NOT_FOUND";
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
  override readonly code: string = "WORKFLOW_NOT_FOUND";
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
  override readonly code: string = "IDEMPOTENCY_CONFLICT";
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
  override readonly code: string = "STORE_UNAVAILABLE";
}

/** Every error class by name, used to revive recorded errors with the right class. */
export const errorClasses: Readonly<Record<string, new (message: string, options?: never) => SpindleError>> = {
  SpindleError,
  ValidationError,
  NonDeterminismError,
  ConcurrencyError,
  StepFailedError: StepFailedError as never,
  StepTimeoutError,
  TimeoutError,
  CancelledError,
  TerminalError,
  PayloadTooLargeError: PayloadTooLargeError as never,
  SerializationError,
  HistoryCorruptedError,
  ExecutionNotFoundError,
  ExecutionClosedError,
  CallbackNotFoundError,
  WorkflowNotFoundError,
  IdempotencyConflictError,
  StoreUnavailableError,
};
