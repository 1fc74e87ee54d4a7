// Operations are data. Each operation is a Yieldable<T>: its iterator yields one Envelope (a command the engine
// interprets) and returns the engine's answer typed as T, so `yield* op` is typed. Envelopes carry a brand that
// Yieldables lack, which makes a bare `yield op` a type error inside a workflow body.
import type { ResolvedRetry } from "./retry.js";

/** Brand carried by every envelope. */
export declare const envelopeBrand: unique symbol;

/** What a step function receives. */
export interface StepContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Stable across attempts and replays of this step: pass it to downstream APIs to deduplicate retries. */
  idempotencyKey: string;
  /** Aborted when the attempt's `timeout` passes. */
  signal: AbortSignal;
}

/** A zod-like schema: anything with `safeParse`. */
export interface SchemaLike<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly unknown[] } };
}

/** Runs a step's function once and records the outcome. */
export interface StepCommand {
  kind: "step";
  name: string;
  run: (context: StepContext) => unknown;
  retry: ResolvedRetry;
  timeoutMs?: number;
  atMostOnce: boolean;
  schema?: SchemaLike<unknown>;
}

/** A durable timer. */
export interface SleepCommand {
  kind: "sleep";
  name: string;
  /** Relative wait, or */
  durationMs?: number;
  /** absolute time (epoch ms). */
  until?: number;
}

/** Waits for an event sent to the execution. */
export interface WaitForEventCommand {
  kind: "waitForEvent";
  name: string;
  timeoutMs?: number;
  schema?: SchemaLike<unknown>;
}

/** Records a value the first time so replays see the same one. */
export interface ValueCommand {
  kind: "now" | "random" | "uuid";
  name: string;
}

/** Sets the custom status shown by `describe`. */
export interface SetStatusCommand {
  kind: "setStatus";
  name: string;
  value: unknown;
}

/** Runs child operations or branches concurrently, each in its own operation-id scope. */
export interface GroupCommand {
  kind: "all" | "race" | "allSettled" | "map";
  name: string;
  /** How many children in all. */
  size: number;
  /** The i-th child (built lazily, so a map over 10,000 items holds only the children in flight). */
  child(index: number): Yieldable<unknown>;
  /** Most children in flight at once (map). */
  concurrency: number;
  /** map: settle every child (allSettled-style results) instead of failing fast. */
  settle: boolean;
}

/** A sub-workflow run as a group's child: its own generator, its own operation-id scope. */
export interface BranchCommand {
  kind: "branch";
  name: string;
  body: () => AsyncGenerator<Envelope, unknown, unknown>;
}

/** How a DAG task's dependencies must have ended for it to run (Airflow's trigger rules). */
export type TriggerRule = "all-success" | "all-done" | "one-success" | "one-failed" | "none-failed";

/** One task of a DAG as the core sees it: its name, its dependencies (task indexes) and its trigger rule. */
export interface DagTaskShape {
  name: string;
  deps: readonly number[];
  trigger: TriggerRule;
}

/** Runs named tasks, each as a child fiber in scope `<dag id>.<index>`, as soon as their dependencies allow. */
export interface DagCommand {
  kind: "dag";
  name: string;
  size: number;
  tasks: readonly DagTaskShape[];
  /** The tasks and edges as recorded in GroupStarted.shape (compared on every replay). */
  shape: string;
  /** Task `index`'s operation, given its dependencies' values by name (undefined for one that did not succeed). */
  child(index: number, inputs: Record<string, unknown>): Yieldable<unknown>;
  concurrency: number;
  failFast: boolean;
  /** Why the DAG is invalid (cycle, unknown dependency...): thrown at the yield, naming the execution. */
  problem?: string;
}

/** Starts another workflow as its own execution, and (unless detached) waits for its outcome. */
export interface ChildCommand {
  kind: "child";
  /** The child workflow's name. */
  name: string;
  input: unknown;
  id?: string;
  /** False for startChild: record the start and go on. */
  wait: boolean;
}

/** A one-time token completed from outside (task token / human approval). */
export interface CallbackCommand {
  kind: "callback";
  name: string;
  /** Delivers the token; runs as a step (operation `<id>.0`). */
  send: (token: string) => unknown;
  retry: ResolvedRetry;
  timeoutMs?: number;
  schema?: SchemaLike<unknown>;
}

/** Versioning: true on code paths recorded after the change. */
export interface PatchedCommand {
  kind: "patched";
  name: string;
  /** deprecatePatch(): only records the marker at the frontier; answers nothing. */
  deprecated?: true;
}

/** Ends this run and starts a fresh run of the same execution. */
export interface ContinueAsNewCommand {
  kind: "continueAsNew";
  name: string;
  input: unknown;
}

/** Every command a workflow can yield. */
export type Command =
  | StepCommand
  | SleepCommand
  | WaitForEventCommand
  | ValueCommand
  | SetStatusCommand
  | GroupCommand
  | DagCommand
  | BranchCommand
  | ChildCommand
  | CallbackCommand
  | PatchedCommand
  | ContinueAsNewCommand;

/** The kinds of operation, as recorded in the history. */
export type OperationKind = Command["kind"];

/** What a workflow body yields: a branded command. Produced only by `yield*` on an operation. */
export type Envelope = Command & { readonly [envelopeBrand]: true };

/**
 * An operation: `yield*` it inside a workflow body to run it and get its typed result.
 *
 * @example
 * ```ts
 * const price: number = yield* step("price", () => 42);
 * ```
 */
export interface Yieldable<T> {
  [Symbol.iterator](): Generator<Envelope, T, unknown>;
}

class Operation<T> implements Yieldable<T> {
  constructor(private readonly envelope: Envelope) {}

  /** What the types see: one yield, then the answer. */
  *[Symbol.iterator](): Generator<Envelope, T, unknown> {
    return (yield this.envelope) as T;
  }

  /**
   * What `yield*` inside an async generator actually uses when present: the same protocol without the
   * async-from-sync wrapper the language would otherwise put around `[Symbol.iterator]` (half the cost per yield).
   */
  [Symbol.asyncIterator](): OperationIterator {
    return new OperationIterator(this.envelope);
  }
}

/** Yields the envelope once, then returns whatever the engine sends back; a thrown answer rethrows at the yield. */
class OperationIterator {
  private yielded = false;

  constructor(private readonly envelope: Envelope) {}

  next(answer?: unknown): Promise<IteratorResult<Envelope, unknown>> {
    if (this.yielded) return Promise.resolve({ value: answer, done: true });
    this.yielded = true;
    return Promise.resolve({ value: this.envelope, done: false });
  }

  throw(error: unknown): Promise<never> {
    return Promise.reject(error);
  }

  return(value?: unknown): Promise<IteratorResult<Envelope, unknown>> {
    return Promise.resolve({ value, done: true });
  }
}

/** Wraps a command as a typed operation. */
export function operation<T>(command: Command): Yieldable<T> {
  return new Operation<T>(command as Envelope);
}

/** The command inside an operation made by `operation()`, or undefined for a composed Yieldable. */
export function commandOf(yieldable: Yieldable<unknown>): Command | undefined {
  return yieldable instanceof Operation ? (yieldable as unknown as { envelope: Command }).envelope : undefined;
}
