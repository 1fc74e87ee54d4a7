// The values the engine's methods take and return (options, handles, reports) and the argument lists of its typed
// overloads. The Engine interface that uses them is in api.ts.
import type { Duration } from "../core/duration.js";
import type { ExecutionStatus } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";

/**
 * Options of `start`.
 *
 * @example
 * ```ts
 * const options: StartOptions = { id: "order-o-1" };
 * await engine.start(order, { orderId: "o-1", amount: 5 }, options);
 * ```
 */
export interface StartOptions {
  /** The execution id; starting twice with one id is idempotent. Default: a new ULID. */
  id?: string;
}

/**
 * Options of `sendEvent`.
 *
 * @example
 * ```ts
 * const options: SendEventOptions = { idempotencyKey: "stripe-evt-1" };
 * await engine.sendEvent("order-o-1", "paid", { ref: "r-9" }, options);
 * ```
 */
export interface SendEventOptions {
  /** Deduplicates deliveries: the same key with the same event is accepted once; with another, a conflict. */
  idempotencyKey?: string;
}

/**
 * The payload and options of the typed `sendEvent`: the payload may be left out when its schema accepts `undefined`.
 *
 * @example
 * ```ts
 * const args: PayloadArgs<{ ref: string }> = [{ ref: "r-9" }, { idempotencyKey: "stripe-evt-1" }];
 * ```
 */
export type PayloadArgs<P> = undefined extends P ? [payload?: P, options?: SendEventOptions] : [payload: P, options?: SendEventOptions];

/**
 * The value of the typed `completeCallback`: it may be left out when its schema accepts `undefined`.
 *
 * @example
 * ```ts
 * const args: ValueArg<{ approved: boolean }> = [{ approved: true }];
 * ```
 */
export type ValueArg<V> = undefined extends V ? [value?: V] : [value: V];

/**
 * The arguments `sendEvent` takes, in both forms (the engine's implementation accepts either).
 * @internal
 */
export type SendEventArgs =
  | [id: string, name: string, payload?: unknown, options?: SendEventOptions]
  | [workflow: AnyWorkflow, id: string, name: string, payload?: unknown, options?: SendEventOptions];

/**
 * The arguments `completeCallback` takes, in both forms (the engine's implementation accepts either).
 * @internal
 */
export type CompleteCallbackArgs = [token: string, value?: unknown] | [workflow: AnyWorkflow, token: string, name: string, value?: unknown];

/**
 * The arguments `result` and `handle` take, in both forms (the engine's implementation accepts either).
 * @internal
 */
export type ExecutionArgs = [id: string] | [workflow: AnyWorkflow, id: string];

/**
 * A started execution.
 *
 * @example
 * ```ts
 * const run: RunHandle<{ status: string }> = await engine.start(order, { orderId: "o-1", amount: 5 });
 * console.log(run.id, run.created, await run.result());
 * ```
 */
export interface RunHandle<O = unknown> {
  id: string;
  runId: string;
  workflow: string;
  /** True when this start created the execution, false when it already existed. */
  created: boolean;
  /** Waits for the execution to end: its result, or its error (CancelledError when cancelled). */
  result(): Promise<O>;
}

/**
 * Outcome of `resumeDue`.
 *
 * @example
 * ```ts
 * const { resumed, busy, failed, left }: ResumeDueResult = await engine.resumeDue({ limit: 50 });
 * ```
 */
export interface ResumeDueResult {
  /** Executions this call ran a turn of. */
  resumed: number;
  /** Executions left alone because another process's turn holds them (see TurnResult.busyUntil). */
  busy: number;
  failed: { id: string; error: unknown }[];
  /**
   * Due executions this call read but did not start because the deadline came (they stay due for the next call). A
   * lower bound of what is still due: pages past the deadline are not read.
   */
  left: number;
}

/**
 * Options of `resume`.
 *
 * @example
 * ```ts
 * const options: ResumeOptions = { deadline: Date.now() + context.getRemainingTimeInMillis() - 2000, maxWait: "5s" };
 * await engine.resume("order-o-1", options);
 * ```
 */
