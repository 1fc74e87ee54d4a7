// The store's one retry layer. DynamoDB calls that failed for a passing reason (throttling, 5xx, a transaction
// conflict, a lost connection, an attempt that ran out of time) are tried again with exponential backoff and full
// jitter, and every attempt is bounded: it is aborted after `attemptTimeoutMs`, or at the deadline of the turn that
// asked (store calls made for a turn carry it, see `withDeadline`), whichever comes first; no backoff sleeps past it.
// When the attempts or the time run out: StoreUnavailableError naming the execution and the operation. Failed
// conditions, validation errors and the like are not retried: the caller decides what they mean.
//
// Give the store a client with `maxAttempts: 1`: the SDK's own retries would run inside each of the store's attempts
// (still cut at the deadline, but throttling would then be retried up to 3 × 8 times).
import { AsyncLocalStorage } from "node:async_hooks";
import { StoreUnavailableError } from "spindle";

/** How DynamoDBStore retries. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 8. */
  maxAttempts?: number;
  /** First backoff ceiling (ms); each retry doubles it. Default 25. */
  baseDelayMs?: number;
  /** Largest backoff ceiling (ms). Default 2,000. */
  maxDelayMs?: number;
  /** Longest a single attempt may take before it is aborted and counted as failed (ms). Default 5,000. */
  attemptTimeoutMs?: number;
}

/**
 * A retry about to happen, as `DynamoDBStoreOptions.onRetry` receives it.
 *
 * @example
 * ```ts
 * const store = new DynamoDBStore({ client, tableName, onRetry: (info) => metrics.add("StoreRetries", 1, info.operation) });
 * ```
 */
export interface RetryInfo {
  /** The store operation ("append", "lease", "load", "inbox write", ...). */
  operation: string;
  /** The execution it was for, when it was for one. */
  executionId?: string;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** How long the store waits before the next attempt (ms). */
  delayMs: number;
  /** The failed attempt's error name (e.g. "ProvisionedThroughputExceededException", "TimeoutError"). */
  errorName: string;
}

const deadlines = new AsyncLocalStorage<number | undefined>();

/**
 * Runs `fn` with `deadline` (epoch ms, Date.now()'s clock) bounding every DynamoDB call it makes through a Retrier.
 *
 * @example
 * ```ts
 * return withDeadline(request.deadline, () => appendEvents(deps, id, request));
 * ```
 */
export function withDeadline<T>(deadline: number | undefined, fn: () => Promise<T>): Promise<T> {
  return deadline === undefined ? fn() : deadlines.run(deadline, fn);
}

const RETRYABLE_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "Throttling",
  "RequestLimitExceeded",
  "LimitExceededException",
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TransactionInProgressException",
  "TransactionConflictException",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "NetworkingError",
]);

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND", "UND_ERR_SOCKET"]);

/** Reasons of a cancelled transaction that mean "try again": nothing failed its condition. */
const RETRYABLE_REASONS = new Set(["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"]);

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  CancellationReasons?: { Code?: string }[];
}

/** True when an error from the SDK means "the same request may succeed later". */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as AwsError;
  if (e.name === "TransactionCanceledException") {
    const codes = (e.CancellationReasons ?? []).map((reason) => reason.Code ?? "None");
    return codes.some((code) => RETRYABLE_REASONS.has(code)) && !codes.includes("ConditionalCheckFailed");
  }
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code !== undefined && RETRYABLE_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return e.$retryable !== undefined && e.$retryable !== null;
}

/** An attempt aborted at its time limit. */
class AttemptTimeout extends Error {
  override readonly name = "TimeoutError";
}

/** Runs DynamoDB calls with retries. */

/** The store operations that only read (their failure message says nothing was changed). */
const READS: ReadonlySet<string> = new Set(["load", "list", "read"]);
export class Retrier {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly attemptTimeoutMs: number;

  constructor(
    options: RetryOptions = {},
    private readonly onRetry?: (info: RetryInfo) => void,
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
    this.baseDelayMs = options.baseDelayMs ?? 25;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.attemptTimeoutMs = Math.max(1, options.attemptTimeoutMs ?? 5000);
  }

  /**
   * Calls `fn` (with a signal that aborts the attempt at its time limit) until it succeeds, fails for good, or the
   * attempts or the deadline run out.
   * @throws StoreUnavailableError (with the last error as `cause`) when every attempt failed for a passing reason or
   * the time ran out; otherwise the error `fn` threw.
   */
  async run<T>(what: string, executionId: string | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = deadlines.getStore();
    let last: unknown;
    for (let attempt = 1; ; attempt++) {
      const left = deadline === undefined ? Infinity : deadline - Date.now();
      if (left <= 0) throw this.unavailable(what, executionId, attempt - 1, last, true);
      const limit = Math.min(this.attemptTimeoutMs, left);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new AttemptTimeout(`attempt timed out after ${Math.round(limit)} ms`)), limit);
      try {
        return await fn(controller.signal);
      } catch (error) {
        const failure = controller.signal.aborted ? controller.signal.reason : error;
        if (!controller.signal.aborted && !isRetryable(error)) throw error;
        last = failure;
        if (attempt >= this.maxAttempts) throw this.unavailable(what, executionId, attempt, failure, false);
        const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.random() * ceiling;
        if (deadline !== undefined && Date.now() + delayMs >= deadline) throw this.unavailable(what, executionId, attempt, failure, true);
        this.onRetry?.({ operation: what, ...(executionId === undefined ? {} : { executionId }), attempt, delayMs, errorName: (failure as AwsError)?.name ?? "Error" });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private unavailable(what: string, executionId: string | undefined, attempts: number, error: unknown, outOfTime: boolean): StoreUnavailableError {
    const e = (error ?? {}) as AwsError;
    const cause = error === undefined ? "" : ` (${e.name ?? "Error"}: ${e.message ?? ""})`;
    const why = outOfTime ? `ran out of the turn's time after ${attempts} attempt${attempts === 1 ? "" : "s"}` : `kept failing after ${attempts} attempts`;
    // A read changed nothing: the caller can simply try again. A write left nothing partial: turns resume from the
    // stored history.
    const after = READS.has(what)
      ? "Nothing was changed; try the call again."
      : "Nothing partial was written; the execution is resumed from its stored history later.";
    return new StoreUnavailableError(
      `DynamoDB ${what}${executionId === undefined ? "" : ` for execution '${executionId}'`} ${why}${cause}. ${after} ` +
        `If it is throttled, raise the table's capacity; if calls time out, check the network path to DynamoDB.`,
      { ...(error === undefined ? {} : { cause: error }), ...(executionId === undefined ? {} : { executionId }) },
    );
  }
}
