// A schedule's durable state, kept with the HistoryStore port alone: one record per schedule, id
// `spindle:schedule:<name>` (a namespace `start` refuses), workflow SCHEDULE_WORKFLOW, never due (suspended, no
// wakeAt). Its state is the record's customStatus; each change appends one StatusSet event at the version read, so
// the store's conditional append lets only one of two engines write it (the other reloads and retries).
import { EXECUTION_OP, HISTORY_VERSION } from "../core/history-check.js";
import type { HistoryEvent } from "../core/history.js";
import { ConcurrencyError } from "../errors.js";
import type { ExecutionRecord, HistoryStore } from "../store/history-store.js";
import { newExecution } from "../store/new-execution.js";

/** The workflow name of schedule-state records (no workflow can be registered under it: `:` marks it internal). */
export const SCHEDULE_WORKFLOW = "spindle:schedule";

/** Ids of schedule-state records start with this; `start` refuses such ids. */
export const SCHEDULE_ID_PREFIX = "spindle:schedule:";

/** Runs remembered for `describe`. */
export const RECENT_RUNS = 10;

/** What the store keeps of a schedule. */
export interface ScheduleState {
  paused: boolean;
  note?: string;
  deleted?: boolean;
  /** The last fire time handled (run, skipped or buffered), epoch ms. */
  last: number;
  /** A fire time waiting for the previous run to close (`buffer-one`). */
  buffered?: number;
  /** The latest runs started, newest last: execution id and fire time. */
  runs: { id: string; fireTime: number }[];
}

/** State writes (events) after which the record starts a fresh run holding the state alone. */
export const COMPACT_AT = 64;

/** The fields every event of a state record shares. */
function base(seq: number, at: number) {
  return { v: HISTORY_VERSION, seq, opId: EXECUTION_OP, kind: "execution", name: SCHEDULE_WORKFLOW, at };
}

/** A state read from the store, with what a conditional write needs. */
export interface StoredState {
  state: ScheduleState;
  runId: string;
  version: number;
}

/** The record id of a schedule's state. */
export function stateId(name: string): string {
  return `${SCHEDULE_ID_PREFIX}${name}`;
}

/** The state of a record, or undefined when it is not a schedule's. */
export function stateOf(record: ExecutionRecord | undefined): StoredState | undefined {
  if (!record || record.workflow !== SCHEDULE_WORKFLOW || record.customStatus === undefined) return undefined;
  return { state: JSON.parse(record.customStatus) as ScheduleState, runId: record.runId, version: record.version };
}

/** Reads a schedule's state, creating it with `initial` the first time (once, whoever races). */
export async function loadState(
  store: HistoryStore,
  name: string,
  initial: () => ScheduleState,
  runId: () => string,
  now: number,
): Promise<StoredState> {
  const id = stateId(name);
  for (;;) {
    const record = await store.get(id);
    const found = stateOf(record);
    if (found) return found;
    let at = record;
    if (!at) {
      // The record first (never due), then its first state in a conditional write: one of two racing engines wins.
      const execution = newExecution({ id, workflow: SCHEDULE_WORKFLOW, runId: runId(), at: now });
      execution.record.status = "suspended";
      delete execution.record.wakeAt;
      at = (await store.create(execution)).record;
    }
    const state = initial();
    const written = await writeState(store, name, { state, runId: at.runId, version: at.version }, state, now, runId);
    if (written) return written;
  }
}

/**
 * Writes `next` over `read` when the record is still at `read`'s version: the written state, or undefined when
 * another engine wrote first (reload and decide again).
 */
export async function writeState(
  store: HistoryStore,
  name: string,
  read: StoredState,
  next: ScheduleState,
  now: number,
  newRunId?: () => string,
): Promise<StoredState | undefined> {
  const id = stateId(name);
  const text = JSON.stringify(next);
  const event = { ...base(read.version + 1, now), type: "StatusSet", kind: "status", name: "schedule", value: text } as HistoryEvent;
  // Every COMPACT_AT writes the record moves to a fresh run holding the state alone, so its history stays short.
  const compact = read.version >= COMPACT_AT && newRunId !== undefined;
  const nextRunId = compact ? newRunId() : undefined;
  try {
    const record = await store.append(id, {
      runId: read.runId,
      expectedVersion: read.version,
      events: nextRunId === undefined ? [event] : [{ ...base(read.version + 1, now), type: "ContinuedAsNew", nextRunId, input: text } as HistoryEvent],
      update: { status: "suspended", waitingFor: [], wakeAt: null, customStatus: text, inboxSeen: 0, updatedAt: now },
      consumeInbox: [],
      ...(nextRunId === undefined
        ? {}
        : {
            continueAsNew: {
              runId: nextRunId,
              input: text,
              events: [{ ...base(1, now), type: "ExecutionStarted", name: SCHEDULE_WORKFLOW, executionId: id, runId: nextRunId, input: text } as HistoryEvent],
            },
          }),
    });
    return { state: next, runId: record.runId, version: record.version };
  } catch (error) {
    if (error instanceof ConcurrencyError) return undefined;
    throw error;
  }
}
