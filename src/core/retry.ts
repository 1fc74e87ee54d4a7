// Retry policies for steps: exponential backoff with a cap. Waits between attempts are durable timers: the engine
// records the next attempt's time and suspends, so a retry survives a crash or a Lambda timeout.
import type { Duration } from "./duration.js";
import { toMillis } from "./duration.js";
import type { ErrorRecord } from "./error-record.js";
import { ValidationError } from "../errors.js";

/** How a step is retried. Every field is optional. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 3 (1 for at-most-once steps). */
  maxAttempts?: number;
  /** Wait before the second attempt. Default `"1s"`. */
  initialInterval?: Duration;
  /** Each wait is the previous one times this. Default 2. */
  backoffCoefficient?: number;
  /** Longest wait between attempts. Default `"1m"`. */
  maxInterval?: Duration;
  /** Error names (or `code`s) that are never retried. `TerminalError` never is. */
  nonRetryable?: readonly string[];
}

/** A retry policy with every field resolved. */
export interface ResolvedRetry {
  maxAttempts: number;
  initialMs: number;
  coefficient: number;
  maxMs: number;
  nonRetryable: readonly string[];
}

/** Errors that are deterministic: retrying cannot help. */
const NEVER_RETRIED = new Set(["TerminalError", "PayloadTooLargeError", "SerializationError", "CancelledError"]);

const DEFAULT_RETRY: ResolvedRetry = Object.freeze({
  maxAttempts: 3,
  initialMs: 1000,
  coefficient: 2,
  maxMs: 60_000,
  nonRetryable: Object.freeze([]),
});
const DEFAULT_AT_MOST_ONCE: ResolvedRetry = Object.freeze({ ...DEFAULT_RETRY, maxAttempts: 1 });

/** Fills in the defaults; `atMostOnce` steps default to a single attempt. */
export function resolveRetry(policy: RetryPolicy | undefined, atMostOnce: boolean): ResolvedRetry {
  if (policy === undefined) return atMostOnce ? DEFAULT_AT_MOST_ONCE : DEFAULT_RETRY;
  const maxAttempts = policy.maxAttempts ?? (atMostOnce ? 1 : DEFAULT_RETRY.maxAttempts);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ValidationError(`retry.maxAttempts must be a whole number of at least 1, got ${maxAttempts}.`);
  }
  const coefficient = policy.backoffCoefficient ?? DEFAULT_RETRY.coefficient;
  if (!Number.isFinite(coefficient) || coefficient < 1) {
    throw new ValidationError(`retry.backoffCoefficient must be a number of at least 1, got ${coefficient}.`);
  }
  const nonRetryable = policy.nonRetryable ?? DEFAULT_RETRY.nonRetryable;
  if (!Array.isArray(nonRetryable) || !nonRetryable.every((name) => typeof name === "string")) {
    throw new ValidationError("retry.nonRetryable must be an array of error names or codes (strings).");
  }
  return {
    maxAttempts,
    initialMs: toMillis(policy.initialInterval ?? DEFAULT_RETRY.initialMs, "retry.initialInterval"),
    coefficient,
    maxMs: toMillis(policy.maxInterval ?? DEFAULT_RETRY.maxMs, "retry.maxInterval"),
    nonRetryable: [...nonRetryable],
  };
}

/** Milliseconds to wait after the given (1-based) attempt failed. */
export function backoffMs(policy: ResolvedRetry, failedAttempt: number): number {
  const delay = policy.initialMs * policy.coefficient ** (failedAttempt - 1);
  return Math.round(Math.min(delay, policy.maxMs));
}

/** Whether another attempt follows the given failed attempt. */
export function willRetry(policy: ResolvedRetry, failedAttempt: number, error: ErrorRecord): boolean {
  if (failedAttempt >= policy.maxAttempts) return false;
  if (NEVER_RETRIED.has(error.name)) return false;
  return !policy.nonRetryable.some((name) => name === error.name || name === error.code);
}
