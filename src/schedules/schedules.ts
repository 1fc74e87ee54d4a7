// engine.schedules: list, describe, pause, unpause, trigger, backfill and delete over the schedules given to
// createEngine, and the in-process timer that fires them (external mode: resumeDue fires them instead).
import { ValidationError } from "../errors.js";
import type { ExecutionStatus } from "../store/history-store.js";
import type { Schedule } from "./definition.js";
import type { ScheduleState, StoredState } from "./state.js";
import { writeState } from "./state.js";
import type { ScheduleHost } from "./tick.js";
import type { ScheduleRuntime, ScheduleTimer } from "./runtime.js";
import { noSuchSchedule, NOT_A_SCHEDULE } from "./runtime.js";
import { nextDue, readState, runIdOf, startRun, tickSchedules } from "./tick.js";

/**
 * A schedule as `engine.schedules.list()` and `describe()` show it.
 *
 * @example
 * ```ts
 * const info: ScheduleInfo = await engine.schedules.describe("nightly");
 * console.log(info.nextFireTimes[0], info.recentRuns.map((run) => run.status));
 * ```
 */
export interface ScheduleInfo {
  name: string;
  cron: string;
  timezone: string;
  workflow: string;
  /** `deleted`: `delete(name)` stopped it for good (it stays in code until removed from there). */
  status: "active" | "paused" | "deleted";
  note?: string;
  /** The last fire time handled (run, skipped or buffered). */
  lastFireTime: Date;
  /** A fire waiting for the previous run to close (`buffer-one`). */
  bufferedFireTime?: Date;
  /** The next fire times (up to 5); empty when paused, deleted or past `endAt`. */
  nextFireTimes: Date[];
  /** The latest runs, newest first, with their outcome (`missing` once the store no longer has them). */
  recentRuns: { id: string; fireTime: Date; status: ExecutionStatus | "missing" }[];
}

/**
 * The schedule operations of an engine (`engine.schedules`).
 *
 * @example
 * ```ts
 * await engine.schedules.pause("nightly", "warehouse migration");
 * const { id } = await engine.schedules.trigger("nightly");
 * await engine.schedules.backfill("nightly", new Date("2026-01-01"), new Date("2026-01-07"));
 * ```
 */
export interface Schedules {
  /** Every schedule given to createEngine, with its state. */
  list(): Promise<ScheduleInfo[]>;
  /** One schedule: next fire times, last runs and their outcomes. @throws ValidationError for an unknown name. */
  describe(name: string): Promise<ScheduleInfo>;
  /** Stops firing until `unpause`; fire times meanwhile are skipped (never caught up). */
  pause(name: string, note?: string): Promise<void>;
  /** Fires again from now on. @throws ValidationError for a deleted schedule. */
  unpause(name: string): Promise<void>;
  /** Starts a run now, with its own id (`name@trigger-<ulid>`), whatever the overlap policy. */
  trigger(name: string): Promise<{ id: string }>;
  /** Starts the run of every fire time in [from, to] (ids of fire times, so each runs once however often asked). */
  backfill(name: string, from: Date | number, to: Date | number): Promise<{ ids: string[] }>;
  /** Stops the schedule for good on every engine; its runs stay. */
  delete(name: string): Promise<void>;
}

