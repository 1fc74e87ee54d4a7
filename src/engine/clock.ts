// The engine's clock: the only place time comes from. The system clock uses real timers; the test kit injects a
// virtual clock that skips ahead, so tests never touch global timers.

/**
 * Time source and timer scheduler. The engine reads time and sets its wake-up timers only through its clock.
 *
 * @example
 * ```ts
 * const clock: Clock = {
 *   now: () => Date.now(),
 *   setTimer(at, callback) {
 *     const timer = setTimeout(callback, Math.max(0, at - Date.now()));
 *     return () => clearTimeout(timer);
 *   },
 * };
 * createEngine({ store, workflows, clock });
 * ```
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `callback` once at or after `at` (epoch ms). Returns a function that cancels it. */
  setTimer(at: number, callback: () => void): () => void;
}

const MAX_DELAY = 2 ** 31 - 1;

/**
 * Wall-clock time and Node timers (re-armed past setTimeout's 24.8-day limit).
 *
 * @example
 * ```ts
 * createEngine({ store, workflows, clock: systemClock });
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, callback) {
    // Never calls back synchronously, even when `at` has passed: callers may still be setting up.
    let handle: ReturnType<typeof setTimeout>;
    const arm = () => {
      const delay = Math.max(0, at - Date.now());
      handle = setTimeout(delay > MAX_DELAY ? arm : callback, Math.min(delay, MAX_DELAY));
    };
    arm();
    return () => clearTimeout(handle);
  },
};
