// waitForEvent(): wait for an event sent to this execution with engine.sendEvent.
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import type { SchemaLike } from "../core/yieldable.js";
import { operation } from "../core/yieldable.js";
import { requireName } from "./names.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Options of `waitForEvent`.
 *
 * @example
 * ```ts
 * const options: WaitForEventOptions<{ ref: string }> = { timeout: "24h", schema: z.object({ ref: z.string() }) };
 * const paid = yield* waitForEvent("paid", options);
 * ```
 */
export interface WaitForEventOptions<T> {
  /** Give up after this long: the wait throws TimeoutError. Default: wait forever. */
  timeout?: Duration;
  /** Validates the payload when it is delivered; failure throws ValidationError at the wait. */
  schema?: SchemaLike<T>;
}

/**
 * Waits for the next event of this name. Events sent before the wait are kept and delivered in order, each once.
 * For payloads typed from the workflow's `events` schemas use `ctx.waitForEvent`.
 *
 * @example
 * ```ts
 * const paid = yield* waitForEvent("paid", { timeout: "24h", schema: z.object({ ref: z.string() }) });
 * ```
 * @throws TimeoutError (in the workflow) when the timeout passes first.
 */
export function waitForEvent<T = unknown>(name: string, options: WaitForEventOptions<T> = {}): Yieldable<T> {
  requireName("waitForEvent", name);
  return operation({
    kind: "waitForEvent",
    name,
    ...(options.timeout === undefined ? {} : { timeoutMs: toMillis(options.timeout, `timeout of waitForEvent '${name}'`) }),
    ...(options.schema ? { schema: options.schema } : {}),
  });
}
