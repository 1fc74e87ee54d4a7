// saga(): compensations collected as the workflow goes, run in reverse when something fails or it is cancelled.
import { ValidationError } from "../errors.js";
import type { Yieldable } from "./yieldable.js";

/**
 * A compensation: an operation (usually a step), or a function that builds one when it is time to run.
 *
 * @example
 * ```ts
 * const release: Compensation = () => step("release", () => inventory.release(hold.id));
 * s.add(release);
 * ```
 */
export type Compensation = Yieldable<unknown> | (() => Yieldable<unknown>);

/**
 * Collects compensations; `compensate()` runs them in reverse order.
 *
 * @example
 * ```ts
 * const s: Saga = saga();
 * s.add(step("refund", () => payments.refund(charge.id)));
 * yield* s.compensate();
 * ```
 */
export interface Saga {
  /** Adds a compensation to run if the saga is compensated. */
  add(compensation: Compensation): void;
  /**
   * Runs the compensations added so far, last first, each to its end even if an earlier one failed; then throws the
   * first failure, if any. Compensations run once: the list is emptied.
   */
  compensate(): Yieldable<void>;
}

/**
 * Starts a saga.
 *
 * @example
 * ```ts
 * const s = saga();
 * try {
 *   const hold = yield* step("reserve", reserve);
 *   s.add(step("release", () => release(hold)));
 *   yield* step("charge", charge);
 * } catch (error) {
 *   yield* s.compensate();
 *   throw error;
 * }
 * ```
 */
export function saga(): Saga {
  const compensations: Compensation[] = [];
  return {
    add(compensation) {
      if (typeof compensation !== "function" && typeof (compensation as Yieldable<unknown>)?.[Symbol.iterator] !== "function") {
        throw new ValidationError("saga.add(compensation): pass an operation, e.g. step('refund', ...), or a function returning one.");
      }
      compensations.push(compensation);
    },
    compensate() {
      const list = compensations.splice(0).reverse();
      return {
        *[Symbol.iterator]() {
          let first: unknown;
          let failed = false;
          for (const compensation of list) {
            try {
              yield* typeof compensation === "function" ? compensation() : compensation;
            } catch (error) {
              if (!failed) first = error;
              failed = true;
            }
          }
          if (failed) throw first;
        },
      };
    },
  };
}