/** The engine's schedules: operations and the in-process timer. */
export class ScheduleRunner implements ScheduleRuntime {
  private readonly byName = new Map<string, Schedule>();
  private cancelTimer: (() => void) | undefined;
  private closed = false;
  private arming: Promise<void> | undefined;
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: ScheduleHost,
    schedules: readonly Schedule[],
    /** In-process mode: the engine's clock, and its record of background work (so `idle()` waits for a tick). */
    private readonly timer?: ScheduleTimer,
  ) {
    for (const definition of schedules) {
      if (typeof definition?.fireTimes !== "function") {
        throw new ValidationError(NOT_A_SCHEDULE);
      }
      if (this.byName.has(definition.name)) {
        throw new ValidationError(`createEngine: two schedules are named '${definition.name}'; names must be unique.`);
      }
      this.byName.set(definition.name, definition);
    }
  }

  /**
   * Checks that every schedule's workflow is the one registered under its name.
   * @throws ValidationError naming the schedule.
   */
  checkWorkflows(lookup: (name: string) => unknown): void {
    for (const definition of this.byName.values()) {
      let registered: unknown;
      try {
        registered = lookup(definition.workflow.name);
      } catch {
        registered = undefined;
      }
      if (registered !== definition.workflow) {
        throw new ValidationError(
          `createEngine: schedule '${definition.name}' starts workflow '${definition.workflow.name}', which is not in ` +
            `createEngine({ workflows }). Add that workflow() definition there.`,
          { operation: "schedule" },
        );
      }
    }
  }

  get definitions(): Schedule[] {
    return [...this.byName.values()];
  }

  /** Whether `executionId` is a run of a `buffer-one` schedule (its end may let a buffered fire start). */
  buffers(executionId: string): boolean {
    const at = executionId.indexOf("@");
    return at > 0 && this.byName.get(executionId.slice(0, at))?.overlap === "buffer-one";
  }

  /** Fires what is due (resumeDue and the timer call it); ticks of one engine run one after another. */
  tick(): Promise<number> {
    if (this.byName.size === 0) return Promise.resolve(0);
    const run = this.ticking.then(() => tickSchedules(this.host, this.definitions));
    this.ticking = run.catch(() => 0);
    return run;
  }

  /** In-process mode: fires what is due now, then sleeps until the next run is due. */
  arm(): Promise<void> {
    if (!this.timer || this.closed || this.byName.size === 0) return Promise.resolve();
    this.arming ??= (async () => {
      await this.tick();
      const found = await nextDue(this.host, this.definitions);
      // A fire still due right after a tick means the tick failed (logged): try again in a second, not in a loop.
      const at = found === undefined ? undefined : Math.max(found, this.host.now() <= found ? found : this.host.now() + 1_000);
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      if (at !== undefined && !this.closed) this.cancelTimer = this.timer!.setTimer(at, () => void this.arm());
    })()
      .catch((error: unknown) => this.host.logger.error(`Schedules could not fire: ${(error as Error)?.message ?? error}`, {}))
      .finally(() => {
        this.arming = undefined;
      });
    this.timer.track(this.arming);
    return this.arming;
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
  }

  async list(): Promise<ScheduleInfo[]> {
    return Promise.all(this.definitions.map((definition) => this.describe(definition.name)));
  }

  async describe(name: string): Promise<ScheduleInfo> {
    const definition = this.get(name, "describe");
    const { state } = await readState(this.host, definition);
    const status = state.deleted ? "deleted" : state.paused ? "paused" : "active";
    const now = this.host.now();
    const next = status === "active" ? definition.fireTimes(Math.max(state.last, now - definition.catchupMs), Infinity, 5) : [];
    const recentRuns = await Promise.all(
      [...state.runs].reverse().map(async (run) => ({
        id: run.id,
        fireTime: new Date(run.fireTime),
        status: (await this.host.store.get(run.id))?.status ?? ("missing" as const),
      })),
    );
    return {
      name,
      cron: definition.cron,
      timezone: definition.timezone,
      workflow: definition.workflow.name,
      status,
      ...(state.note === undefined ? {} : { note: state.note }),
      lastFireTime: new Date(state.last),
      ...(state.buffered === undefined ? {} : { bufferedFireTime: new Date(state.buffered) }),
      nextFireTimes: next.map((at) => new Date(at)),
      recentRuns,
    };
  }

  async pause(name: string, note?: string): Promise<void> {
    if (note !== undefined && (typeof note !== "string" || note.length > 1024)) {
      throw new ValidationError(`schedules.pause('${name}'): the note must be text of at most 1,024 characters. Nothing changed.`);
    }
    await this.update(name, "pause", (state) => {
      state.paused = true;
      if (note === undefined) delete state.note;
      else state.note = note;
    });
  }

  async unpause(name: string): Promise<void> {
    await this.update(name, "unpause", (state) => {
      if (state.deleted) {
        throw new ValidationError(
          `schedules.unpause('${name}'): the schedule was deleted. Remove it from createEngine({ schedules }), or ` +
            `define it under a new name to fire again. Nothing changed.`,
        );
      }
      // Fire times while paused are not owed: firing resumes after now.
      if (state.paused) state.last = Math.max(state.last, this.host.now());
      state.paused = false;
      delete state.note;
    });
    await this.arm();
  }

  async trigger(name: string): Promise<{ id: string }> {
    const definition = this.get(name, "trigger");
    const now = this.host.now();
    const id = `${name}@trigger-${this.host.ulid()}`;
    await this.update(name, "trigger", async (state) => startRun(this.host, definition, state, now, id));
    return { id };
  }

  async backfill(name: string, from: Date | number, to: Date | number): Promise<{ ids: string[] }> {
    const definition = this.get(name, "backfill");
    const start = from instanceof Date ? from.getTime() : from;
    const end = to instanceof Date ? to.getTime() : to;
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
      throw new ValidationError(`schedules.backfill('${name}', from, to): pass two valid times with from <= to. Nothing was started.`);
    }
    const ids: string[] = [];
    await this.update(name, "backfill", async (state) => {
      ids.length = 0;
      for (const fire of definition.fireTimes(start - 1, end)) {
        await startRun(this.host, definition, state, fire);
        ids.push(runIdOf(name, fire));
      }
    });
    return { ids };
  }

  async delete(name: string): Promise<void> {
    await this.update(name, "delete", (state) => {
      state.deleted = true;
      delete state.buffered;
    });
  }

  private get(name: string, operation: string): Schedule {
    const definition = this.byName.get(name);
    if (definition) return definition;
    throw noSuchSchedule(operation, name, [...this.byName.keys()]);
  }

  /** Applies `change` to the stored state in a conditional write, again on a fresh read when another engine wrote. */
  private async update(name: string, operation: string, change: (state: ScheduleState) => void | Promise<void>): Promise<void> {
    const definition = this.get(name, operation);
    for (;;) {
      const read: StoredState = await readState(this.host, definition);
      const next = structuredClone(read.state);
      await change(next);
      if (await writeState(this.host.store, name, read, next, this.host.now(), () => this.host.ulid())) return;
    }
  }
}
