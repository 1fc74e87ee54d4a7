// How the engine gets its schedules without carrying schedule code it does not use. A Schedule made by schedule()
// brings its own runner (under RUNNER), so the engine imports only this file: a bundle whose code never calls
// schedule() (most Lambda handlers) leaves the tick, the state records and the operations out, 7.6 KB minified of
// B10's cold start. Without schedules, `engine.schedules` is NoSchedules: an empty list, and every named operation
// refused with the same message the runner gives for an unknown name.
import { ValidationError } from "../errors.js";
import type { Schedule } from "./definition.js";
import type { ScheduleInfo, Schedules } from "./schedules.js";
import type { ScheduleHost } from "./tick.js";

/** In-process mode: the engine's clock, and its record of background work (so `idle()` waits for a tick). */
export interface ScheduleTimer {
  setTimer(at: number, callback: () => void): () => void;
  track(work: Promise<unknown>): void;
}

/** What the engine drives: the public operations, plus firing, arming and the checks at createEngine. */
export interface ScheduleRuntime extends Schedules {
  /** The schedules given to createEngine. */
  readonly definitions: Schedule[];
  /** Checks that every schedule's workflow is the one registered under its name. @throws ValidationError */
  checkWorkflows(lookup: (name: string) => unknown): void;
  /** Whether `executionId` is a run of a `buffer-one` schedule (its end may let a buffered fire start). */
  buffers(executionId: string): boolean;
  /** Fires what is due (resumeDue and the timer call it). */
  tick(): Promise<number>;
  /** In-process mode: fires what is due now, then sleeps until the next run is due. */
  arm(): Promise<void>;
  close(): void;
}

/** Builds the runtime of a list of schedules; each schedule() result carries one under RUNNER. */
export type RunnerFactory = (host: ScheduleHost, schedules: readonly Schedule[], timer?: ScheduleTimer) => ScheduleRuntime;

/** The key under which a schedule() result carries its runner factory (a registered symbol: one per process). */
export const RUNNER: unique symbol = Symbol.for("spindle.schedule.runner") as never;

/** The refusal of an entry of `createEngine({ schedules })` that schedule() did not make. */
export const NOT_A_SCHEDULE = "createEngine({ schedules }): every entry must come from schedule(name, options).";

/** The runtime of `schedules`: their runner when there are any, else NoSchedules. @throws ValidationError */
export function scheduleRuntime(host: ScheduleHost, schedules: readonly Schedule[], timer?: ScheduleTimer): ScheduleRuntime {
  if (schedules.length === 0) return new NoSchedules();
  const carrier = schedules.find((entry) => typeof (entry as { [RUNNER]?: unknown } | undefined)?.[RUNNER] === "function");
  if (carrier === undefined) throw new ValidationError(NOT_A_SCHEDULE);
  return (carrier as unknown as { [RUNNER]: RunnerFactory })[RUNNER](host, schedules, timer);
}

/** The refusal of an operation on a schedule name the engine was not given. */
export function noSuchSchedule(operation: string, name: string, registered: readonly string[]): ValidationError {
  return new ValidationError(
    `schedules.${operation}(${JSON.stringify(name)}): no such schedule. Pass it to createEngine({ schedules }); ` +
      `registered: ${registered.join(", ") || "none"}.`,
    { operation: `schedules.${operation}` },
  );
}

/** An engine without schedules: nothing to fire, list empty, every named operation refused. */
class NoSchedules implements ScheduleRuntime {
  readonly definitions: Schedule[] = [];
  checkWorkflows(): void {}
  buffers(): boolean {
    return false;
  }
  tick(): Promise<number> {
    return Promise.resolve(0);
  }
  arm(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
  async list(): Promise<ScheduleInfo[]> {
    return [];
  }
  describe(name: string): Promise<ScheduleInfo> {
    return this.refuse("describe", name);
  }
  pause(name: string): Promise<void> {
    return this.refuse("pause", name);
  }
  unpause(name: string): Promise<void> {
    return this.refuse("unpause", name);
  }
  trigger(name: string): Promise<{ id: string }> {
    return this.refuse("trigger", name);
  }
  backfill(name: string): Promise<{ ids: string[] }> {
    return this.refuse("backfill", name);
  }
  delete(name: string): Promise<void> {
    return this.refuse("delete", name);
  }
  private async refuse(operation: string, name: string): Promise<never> {
    throw noSuchSchedule(operation, name, []);
  }
}
