// callback(): the Step Functions task-token pattern. A one-time token is created, send(token) runs as a step, and
// the workflow waits until someone calls engine.completeCallback(token, value) or engine.failCallback(token, error).
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import type { RetryPolicy } from "../core/retry.js";
import { resolveRetry } from "../core/retry.js";
import type { SchemaLike } from "../core/yieldable.js";
import { operation } from "../core/yieldable.js";
import { ValidationError } from "../errors.js";
import type { JsonCheck } from "./json.js";
import { requireName } from "./names.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Options of callback.
 *
 * @example
 * ```ts
 * const options: CallbackOptions<{ approved: boolean }> = { timeout: "24h", schema: z.object({ approved: z.boolean() }) };
 * const decision = yield* callback("approval", (token) => mailer.send(manager, token), options);
 * ```
 */
export interface CallbackOptions<T> {
  /** Give up after this long: the callback throws TimeoutError. Default: wait forever. */
  timeout?: Duration;
  /** Validates the value when it is delivered. Declare `callbacks` on the workflow to refuse bad values at the call. */
  schema?: SchemaLike<T>;
  /** Retries of `send`. Default: 3 attempts. */
  retry?: RetryPolicy;
}

/**
 * Creates a one-time token, runs `send(token)` as a step (email it to an approver, put it on a queue, call a
 * service), then waits for `engine.completeCallback(token, value)` or `engine.failCallback(token, error)`.
 * `send`'s result is recorded like a step's, so it must be JSON data. The value is typed by the `schema` option
 * (checked on delivery); for a value typed from the workflow's `callbacks` declaration, use `ctx.callback`.
 *
 * @example
 * ```ts
 * const decision = yield* callback("approval", (token) => mailer.send(manager, approvalLink(token)), { timeout: "24h" });
 * ```
 * @throws TimeoutError (in the workflow) when the timeout passes first; the error given to failCallback.
 */
export function callback<T = unknown, S = unknown>(
  name: string,
  send: ((token: string) => S) & JsonCheck<Awaited<S>>,
  options: CallbackOptions<T> = {},
): Yieldable<T> {
  requireName("callback", name);
  if (typeof send !== "function") throw new ValidationError(`callback('${name}'): send must be a function of the token.`);
  return operation({
    kind: "callback",
    name,
    send,
    retry: resolveRetry(options.retry, false),
    ...(options.timeout === undefined ? {} : { timeoutMs: toMillis(options.timeout, `timeout of callback '${name}'`) }),
    ...(options.schema ? { schema: options.schema } : {}),
  });
}
