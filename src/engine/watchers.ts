// The callers of result() waiting for executions to end, per execution: one caller, or several in the order they
// came. Kept small (an object per caller, no set per execution): thousands of executions started at once each have one.
// The scheduler keeps those who came while an execution's turns were queued or running on its turns' entry instead.
import type { ExecutionRecord } from "../store/history-store.js";

/** A caller of result() waiting for an execution to end: its promise's settling functions and what it is told. */
export interface Watcher {
  /** The caller's answer from the closed record (a value, or a thrown error). */
  outcome: (record: ExecutionRecord) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Tells a caller its execution ended: the outcome of the closed record, or the error computing it threw. */
export function tell(watcher: Watcher, record: ExecutionRecord): void {
  let value: unknown;
  try {
    value = watcher.outcome(record);
  } catch (error) {
    watcher.reject(error);
    return;
  }
  watcher.resolve(value);
}

/** The callers waiting for one execution: one, or several in the order they came (no array for the usual one). */
export type Waiting = Watcher | Watcher[];

/** `waiting` with one more caller, last. */
export function joined(waiting: Waiting | undefined, watcher: Watcher): Waiting {
  if (waiting === undefined) return watcher;
  if (!Array.isArray(waiting)) return [waiting, watcher];
  waiting.push(watcher);
  return waiting;
}

/** The callers, in the order they came. */
export function listed(waiting: Waiting | undefined): Watcher[] {
  return waiting === undefined ? [] : Array.isArray(waiting) ? waiting : [waiting];
}

/** Answers each caller in the order they came: the outcome of the closed `record`, or without one, `error`. */
export function answerAll(waiting: Waiting | undefined, record: ExecutionRecord | undefined, error?: unknown): void {
  if (waiting === undefined) return;
  if (!Array.isArray(waiting)) answer(waiting, record, error);
  else for (const watcher of waiting) answer(watcher, record, error);
}

function answer(watcher: Watcher, record: ExecutionRecord | undefined, error: unknown): void {
  if (record !== undefined) tell(watcher, record);
  else watcher.reject(error);
}

/** The waiting callers of every execution. */
export class EndWatchers {
  private readonly byId = new Map<string, Waiting>();

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The executions with waiting callers. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** How many executions have waiting callers. */
  get size(): number {
    return this.byId.size;
  }

  add(id: string, watcher: Watcher): void {
    const others = this.byId.get(id);
    const waiting = joined(others, watcher);
    if (waiting !== others) this.byId.set(id, waiting);
  }

  /** Removes the execution's callers and returns them (undefined: none). */
  take(id: string): Waiting | undefined {
    const watchers = this.byId.get(id);
    if (watchers !== undefined) this.byId.delete(id);
    return watchers;
  }

  /** Removes one caller (its read of the record failed). */
  remove(id: string, watcher: Watcher): void {
    const watchers = this.byId.get(id);
    if (watchers === watcher) this.byId.delete(id);
    else if (Array.isArray(watchers)) {
      const left = watchers.filter((other) => other !== watcher);
      if (left.length > 0) this.byId.set(id, left);
      else this.byId.delete(id);
    }
  }
}
