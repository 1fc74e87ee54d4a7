// The base of Spindle's error tree: SpindleError, the codes, and the identity every class gets. Bundles are minified,
// so no identity rests on a class name: each class states its `name` as a string literal (identify), and `instanceof`
// checks a brand (a `Symbol.for` key) that every copy of the package in the process shares, the ES module copy and the
// CommonJS one alike. The classes themselves are in errors.ts.

/**
 * Every `code` a SpindleError carries; each class has exactly one (`"TEST_STALLED"` is the test kit's
 * `TestStalledError`, from `spindle/testing`). Switch on it exhaustively.
 *
 * @example
 * ```ts
 * function status(code: SpindleErrorCode): number {
 *   switch (code) {
 *     case "VALIDATION": return 400;
 *     // ... every other code ...
 *     default: return code satisfies never;
 *   }
 * }
 * ```
 */
export type SpindleErrorCode =
  | "SPINDLE"
  | "VALIDATION"
  | "NON_DETERMINISM"
  | "CONCURRENCY"
  | "STEP_FAILED"
  | "STEP_TIMEOUT"
  | "TIMEOUT"
  | "CANCELLED"
  | "TERMINAL"
  | "PAYLOAD_TOO_LARGE"
  | "SERIALIZATION"
  | "HISTORY_CORRUPTED"
  | "EXECUTION_NOT_FOUND"
  | "EXECUTION_CLOSED"
  | "CALLBACK_NOT_FOUND"
  | "WORKFLOW_NOT_FOUND"
  | "IDEMPOTENCY_CONFLICT"
  | "STORE_UNAVAILABLE"
  | "REDRIVE_REFUSED"
  | "DAG_FAILED"
  | "TEST_STALLED";

/** Spindle's own error classes: each one's literal name and the brand its prototype carries. */
export const identities = new WeakMap<object, { name: string; brand: symbol }>();

/**
 * Gives one of Spindle's classes its identity: its `name` as a literal, and the brand
 * `Symbol.for("spindle.error.<name>")` on its prototype, which its instances and those of its subclasses inherit
 * (revived errors too: they get the prototype).
 */
export function identify(type: { prototype: object }, name: string): void {
  const brand = Symbol.for(`spindle.error.${name}`);
  identities.set(type, { name, brand });
  Object.defineProperty(type.prototype, brand, { value: true });
}

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
 * Base class of every error Spindle throws. `code` is stable across versions; match on it or on `instanceof`. `name`
 * is a literal (`"TerminalError"`), never the class's name in a minified bundle; a subclass of your own is named after
 * its class, unless it sets `name` itself.
 *
 * @example
 * ```ts
 * try { await engine.sendEvent("order-1", "paid", {}); }
 * catch (e) { if (e instanceof SpindleError && e.code === "EXECUTION_CLOSED") { ... } }
 * ```
 */
export class SpindleError extends Error {
  static {
    identify(this, "SpindleError");
  }

  /** Stable machine-readable code, e.g. `"VALIDATION"`; each subclass narrows it to its own literal. */
  readonly code: SpindleErrorCode = "SPINDLE";
  /** The execution the error concerns, when known. */
  readonly executionId?: string;
  /** The operation the error concerns, when known. */
  readonly operation?: string;

  constructor(message: string, options: SpindleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = identities.get(new.target)?.name ?? new.target.name;
    if (options.executionId !== undefined) this.executionId = options.executionId;
    if (options.operation !== undefined) this.operation = options.operation;
  }

  /**
   * `instanceof` one of Spindle's classes checks its brand, so it holds across the copies of the package loaded in one
   * process (`import` and `require` of spindle): a `CancelledError` from either copy is an instance of the other's
   * `CancelledError` and `SpindleError`, never of its `TimeoutError`. A subclass of your own keeps the ordinary check.
   *
   * @example
   * ```ts
   * const required = createRequire(import.meta.url)("spindle"); // the CommonJS copy, next to the imported one
   * new required.TerminalError("card declined") instanceof TerminalError; // true
   * ```
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const identity = identities.get(this);
    if (identity === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[identity.brand] === true;
  }
}
