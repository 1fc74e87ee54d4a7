// The engine's public contract: the Engine interface and the values its methods take and return. The class behind
// it (engine.ts) and its in-process scheduler (scheduler.ts) stay internal, so none of their state is public.
import type { HistoryEvent } from "../core/history.js";
import type { Schedules } from "../schedules/schedules.js";
import type { HistoryStore, ListQuery } from "../store/history-store.js";
import type {
  AnyWorkflow,
  WorkflowCallbackName,
  WorkflowCallbackValue,
  WorkflowEventName,
  WorkflowEventPayload,
  WorkflowOutput,
  WorkflowStartInput,
} from "../workflow.js";
import type { Clock } from "./clock.js";
import type { ExecutionDescription } from "./describe.js";
import type { TurnResult } from "./turn.js";
import type {
  PayloadArgs,
  RedriveResult,
  ResumeDueOptions,
  ResumeDueResult,
  ResumeOptions,
  RunHandle,
  SendEventOptions,
  StartOptions,
  StopResult,
  TurnReport,
  ValueArg,
} from "./api-types.js";

export type {
  PayloadArgs,
  RedriveResult,
  ResumeDueOptions,
  ResumeDueResult,
  ResumeOptions,
  RunHandle,
  SendEventOptions,
  StartOptions,
  StopResult,
  TurnReport,
  ValueArg,
} from "./api-types.js";

/**
 * The engine: starts executions, delivers events, callbacks and cancellations, runs turns, and answers questions about
 * executions. Create one per process with `createEngine`.
 *
 * @example
 * ```ts
 * const engine: Engine = createEngine({ store: new MemoryStore(), workflows: [order] });
 * const run = await engine.start(order, { orderId: "o-1", amount: 5 }, { id: "order-o-1" });
 * ```
 */
export interface Engine {
  /** The store the engine reads and writes. */
  readonly store: HistoryStore;
  /** The schedules given to createEngine: list, describe, pause, unpause, trigger, backfill, delete. */
  readonly schedules: Schedules;
  /** The engine's time source and timers. */
  readonly clock: Clock;
  /** `"in-process"`: the engine runs turns and wake-ups itself; `"external"`: only `resume`/`resumeDue` run turns. */
  readonly mode: "in-process" | "external";

  /**
   * Starts an execution, idempotently by id: starting again with the same workflow and input returns the existing
   * execution (`created: false`).
   *
   * @example
   * ```ts
   * const run = await engine.start(order, { orderId: "o-1", amount: 5 }, { id: "order-o-1" });
   * console.log(await run.result());
   * ```
   * @throws ValidationError (input fails the schema; nothing recorded), WorkflowNotFoundError,
   * IdempotencyConflictError (the id is taken by another workflow or input).
   */
  start<W extends AnyWorkflow | string>(
    workflow: W,
    input: W extends AnyWorkflow ? WorkflowStartInput<W> : unknown,
    options?: StartOptions,
  ): Promise<RunHandle<W extends AnyWorkflow ? WorkflowOutput<W> : unknown>>;

  /**
   * A handle on an existing execution, to await its result. Name the workflow to type the result; the handle is then
   * refused unless the execution runs that workflow.
   *
   * @example
   * ```ts
   * const result = await (await engine.handle("order-o-1")).result(); // unknown
   * const typed = await (await engine.handle(order, "order-o-1")).result(); // WorkflowOutput<typeof order>
   * ```
   * @throws ExecutionNotFoundError; with a workflow: WorkflowNotFoundError (it is not the definition registered
   * under its name), ValidationError (the execution runs another workflow).
   */
  handle<O = unknown>(id: string): Promise<RunHandle<O>>;
  handle<W extends AnyWorkflow>(workflow: W, id: string): Promise<RunHandle<WorkflowOutput<W>>>;