export interface ResumeOptions {
  /**
   * The turn starts no new step after this time (epoch ms or a Date, on the engine's clock) and stops waiting for
   * running ones: it writes what it has and returns `outOfTime`, the execution due again at once. For a Lambda
   * invocation: its remaining time minus a safety margin.
   */
  deadline?: number | Date;
  /**
   * The turn's store calls give up retrying by this time (epoch ms or a Date, on the engine's clock), failing with
   * `StoreUnavailableError`; a turn stopped at its `deadline` still writes what it has until then. Default: 5 s after
   * `deadline` (the Lambda handler's default safety margin); the Lambda handler sets it to the invocation's end.
   */
  writeDeadline?: number | Date;
  /** Wait in the turn for a timer due this soon (and before the deadline) instead of suspending. Default: none. */
  maxWait?: Duration;
}

/**
 * Options of `resumeDue`.
 *
 * @example
 * ```ts
 * const options: ResumeDueOptions = { limit: 100, concurrency: 10, deadline: Date.now() + 50_000 };
 * await engine.resumeDue(options);
 * ```
 */
export interface ResumeDueOptions {
  /**
   * Most executions this call takes (a cap). Default: none — the call reads due executions page after page, oldest
   * first, until none is left or the deadline comes. (0.1.0 defaulted to 100, read in one page.)
   */
  limit?: number;
  /** Due executions read per page from the store. Default 100, or `limit` when that is smaller. */
  pageSize?: number;
  /** Turns run at once. Default 10. */
  concurrency?: number;
  /**
   * No turn starts after this time, and running turns stop at it (see `ResumeOptions.deadline`); the executions read
   * but not started are counted in `left`. Without a deadline or a limit the call drains everything due.
   */
  deadline?: number | Date;
  /** When each turn's store calls give up retrying (see `ResumeOptions.writeDeadline`). Default: 5 s after `deadline`. */
  writeDeadline?: number | Date;
}

/**
 * One turn as `onTurn` listeners see it: one per turn, never for replayed work.
 *
 * @example
 * ```ts
 * engine.onTurn((turn: TurnReport) => metrics.record(turn.outcome, turn.durationMs));
 * ```
 */
export interface TurnReport {
  /** The execution the turn ran. */
  executionId: string;
  /** Undefined when the turn failed before it read the execution. */
  workflow?: string;
  /** The execution's status after the turn, `busy` (another process holds it), or `failed` (the turn threw). */
  outcome: ExecutionStatus | "busy" | "failed";
  /** Events the turn appended. */
  appended: number;
  /** Whether the turn replayed the history (false: a warm session went on). */
  replayed: boolean;
  /** True when the turn stopped at its deadline with work left. */
  outOfTime: boolean;
  /** Wall time of the turn, in milliseconds. */
  durationMs: number;
  /** The error of a failed turn. */
  error?: unknown;
  /**
   * The wake-up time (epoch ms, the engine's clock) the turn found due when it loaded the execution: a timer, a
   * retry, a deadline. Undefined when the execution was not waiting for a time that had come (it ran for an event,
   * a start, a callback), and for busy and failed turns. `startedAt - dueAt` is how late the wake-up was.
   */
  dueAt?: number;
  /** When the turn loaded the execution (epoch ms, the engine's clock); set with `dueAt`. */
  startedAt?: number;
  /** When the execution wakes next (a timer, a timeout), as the turn left it; see `TurnResult.wakeAt`. */
  wakeAt?: number;
  /** True when this failed turn left the execution `stuck` (its `maxTurnFailures`-th failure in a row). */
  stuck?: boolean;
}

/**
 * What `engine.cancel` or `engine.terminate` did. `recorded` is false when the call stored nothing: the execution was
 * cancelled or terminated already (by anyone, also while the call ran), or, for `cancel`, its current run was
 * cancelled already (a run takes one cancellation: it may be pending, or the workflow caught it and went on).
 *
 * @example
 * ```ts
 * const { recorded }: StopResult = await engine.cancel("order-o-1", "customer changed their mind");
 * if (!recorded) console.log("order-o-1 was stopped already; nothing recorded");
 * ```
 */
export interface StopResult {
  executionId: string;
  /** True when this call recorded the cancellation (or the termination). */
  recorded: boolean;
}

/**
 * What `engine.redrive` did.
 *
 * @example
 * ```ts
 * const { redriven, from, rerun }: RedriveResult = await engine.redrive("order-o-1");
 * ```
 */
export interface RedriveResult {
  executionId: string;
  /** True when this call put the execution back; false when another redrive already had (nothing changed here). */
  redriven: boolean;
  /** The status it was redriven from. */
  from: "stuck" | "failed";
  /** Its status after the call (`running` once redriven). */
  status: ExecutionStatus;
  /** The failed step that runs again with a fresh attempt budget, when the failure named one. */
  rerun?: { opId: string; name: string };
}
