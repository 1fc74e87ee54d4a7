// The public face of an operation: Yieldable<T> and the Envelope a workflow body yields. To users an envelope is
// only a brand, so the public types say nothing of the command union behind it (src/core/yieldable.ts), which is
// the engine's business. Every envelope is one of core's, so the engine's view is a cast away (`internal`).
import type { envelopeBrand, Yieldable as CoreYieldable } from "../core/yieldable.js";

/**
 * What a workflow body yields: an opaque value produced by `yield*` on an operation. Name it to type a generator of
 * your own that runs operations: a helper the body calls with `yield*`, or a `branch`.
 *
 * @example
 * ```ts
 * async function* chargeAndShip(orderId: string): AsyncGenerator<Envelope, string> {
 *   yield* step("charge", () => payments.charge(orderId));
 *   return yield* step("ship", () => warehouse.ship(orderId));
 * }
 * const tracking = yield* chargeAndShip(input.orderId); // inside a workflow body
 * ```
 */
export interface Envelope {
  readonly [envelopeBrand]: true;
}

/**
 * An operation: `yield*` it inside a workflow body to run it and get its typed result.
 *
 * @example
 * ```ts
 * const price: number = yield* step("price", () => 42);
 * const later: Yieldable<void> = sleep("1h");
 * yield* later;
 * ```
 */
export interface Yieldable<T> {
  [Symbol.iterator](): Generator<Envelope, T, unknown>;
}

/** The engine's view of an operation: every Yieldable yields core envelopes, which only operations make. */
export function internal<T>(yieldable: Yieldable<T>): CoreYieldable<T> {
  return yieldable as unknown as CoreYieldable<T>;
}
