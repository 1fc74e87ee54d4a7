// step(): run a function once and record its result or error, with retries, a timeout and at-most-once semantics.
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import type { RetryPolicy } from "../core/retry.js";
import { resolveRetry } from "../core/retry.js";
import type { SchemaLike, StepContext } from "../core/yieldable.js";
import { operation } from "../core/yieldable.js";
import { ValidationError } from "../errors.js";
import type { JsonCheck, Jsonify } from "./json.js";
import { requireName } from "./names.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Options of `step`.
 *
 * @example
 * ```ts
 * const options: StepOptions<{ id: string }> = { retry: { maxAttempts: 5 }, timeout: "10s", schema: z.object({ id: z.string() }) };
 * const charge = yield* step("charge", () => payments.charge(amount), options);
 * ```
 */
export interface StepOptions<T> {
  /** Retries with durable backoff. Default: 3 attempts, 1 s doubling to at most 1 min (1 attempt at-most-once). */
  retry?: RetryPolicy;
  /** Each attempt's time limit: its `signal` is aborted and it fails with StepTimeoutError. */
  timeout?: Duration;
  /**
   * `"at-least-once"` (default): an attempt interrupted by a crash runs again.
   * `"at-most-once"`: the start is recorded before the function runs, and an interrupted attempt is never rerun
   * blindly; it counts as failed (`StepInterruptedError`) and the retry policy decides.
   */
  semantics?: "at-least-once" | "at-most-once";
  /** Validates (and may transform) the result before it is recorded; failure fails the attempt. */
  schema?: SchemaLike<T>;
}

/**
 * Runs `fn` as a durable step: once per execution, its result recorded and replayed afterwards.
 * `fn` receives `{ attempt, idempotencyKey, signal }`. With a `schema`, the result is validated (and typed) by it.
 * The result is stored as JSON, and the workflow receives the decoded copy on the first run as on replays, so it is
 * typed as that copy (`Jsonify`): a `Date` comes back as its ISO string. A function whose result the codec would
 * refuse (a Map, a Set, a BigInt, a function) does not compile.
 *
 * @example
 * ```ts
 * const quote = yield* step("quote", () => pricing.quote(orderId), { retry: { maxAttempts: 5 }, timeout: "10s" });
 * const placedAt = yield* step("placed", () => new Date()); // string: the Date's JSON
 * ```
 * @throws StepFailedError (in the workflow) when the step fails for good.
 */
export function step<R>(
  name: string,
  fn: ((context: StepContext) => R) & JsonCheck<Awaited<R>>,
  options?: Omit<StepOptions<unknown>, "schema">,
): Yieldable<Jsonify<Awaited<R>>>;
export function step<R, T>(
  name: string,
  fn: (context: StepContext) => R,
  options: StepOptions<T> & { schema: SchemaLike<T> },
): Yieldable<Jsonify<T>>;
export function step(name: string, fn: (context: StepContext) => unknown, options: StepOptions<unknown> = {}): Yieldable<unknown> {
  requireName("step", name);
  if (typeof fn !== "function") throw new ValidationError(`step('${name}'): the second argument must be a function.`);
  const atMostOnce = options.semantics === "at-most-once";
  return operation({
    kind: "step",
    name,
    run: fn,
    retry: resolveRetry(options.retry, atMostOnce),
    atMostOnce,
    ...(options.timeout === undefined ? {} : { timeoutMs: toMillis(options.timeout, `timeout of step '${name}'`) }),
    ...(options.schema ? { schema: options.schema } : {}),
  });
}
