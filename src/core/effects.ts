// What the interpreter is opened with, and what it hands the engine: the effects to perform (step attempts to run,
// children to create, attempts and children no longer wanted) and the run's end.
import type { Ending } from "./ending.js";
import type { Fiber, StepRun } from "./fibers.js";
import type { HistoryEvent } from "./history.js";
import type { Position } from "./position.js";
import type { Envelope, SchemaLike } from "./yieldable.js";

/** A child execution the interpreter asks the engine to create (idempotently). */
export interface ChildRun {
  readonly fiber: Fiber;
  readonly position: Position;
  readonly childId: string;
  /** The child workflow's name. */
  readonly workflow: string;
  readonly input?: string;
  /** False for a detached child (startChild): it does not report back. */
  readonly wait: boolean;
}

/** What `advance` hands the engine. */
export interface Advance {
  /** New step attempts to run now. */
  steps: StepRun[];
  /** Child executions to create now; answer each with `childStarted` or `childFailed`. */
  children: ChildRun[];
  /** Running attempts whose branch was dropped: their outcome will not be recorded (abort them if they watch). */
  dropped: StepRun[];
  /** Child executions nobody awaits any more: cancel them once the buffered events are written. */
  orphans: string[];
  /** Set when the run ended. */
  ending?: Ending;
}

/**
 * The shared empty list of advances and buffers that hold nothing yet (most advances hand out one step and nothing
 * else; most writes take one step's event). Frozen: it is never written to; `pushed` replaces it.
 */
export const NONE: never[] = Object.freeze([]) as unknown as never[];

/**
 * `list` with `item` added last, for the caller to store back: an empty list (`NONE`) becomes an array of one, made
 * to size (a first push would make room for sixteen).
 */
export function pushed<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

/** An advance that hands out nothing yet. */
export function emptyAdvance(): Advance {
  return { steps: NONE, children: NONE, dropped: NONE, orphans: NONE };
}

/** What an interpreter is opened with. */
export interface InterpreterOptions {
  executionId: string;
  runId: string;
  workflowName: string;
  history: readonly HistoryEvent[];
  /** The workflow body's generator, fresh (a used generator cannot be replayed). */
  body: AsyncGenerator<Envelope, unknown, unknown>;
  outputSchema?: SchemaLike<unknown>;
  random(): number;
  uuid(): string;
  /** Largest value the store accepts, in UTF-8 bytes. */
  valueLimit: number;
}
