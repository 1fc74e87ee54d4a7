// schedule(): a cron-driven schedule of one workflow, checked when it is defined. Cron expressions are parsed by
// croner (5 fields, 6 with seconds, @daily-style aliases, IANA time zones); this file only validates the options and
// answers "which fire times fall in this range", with the daylight-saving rules of DESIGN.md (a time in a gap fires
// once at the gap's end, a repeated time once at its first occurrence: croner's own behaviour, pinned by the tests).
import { Cron } from "croner";
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import { ValidationError } from "../errors.js";
import type { AnyWorkflow, WorkflowStartInput } from "../workflow.js";
import type { RunnerFactory } from "./runtime.js";
import { RUNNER } from "./runtime.js";
import { ScheduleRunner } from "./schedules.js";

/**
 * What a schedule does when a fire time comes while its previous run is still open.
 * `skip` (default): no new run; `buffer-one`: at most one run waits and starts once the previous closes;
 * `allow-all`: start anyway; `cancel-previous`: cancel the previous run, then start; `terminate-previous`: terminate it.
 *
 * @example
 * ```ts
 * const overlap: OverlapPolicy = "buffer-one";
 * ```
 */
export type OverlapPolicy = "skip" | "buffer-one" | "allow-all" | "cancel-previous" | "terminate-previous";

/** The overlap policies, for validation. */
const OVERLAPS: readonly OverlapPolicy[] = ["skip", "buffer-one", "allow-all", "cancel-previous", "terminate-previous"];

/**
 * Options of `schedule(name, options)`.
 *
 * @example
 * ```ts
 * const options: ScheduleOptions<typeof report> = { cron: "0 6 * * *", timezone: "Europe/Paris", workflow: report };
 * ```
 */
export interface ScheduleOptions<W extends AnyWorkflow = AnyWorkflow> {
  /** A cron expression: 5 fields, 6 with a leading seconds field, or an alias (`@hourly`, `@daily`, `@weekly`, ...). */
  cron: string;
  /** IANA time zone the expression is read in. Default `"UTC"`. */
  timezone?: string;
  /** The workflow each fire starts (it must be in `createEngine({ workflows })`). */
  workflow: W;
  /** The input of each run, or a function of the fire time giving it. */
  input?: WorkflowStartInput<W> | ((fireTime: Date) => WorkflowStartInput<W>);
  /** When a fire comes while the previous run is open. Default `"skip"`. */
  overlap?: OverlapPolicy;
  /**
   * How far back missed fire times still run after downtime (oldest first, each once); older ones are skipped.
   * `false`: only fires an engine sees within a second of their time. Default `"5m"`, which covers a tick a minute.
   */
  catchup?: Duration | false;
  /** Each run starts up to this much after its fire time, by a delay fixed per schedule and fire time. Default none. */
  jitter?: Duration;
  /** No fire before this time. */
  startAt?: Date | number;
  /** No fire after this time. */
  endAt?: Date | number;
  /** Created paused (only when the store has no state for it yet; afterwards `pause`/`unpause` decide). */
  paused?: boolean;
}

/**
 * A schedule made by `schedule()`, given to `createEngine({ schedules })`.
 *
 * @example
 * ```ts
 * const nightly: Schedule = schedule("nightly", { cron: "@daily", workflow: etl });
 * createEngine({ store, workflows: [etl], schedules: [nightly] });
 * ```
 */
export interface Schedule {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly workflow: AnyWorkflow;
  readonly overlap: OverlapPolicy;
  /** The catch-up window in ms (`false` is 1 s: a fire seen at its time). */
  readonly catchupMs: number;
  readonly jitterMs: number;
  readonly startAt?: number;
  readonly endAt?: number;
  readonly paused: boolean;
  /** The input of the run of this fire time. */
  inputAt(fireTime: number): unknown;
  /** Fire times after `after` and at most `until` (epoch ms), oldest first, at most `limit` of them. */
  fireTimes(after: number, until: number, limit?: number): number[];
  /** The delay of this fire time's run (0 to jitter), the same for every engine. */
  delayOf(fireTime: number): number;
}

/** Schedule names: they become part of execution ids, so they stay in a plain alphabet. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Zone names that are plain UTC. */
const UTC_NAMES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu"]);

/** The window of `catchup: false`: a fire runs only when an engine sees it at its time. */
const NO_CATCHUP_MS = 1_000;

/**
 * Defines a schedule: `workflow` starts at every fire time of `cron` in `timezone`, one execution per fire time with
 * the id `${name}@${fire time as ISO}`.
 *
 * @example
 * ```ts
 * import { createEngine, MemoryStore, schedule } from "spindle";
 * const nightly = schedule("nightly-etl", {
 *   cron: "30 2 * * *",
 *   timezone: "Europe/Paris",
 *   workflow: etl,
 *   input: (fireTime) => ({ day: fireTime.toISOString().slice(0, 10) }),
 *   overlap: "skip",
 *   catchup: "1h",
 * });
 * const engine = createEngine({ store: new MemoryStore(), workflows: [etl], schedules: [nightly] });
 * ```
 * @throws ValidationError naming the schedule for a bad name, cron expression, time zone, duration or option.
 */
