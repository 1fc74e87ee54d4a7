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

/** Every command a workflow can yield. */
export type Command = StepCommand | SleepCommand | WaitForEventCommand | ValueCommand | SetStatusCommand;

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
