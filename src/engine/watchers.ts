// The callers of result() waiting for executions to end, per execution: one caller, or several in the order they
// came. Kept small (an object per caller, no set per execution): thousands of executions started at once each have one.
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

/** The waiting callers of every execution. */
export class EndWatchers {
  private readonly byId = new Map<string, Watcher | Watcher[]>();

  has(id: string): boolean {
    return this.byId.has(id);
  }

  add(id: string, watcher: Watcher): void {
    const others = this.byId.get(id);
    if (others === undefined) this.byId.set(id, watcher);
    else if (Array.isArray(others)) others.push(watcher);
    else this.byId.set(id, [others, watcher]);
  }

  /** Removes the execution's callers and returns them in the order they came. */
  take(id: string): Watcher[] {
    const watchers = this.byId.get(id);
    if (watchers === undefined) return [];
    this.byId.delete(id);
    return Array.isArray(watchers) ? watchers : [watchers];
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