export function schedule<W extends AnyWorkflow>(name: string, options: ScheduleOptions<W>): Schedule {
  const where = `schedule(${JSON.stringify(typeof name === "string" ? name.slice(0, 80) : name)})`;
  const fail = (problem: string): never => {
    throw new ValidationError(`${where}: ${problem}. Nothing was registered.`, { operation: "schedule" });
  };
  if (typeof name !== "string" || !NAME.test(name)) {
    fail("the name must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (!options || typeof options !== "object") fail("pass options { cron, workflow, ... }");
  const { cron, workflow, input, overlap = "skip", catchup = "5m", jitter, startAt, endAt, paused = false } = options;
  const timezone = options.timezone ?? "UTC";
  if (typeof workflow?.name !== "string" || typeof workflow.body !== "function") {
    fail("`workflow` must be a workflow() definition");
  }
  if (typeof timezone !== "string" || !validZone(timezone)) {
    fail(`the time zone ${JSON.stringify(timezone)} is not an IANA name; use one like "Europe/Paris" or "UTC"`);
  }
  if (typeof cron !== "string") fail("`cron` must be a cron expression such as \"0 * * * *\" or \"@daily\"");
  let pattern: Cron;
  try {
    // UTC as a fixed offset: the same fire times without a time-zone conversion per step (8 times faster).
    const zone = UTC_NAMES.has(timezone) ? { utcOffset: 0 } : { timezone };
    pattern = new Cron(cron, { ...zone, paused: true, domAndDow: false });
  } catch (error) {
    return fail(`the cron expression ${JSON.stringify(cron)} is invalid (${(error as Error).message}); use 5 fields, 6 with seconds, or an alias like "@daily"`);
  }
  if (!OVERLAPS.includes(overlap)) fail(`overlap must be one of ${OVERLAPS.join(", ")}, got ${JSON.stringify(overlap)}`);
  const duration = (value: Duration, what: string): number => {
    try {
      return toMillis(value, `${where} ${what}`);
    } catch (error) {
      return fail(`${what}: ${(error as Error).message}`);
    }
  };
  const catchupMs = catchup === false ? NO_CATCHUP_MS : Math.max(NO_CATCHUP_MS, duration(catchup, "catchup"));
  const jitterMs = jitter === undefined ? 0 : duration(jitter, "jitter");
  const time = (value: Date | number | undefined, what: string): number | undefined => {
    if (value === undefined) return undefined;
    const at = value instanceof Date ? value.getTime() : value;
    return typeof at === "number" && Number.isFinite(at) ? at : fail(`${what} must be a valid Date or epoch ms`);
  };
  const from = time(startAt, "startAt");
  const to = time(endAt, "endAt");
  if (from !== undefined && to !== undefined && to < from) fail("endAt comes before startAt");
  if (typeof paused !== "boolean") fail("paused must be true or false");
  if (input !== undefined && typeof input !== "function") {
    try {
      JSON.stringify(input);
    } catch (error) {
      fail(`the input cannot be encoded as JSON (${(error as Error).message})`);
    }
  }
  const made: Schedule = {
    name,
    cron,
    timezone,
    workflow,
    overlap,
    catchupMs,
    jitterMs,
    ...(from === undefined ? {} : { startAt: from }),
    ...(to === undefined ? {} : { endAt: to }),
    paused,
    inputAt: (fireTime) =>
      typeof input === "function" ? (input as (at: Date) => unknown)(new Date(fireTime)) : input,
    fireTimes(after, until, limit = Infinity) {
      const times: number[] = [];
      const last = Math.min(until, to ?? Infinity);
      let cursor = from !== undefined && from - 1 > after ? from - 1 : after;
      while (times.length < limit) {
        const next = pattern.nextRun(new Date(cursor))?.getTime();
        if (next === undefined || next > last) break;
        // Fire times strictly increase: croner answers after `cursor`, never at it.
        if (next <= cursor) break;
        times.push(next);
        cursor = next;
      }
      return times;
    },
    delayOf: (fireTime) => (jitterMs === 0 ? 0 : hash(`${name}@${fireTime}`) % (jitterMs + 1)),
  };
  // The engine's runner comes with the schedule (runtime.ts), so an engine without schedules does not carry it.
  return Object.assign(made, { [RUNNER]: runner });
}

/** What a schedule() result brings to createEngine: the runner of the engine's schedules. */
const runner: RunnerFactory = (host, schedules, timer) => new ScheduleRunner(host, schedules, timer);

/** Whether `zone` is an IANA time zone this runtime knows. */
function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** FNV-1a, 32 bits: a stable spread of a schedule's fire times, the same on every engine. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