  /**
   * Sends an event to an execution's inbox. Waits that are pending or come later receive events in order, each once.
   * Name the workflow first to type the event's name and payload from its `events`; the event is then refused unless
   * the execution runs that workflow.
   *
   * @example
   * ```ts
   * await engine.sendEvent("order-o-1", "paid", { ref: "r-9" }, { idempotencyKey: "stripe-evt-1" });
   * await engine.sendEvent(order, "order-o-1", "paid", { ref: "r-9" }); // name and payload typed from order's events
   * ```
   * @returns `duplicate: true` when this idempotency key was delivered before (nothing new stored).
   * @throws ExecutionNotFoundError, ExecutionClosedError, ValidationError (payload fails the declared schema, or the
   * workflow declares events and not this one; with a workflow: the execution runs another one), IdempotencyConflictError
   * (key reused with another event), WorkflowNotFoundError (a workflow that is not the definition registered under
   * its name). Nothing is stored when it throws.
   */
  sendEvent(id: string, name: string, payload?: unknown, options?: SendEventOptions): Promise<{ duplicate: boolean }>;
  sendEvent<W extends AnyWorkflow, K extends WorkflowEventName<W>>(
    workflow: W,
    id: string,
    name: K,
    ...payloadAndOptions: PayloadArgs<WorkflowEventPayload<W, K>>
  ): Promise<{ duplicate: boolean }>;

  /**
   * Completes a callback with a value: the workflow's `callback(...)` returns it. Resolves to the execution the
   * token belongs to (to resume it at once in external mode). Name the workflow and the callback to type the value
   * from its `callbacks`; the completion is then refused unless the token is that callback's in an execution of
   * that workflow.
   *
   * @example
   * ```ts
   * await engine.completeCallback(token, { approved: true });
   * await engine.completeCallback(approval, token, "decision", { approved: true }); // typed from approval's callbacks
   * ```
   * @throws CallbackNotFoundError (unknown, already used or expired token), ValidationError (the value fails the
   * workflow's declared `callbacks` schema; with a workflow: the token is another workflow's or another callback's),
   * WorkflowNotFoundError (a workflow that is not the definition registered under its name). Nothing is stored when
   * it throws.
   */
  completeCallback(token: string, value?: unknown): Promise<{ executionId: string }>;
  completeCallback<W extends AnyWorkflow, K extends WorkflowCallbackName<W>>(
    workflow: W,
    token: string,
    name: K,
    ...value: ValueArg<WorkflowCallbackValue<W, K>>
  ): Promise<{ executionId: string }>;

  /**
   * Fails a callback: the workflow's `callback(...)` throws this error (an Error, or `{ name?, message, code? }`).
   * Resolves to the execution the token belongs to.
   *
   * @example
   * ```ts
   * await engine.failCallback(token, { name: "Rejected", message: "the manager said no" });
   * ```
   * @throws CallbackNotFoundError (unknown, already used or expired token).
   */
  failCallback(
    token: string,
    error: Error | { name?: string; message: string; code?: string } | string,
  ): Promise<{ executionId: string }>;

  /**
   * Cancels an execution: a CancelledError surfaces at its current (or next) operation; `catch`/`finally` blocks may
   * run compensation steps; rethrowing ends it as `cancelled`. Cancelling a cancelled or terminated execution, or a run
   * cancelled already (a run takes one cancellation, pending or caught), records nothing and says so (`recorded: false`).
   *
   * @example
   * ```ts
   * const { recorded } = await engine.cancel("order-o-1", "customer changed their mind");
   * ```
   * @throws ExecutionNotFoundError, ExecutionClosedError (it already completed or failed).
   */
  cancel(id: string, reason?: string): Promise<StopResult>;

  /**
   * Ends an execution at once, running no more workflow code (no compensation). Terminating a cancelled or
   * terminated execution records nothing and says so (`recorded: false`), also when another process ended it while
   * this call ran.
   *
   * @example
   * ```ts
   * const { recorded } = await engine.terminate("order-o-1", "stuck after a bad deploy");
   * ```
   * @throws ExecutionNotFoundError, ExecutionClosedError (it already completed or failed).
   */
  terminate(id: string, reason?: string): Promise<StopResult>;

  /**
   * Puts a poison execution back to work once its cause is fixed. A `stuck` execution (its turns kept failing, see
   * createEngine's `maxTurnFailures`) goes back into the due index with its failed turns forgotten. A `failed` one is
   * rerun from its failed step with a fresh attempt budget: everything that completed before it replays from the
   * history and is not run again (an ExecutionRedriven event records this). Two redrives at once: one wins, the other
   * returns `redriven: false`. Redriving a child does not reopen a parent that already received its failure.
   *
   * @example
   * ```ts
   * const { redriven, rerun } = await engine.redrive("order-o-1"); // rerun: { opId: "2", name: "charge" }
   * await engine.resume("order-o-1"); // external mode; in-process mode runs it at once
   * ```
   * @throws ExecutionNotFoundError, RedriveRefusedError (any other status, or a failed run that took a delivered
   * event after its failure, which a rerun would lose; nothing is changed).
   */
  redrive(id: string): Promise<RedriveResult>;

