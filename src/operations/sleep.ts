// Durable timers: sleep(duration), sleep(name, duration), sleepUntil(date).
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import { operation } from "../core/yieldable.js";
import { ValidationError } from "../errors.js";
import { requireName } from "./names.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Waits durably: the execution suspends and a later turn wakes it when the time has come.
 *
 * @example
 * ```ts
 * yield* sleep("1h");
 * yield* sleep("cool-down", { minutes: 5 });
 * ```
 * @throws ValidationError for a malformed duration.
 */
export function sleep(duration: Duration): Yieldable<void>;
export function sleep(name: string, duration: Duration): Yieldable<void>;
export function sleep(nameOrDuration: string | Duration, maybeDuration?: Duration): Yieldable<void> {
  const named = maybeDuration !== undefined;
  const name = named ? (nameOrDuration as string) : "sleep";
  if (named) requireName("sleep", name);
  const duration = named ? maybeDuration : (nameOrDuration as Duration);
  return operation({ kind: "sleep", name, durationMs: toMillis(duration, `duration of sleep '${name}'`) });
}

/**
 * Waits durably until a moment (a Date or epoch milliseconds). A moment in the past returns at once.
 *
 * @example
 * ```ts
 * yield* sleepUntil(new Date("2027-01-01T09:00:00Z"));
 * yield* sleepUntil(Date.parse(input.deadline), "deadline");
 * ```
 * @throws ValidationError for an invalid date.
 */
export function sleepUntil(until: Date | number, name = "sleepUntil"): Yieldable<void> {
  requireName("sleepUntil", name);
  const at = until instanceof Date ? until.getTime() : until;
  if (typeof at !== "number" || !Number.isFinite(at)) {
    throw new ValidationError(`sleepUntil('${name}'): ${String(until)} is not a valid date. Pass a Date or epoch ms.`);
  }
  return operation({ kind: "sleep", name, until: at });
}
