// now(), random(), uuid(): values recorded the first time, so every replay sees the same ones. Use them instead of
// Date.now(), Math.random() and crypto.randomUUID() inside a workflow body.
import { operation } from "../core/yieldable.js";
import type { Yieldable } from "./yieldable.js";

/**
 * The current time, recorded: the same Date on every replay.
 *
 * @example
 * ```ts
 * const startedAt = yield* now();
 * ```
 */
export function now(): Yieldable<Date> {
  const recorded = operation<number>({ kind: "now", name: "now" });
  return {
    *[Symbol.iterator]() {
      return new Date(yield* recorded);
    },
  };
}

/**
 * A random number in [0, 1), recorded.
 *
 * @example
 * ```ts
 * const jitter = (yield* random()) * 1000;
 * ```
 */
export function random(): Yieldable<number> {
  return operation({ kind: "random", name: "random" });
}

/**
 * A random UUID v4, recorded.
 *
 * @example
 * ```ts
 * const orderNumber = yield* uuid();
 * ```
 */
export function uuid(): Yieldable<string> {
  return operation({ kind: "uuid", name: "uuid" });
}