  /**
   * Runs one turn of the execution now (waiting for a turn already running in this process first). Harmless when
   * nothing is due: a resume before the wake-up time changes nothing.
   *
   * @example
   * ```ts
   * const turn = await engine.resume("order-o-1"); // { status: "suspended", wakeAt, ... }
   * ```
   * @throws ExecutionNotFoundError, NonDeterminismError, HistoryCorruptedError, WorkflowNotFoundError,
   * ConcurrencyError (another process appended first: resume again).
   */
  resume(id: string, options?: ResumeOptions): Promise<TurnResult>;

  /**
   * Resumes every execution whose wake-up time has come or whose inbox has unread items (a scheduled tick).
   *
   * @example
   * ```ts
   * setInterval(() => engine.resumeDue(), 1000);
   * ```
   * @throws ValidationError (a `limit` or `concurrency` that is not a whole number of at least 1).
   */
  resumeDue(options?: ResumeDueOptions): Promise<ResumeDueResult>;

  /**
   * Describes an execution: status, result or error, custom status, what it waits for and when it wakes.
   *
   * @example
   * ```ts
   * const { status, customStatus, waitingFor } = await engine.describe("order-o-1");
   * ```
   * @throws ExecutionNotFoundError
   */
  describe(id: string): Promise<ExecutionDescription>;

  /**
   * The recorded events of the execution's current run (validated copies).
   *
   * @example
   * ```ts
   * console.log(formatTimeline(await engine.history("order-o-1")));
   * ```
   * @throws ExecutionNotFoundError, HistoryCorruptedError
   */
  history(id: string): Promise<HistoryEvent[]>;

  /**
   * Lists executions, newest first, by status and workflow.
   *
   * @example
   * ```ts
   * const { executions, cursor } = await engine.list({ status: "suspended", workflow: "order" });
   * ```
   */
  list(query?: ListQuery): Promise<{ executions: ExecutionDescription[]; cursor?: string }>;

  /**
   * Waits for an execution to end and returns its result (or throws its error). Name the workflow to type the result;
   * the call is then refused unless the execution runs that workflow. An end another process writes is seen too: while
   * callers wait with no turn of theirs running here, the engine reads their records (from 200 ms apart, backing off to
   * 5 s) until none waits.
   *
   * @example
   * ```ts
   * const output = await engine.result("order-o-1"); // unknown
   * const typed = await engine.result(order, "order-o-1"); // WorkflowOutput<typeof order>
   * ```
   * @throws the workflow's error; CancelledError when cancelled or terminated; ExecutionNotFoundError; the error of
   * the execution's last turn in this process when that turn failed for good (NonDeterminismError after a deploy
   * that changed the code, WorkflowNotFoundError, HistoryCorruptedError), to callers waiting then and to later ones;
   * with a workflow: WorkflowNotFoundError (it is not the definition registered under its name), ValidationError
   * (the execution runs another workflow).
   */
  result(id: string): Promise<unknown>;
  result<W extends AnyWorkflow>(workflow: W, id: string): Promise<WorkflowOutput<W>>;

  /**
   * Resolves when no turn is running in this process.
   *
   * @example
   * ```ts
   * await engine.idle();
   * ```
   */
  idle(): Promise<void>;

  /**
   * Stops scheduling wake-ups and waits for running turns. Executions stay in the store, ready to resume.
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => engine.close());
   * ```
   */
  close(): Promise<void>;

  /**
   * Calls `listener` after every turn this engine runs (one line of a turn log, metrics). Returns an unsubscribe.
   *
   * @example
   * ```ts
   * engine.onTurn((turn) => console.log(JSON.stringify({ msg: "turn", ...turn, error: undefined })));
   * ```
   */
  onTurn(listener: (report: TurnReport) => void): () => void;

  /**
   * Turns running in this process, and how many of them are inside a step attempt that has a timeout (the test
   * engine's clock waits on them).
   * @internal
   */
  readonly activity: { turns: number; timedSteps: number };

  /**
   * The error of the execution's last turn in this process, when that turn failed (not by losing a race).
   * @internal
   */
  turnFailure(id: string): unknown;
}
