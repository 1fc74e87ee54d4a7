// Retries of DynamoDB calls that failed for a passing reason (throttling, 5xx, a transaction conflict, a lost
// connection), with exponential backoff and full jitter; when the attempts run out, StoreUnavailableError. Failed
// conditions, validation errors and the like are not retried: the caller decides what they mean.
import { StoreUnavailableError } from "spindle";

/** How DynamoDBStore retries. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 8. */
  maxAttempts?: number;
  /** First backoff ceiling (ms); each retry doubles it. Default 25. */
  baseDelayMs?: number;
  /** Largest backoff ceiling (ms). Default 2,000. */
  maxDelayMs?: number;
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

/** Runs DynamoDB calls with retries. */
export class Retrier {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
    this.baseDelayMs = options.baseDelayMs ?? 25;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
  }

  /**
   * Calls `fn` until it succeeds, fails for good, or the attempts run out.
   * @throws StoreUnavailableError (with the last error as `cause`) when every attempt failed for a passing reason;
   * otherwise the error `fn` threw.
   */
  async run<T>(what: string, executionId: string | undefined, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt >= this.maxAttempts) {
          const name = (error as AwsError).name ?? "Error";
          throw new StoreUnavailableError(
            `DynamoDB ${what}${executionId === undefined ? "" : ` for execution '${executionId}'`} kept failing ` +
              `(${name}: ${(error as AwsError).message ?? ""}) after ${attempt} attempts. Nothing partial was ` +
              `written; try again later, or raise the table's capacity if it is throttled.`,
            { cause: error, ...(executionId === undefined ? {} : { executionId }) },
          );
        }
        const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      }
    }
  }
}
