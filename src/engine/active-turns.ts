// The scheduler's entry for the turns of one execution in this process, queued for a slot or running, and the promise
// of those turns for who awaits them (turns(), idle()).
import type { TurnOptions, TurnResult } from "./turn-types.js";
import type { Waiting } from "./watchers.js";

/**
 * The turns of one execution in this process, queued for a slot or running. Kept small and free of closures and
 * promises: thousands of executions started at once each hold one while they wait for a slot.
 */
export interface ActiveTurns {
  readonly id: string;
  readonly options: TurnOptions;
  again: boolean;
  inboxChanged: boolean;
  /** Kicked: nobody may await these turns, so their failure is handled here (logged, retried). */
  background: boolean;
  /** Set while the turn waits for running steps: wakes it for new inbox items. */
  notify: (() => void) | undefined;
  /** The outcome for callers of turns() and idle(), made only when one asks. */
  done: Deferred<TurnResult> | undefined;
  /**
   * Callers of result() who came while these turns were queued or running: they did not read the record, and wait
   * here (not in the scheduler's map of callers) until the turns are over.
   */
  waiting: Waiting | undefined;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** A new entry, one turn asked for. Every field is set here: one shape, and no property store added when one is set. */
export function activeTurns(id: string, options: TurnOptions): ActiveTurns {
  return {
    id,
    options,
    again: true,
    inboxChanged: false,
    background: false,
    notify: undefined,
    done: undefined,
    waiting: undefined,
  };
}

/** The promise of an execution's turns, made on first ask. */
export function doneOf(active: ActiveTurns): Promise<TurnResult> {
  if (!active.done) {
    let resolve!: (value: TurnResult) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<TurnResult>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    active.done = { promise, resolve, reject };
  }
  return active.done.promise;
}
