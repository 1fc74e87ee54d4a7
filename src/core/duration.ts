// Durations as users write them: "90s", "1h30m", "1.5h", "250ms", { minutes: 5 }, or milliseconds.
import { ValidationError } from "../errors.js";

/** An object duration; the parts are added. */
export interface DurationObject {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

/** `"90s"`, `"1h30m"`, `"1.5h"`, `"250ms"`, `"2d"`, `{ minutes: 5 }`, or a number of milliseconds. */
export type Duration = string | number | DurationObject;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const OBJECT_MS: Record<keyof DurationObject, number> = {
  weeks: UNIT_MS.w!,
  days: UNIT_MS.d!,
  hours: UNIT_MS.h!,
  minutes: UNIT_MS.m!,
  seconds: UNIT_MS.s!,
  milliseconds: 1,
};
const PART = /(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h|d|w)/gy;
const HINT = 'Write durations as "90s", "1h30m", "1.5h", "250ms", { minutes: 5 } or a number of milliseconds.';

/**
 * Converts a duration to whole milliseconds.
 *
 * @example
 * ```ts
 * toMillis("1h30m"); // 5_400_000
 * toMillis({ minutes: 5 }); // 300_000
 * ```
 * @throws ValidationError for anything that is not a non-negative finite duration.
 */
export function toMillis(duration: Duration, what = "duration"): number {
  if (typeof duration === "number") {
    if (Number.isFinite(duration) && duration >= 0) return Math.round(duration);
  } else if (typeof duration === "string") {
    const ms = parseText(duration.trim());
    if (ms !== undefined) return ms;
  } else if (duration !== null && typeof duration === "object") {
    const ms = parseObject(duration);
    if (ms !== undefined) return ms;
  }
  throw new ValidationError(`Invalid ${what} ${JSON.stringify(duration) ?? String(duration)}. ${HINT}`);
}

function parseText(text: string): number | undefined {
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text));
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    end = PART.lastIndex;
    while (text[end] === " ") end++;
    PART.lastIndex = end;
  }
  return end === text.length ? Math.round(total) : undefined;
}

function parseObject(value: object): number | undefined {
  let total = 0;
  let parts = 0;
  for (const [key, amount] of Object.entries(value)) {
    const unit = OBJECT_MS[key as keyof DurationObject];
    if (unit === undefined || typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) return undefined;
    total += amount * unit;
    parts++;
  }
  return parts > 0 ? Math.round(total) : undefined;
}

/** Short human form of a millisecond span: `1h 30m`, `90ms`. */
export function formatMillis(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.join(" ");
}
