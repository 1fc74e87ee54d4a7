// The schedule tick: for each schedule, the fire times that came since its state's `last` (within its catch-up
// window, each after its jitter) start their runs by the overlap policy, then the state moves on in one conditional
// write. Runs are started before the state is written and `start` is idempotent by id (`name@fire time`), so a crash
// between the two, a second engine or a retried tick never loses a fire time and never runs one twice.
import { ExecutionClosedError, IdempotencyConflictError, ValidationError } from "../errors.js";
import type { ExecutionRecord, HistoryStore } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { Logger } from "../engine/log.js";
import type { Schedule } from "./definition.js";
import type { ScheduleState, StoredState } from "./state.js";
import { loadState, RECENT_RUNS, writeState } from "./state.js";

/** What the tick needs from the engine. */
export interface ScheduleHost {
  store: HistoryStore;
  logger: Logger;
  now(): number;
  ulid(): string;
  start(workflow: AnyWorkflow, input: unknown, id: string): Promise<void>;
  cancel(id: string, reason: string): Promise<unknown>;
  terminate(id: string, reason: string): Promise<unknown>;
}

/** The execution id of a schedule's fire time. */
export function runIdOf(name: string, fireTime: number): string {
  return `${name}@${new Date(fireTime).toISOString()}`;
}

/** A schedule's state as first written: nothing before now is owed. */
export function initialState(definition: Schedule, now: number): ScheduleState {
  return { paused: definition.paused, last: now - 1, runs: [] };
}

/** Reads (or creates) a schedule's state. */
export function readState(host: ScheduleHost, definition: Schedule): Promise<StoredState> {
  const now = host.now();
  return loadState(host.store, definition.name, () => initialState(definition, now), () => host.ulid(), now);
}

/** Fires every due fire time of every schedule; returns how many runs started. */
export async function tickSchedules(host: ScheduleHost, schedules: readonly Schedule[]): Promise<number> {
  let started = 0;
  for (const definition of schedules) {
    try {
      started += await tickOne(host, definition);
    } catch (error) {
      host.logger.error(`Schedule '${definition.name}' could not fire: ${(error as Error)?.message ?? String(error)}`, {});
    }
  }
  return started;
}

/** When the next run of any schedule is due (fire time + jitter), for the in-process timer. */
export async function nextDue(host: ScheduleHost, schedules: readonly Schedule[]): Promise<number | undefined> {
  let next: number | undefined;
  for (const definition of schedules) {
    const { state } = await readState(host, definition);
    if (state.paused || state.deleted) continue;
    const [fire] = definition.fireTimes(Math.max(state.last, host.now() - definition.catchupMs), Infinity, 1);
    if (fire === undefined) continue;
    const due = fire + definition.delayOf(fire);
    if (next === undefined || due < next) next = due;
  }
  return next;
}

async function tickOne(host: ScheduleHost, definition: Schedule): Promise<number> {
  for (;;) {
    const read = await readState(host, definition);
    const state: ScheduleState = structuredClone(read.state);
    if (state.paused || state.deleted) return 0;
    const now = host.now();
    let started = 0;
    // A buffered fire starts once the previous run has closed.
    if (state.buffered !== undefined && !(await previousOpen(host, state))) {
      await startRun(host, definition, state, state.buffered);
      delete state.buffered;
      started++;
    }
    // Fire times whose run was due longer ago than the catch-up window are missed; a fire is due once its jitter
    // has passed, and fires are handled in order, so the first one not yet due ends this tick's list.
    const handled: number[] = [];
    for (const fire of definition.fireTimes(Math.max(state.last, now - definition.catchupMs - definition.jitterMs - 1), now)) {
      const dueAt = fire + definition.delayOf(fire);
      if (dueAt > now) break;
      handled.push(fire);
      if (dueAt < now - definition.catchupMs) continue;
      if (definition.overlap !== "allow-all" && (await previousOpen(host, state))) {
        const policy = definition.overlap;
        if (policy === "skip") continue;
        if (policy === "buffer-one") {
          state.buffered ??= fire;
          continue;
        }
        if (policy === "cancel-previous" || policy === "terminate-previous") {
          await stopPrevious(host, definition, state, policy);
        }
      }
      await startRun(host, definition, state, fire);
      started++;
    }
    const last = handled.length > 0 ? handled[handled.length - 1]! : state.last;
    // Nothing to record when no fire came and nothing was buffered or started.
    if (last === read.state.last && started === 0 && state.buffered === read.state.buffered) return 0;
    state.last = Math.max(last, state.last);
    if (await writeState(host.store, definition.name, read, state, now, () => host.ulid())) return started;
    // Another engine wrote first: read its state and decide again (runs already started are idempotent by id).
  }
}

/** Starts the run of `fire` (idempotent by id) and remembers it. */
export async function startRun(host: ScheduleHost, definition: Schedule, state: ScheduleState, fire: number, id = runIdOf(definition.name, fire)): Promise<void> {
  try {
    await host.start(definition.workflow, definition.inputAt(fire), id);
  } catch (error) {
    if (error instanceof ValidationError) {
      // An input the workflow refuses (its schema, a value JSON cannot hold): this fire time is skipped, not retried
      // at every tick, so it cannot hold up the fire times after it.
      host.logger.error(`Schedule '${definition.name}': run '${id}' was not started: ${error.message}`, { executionId: id });
      return;
    }
    if (!(error instanceof IdempotencyConflictError)) throw error;
    // The id exists with another workflow or input (the definition changed after it started): that run stands.
    host.logger.warn(`Schedule '${definition.name}': run '${id}' already exists with another workflow or input; kept.`, {
      executionId: id,
    });
  }
  if (!state.runs.some((run) => run.id === id)) state.runs.push({ id, fireTime: fire });
  if (state.runs.length > RECENT_RUNS) state.runs.splice(0, state.runs.length - RECENT_RUNS);
}

async function previousOpen(host: ScheduleHost, state: ScheduleState): Promise<ExecutionRecord | undefined> {
  const latest = state.runs[state.runs.length - 1];
  if (!latest) return undefined;
  const record = await host.store.get(latest.id);
  return record && !CLOSED_STATUSES.has(record.status) ? record : undefined;
}

async function stopPrevious(
  host: ScheduleHost,
  definition: Schedule,
  state: ScheduleState,
  policy: "cancel-previous" | "terminate-previous",
): Promise<void> {
  const latest = state.runs[state.runs.length - 1]!;
  const reason = `schedule '${definition.name}': a new fire time came while this run was open (overlap: ${policy})`;
  try {
    if (policy === "cancel-previous") await host.cancel(latest.id, reason);
    else await host.terminate(latest.id, reason);
  } catch (error) {
    if (!(error instanceof ExecutionClosedError)) throw error;
  }
}
