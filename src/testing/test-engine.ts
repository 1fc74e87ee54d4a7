// createTestEngine(): the real engine on a MemoryStore with a virtual clock, step mocks and seeded randomness.
// Time stands still until a test awaits a result (then it skips to each next timer) or advances it by hand, so a
// test decides exactly when events arrive. Nothing global is faked. Every execution is also checked against a cold
// replay of its history (cold-replay.ts), so hidden nondeterminism fails the test instead of waiting for production.
import type { Schedule } from "../schedules/definition.js";
import type { Duration } from "../core/duration.js";
import { formatMillis, toMillis } from "../core/duration.js";
import type { HistoryEvent } from "../core/history.js";
import type { StepContext } from "../core/yieldable.js";
import type { PayloadArgs, ValueArg } from "../engine/api.js";
import type { CompleteCallbackArgs, ExecutionArgs, RedriveResult, SendEventArgs, StopResult } from "../engine/api-types.js";
import type {
  ExecutionDescription,
  ResumeDueResult,
  RunHandle,
  SendEventOptions,
  StartOptions,
} from "../engine/engine.js";
import { Engine } from "../engine/engine.js";
import { namesWorkflow } from "../engine/typed-calls.js";
import type { Logger } from "../engine/log.js";
import type { Tracing } from "../telemetry/span.js";
import { silentLogger } from "../engine/log.js";
import type { TurnResult } from "../engine/turn.js";
import type { NonDeterminismError } from "../errors.js";
import { SpindleError } from "../errors.js";
import type { HistoryStore, ListQuery } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import { MemoryStore } from "../store/memory-store.js";
import type {
  AnyWorkflow,
  WorkflowCallbackName,
  WorkflowCallbackValue,
  WorkflowEventName,
  WorkflowEventPayload,
  WorkflowOutput,
  WorkflowStartInput,
} from "../workflow.js";
import { ColdReplayCheck } from "./cold-replay.js";
import { formatTimeline } from "./format.js";
import { VirtualClock } from "./virtual-clock.js";
import { seededRandom } from "./seeded.js";

/** Options of `createTestEngine`. */
export interface TestEngineOptions {
  workflows: readonly AnyWorkflow[];
  /** Step functions replaced by name: `{ quote: () => ({ price: 3 }) }`. */
  mocks?: Record<string, (context: StepContext) => unknown>;
  /** Default: a new MemoryStore. */
  store?: HistoryStore;
  /** Schedules the engine fires on the virtual clock (see `createEngine({ schedules })`). */
  schedules?: readonly Schedule[];
  /** Virtual start time. Default 2026-01-01T00:00:00Z. */
  startAt?: Date | number;
  /** Seed of `random()` and `uuid()`. Default 1. */
  seed?: number;
  /** Default: silent. */
  logger?: Logger;
  /** Warm cache size. Default 1,000; 0 makes every turn replay the history (a good stress for determinism). */
  cacheSize?: number;
  /** Spans on the virtual clock (see `createEngine({ tracing })`). */
  tracing?: Tracing;
  /**
   * Checks every execution against a cold replay. Warm turns never replay, so after turns the test engine replays
   * the history from its first event with a fresh generator and no effects (as `replayHistory` does): a body that
   * branches on `Math.random()`, `Date.now()`, I/O or module state outside a step then fails with
   * `NonDeterminismError` from `result()` (of it or its parents) and `advanceTime()`. A history is replayed after
   * its first turn, whenever it has doubled since its last replay, when a run ends, and before `result()` or
   * `advanceTime()` returns, so the replays cost about twice the events recorded. Default true; `false` skips them
   * (faster for very long histories, blind to this bug).
   *
   * @example
   * ```ts
   * const t = createTestEngine({ workflows: [order], checkReplay: false });
   * ```
   */
  checkReplay?: boolean;
}

/**
 * The test kit's stall error: awaiting a result that nothing can produce (no timer pending, no turn running).
 *
 * @example
 * ```ts
 * await expect(run.result()).rejects.toBeInstanceOf(TestStalledError);
 * ```
 */
export class TestStalledError extends SpindleError {
  // A literal: the class's own name does not survive a minified bundle.
  override name = "TestStalledError";
  override readonly code = "TEST_STALLED" as const;
}

/**
 * The engine for unit tests: real turns on a MemoryStore, a virtual clock that skips ahead while a result is awaited,
 * step mocks by name, seeded `random()`/`uuid()`, and a cold replay of every execution (`checkReplay`).
 *
 * @example
 * ```ts
 * const t: TestEngine = createTestEngine({ workflows: [order] });
 * ```
 */
export class TestEngine {
  /** The engine under test (its clock is `clock`). */
  readonly engine: Engine;
  readonly clock: VirtualClock;
  readonly store: HistoryStore;
  /** The cold-replay check (`checkReplay`), unless turned off. */
  private readonly replayCheck: ColdReplayCheck | undefined;
  /** Cold-replay failures already thrown (by `result` or `advanceTime`). */
  private readonly reported = new Set<NonDeterminismError>();

  constructor(options: TestEngineOptions) {
    const startAt = options.startAt instanceof Date ? options.startAt.getTime() : options.startAt;
    this.clock = new VirtualClock(startAt);
    this.store = options.store ?? new MemoryStore();
    const mocks = options.mocks ?? {};
    const random = seededRandom(options.seed ?? 1);
    this.replayCheck = options.checkReplay === false ? undefined : new ColdReplayCheck(options.workflows);
    this.engine = new Engine(
      {
        store: this.replayCheck ? this.replayCheck.wrap(this.store) : this.store,
        workflows: options.workflows,
        clock: this.clock,
        logger: options.logger ?? silentLogger,
        random,
        uuid: () => uuidFrom(random),
        ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
        ...(options.schedules === undefined ? {} : { schedules: options.schedules }),
        ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
      },
      { stepOverride: (name) => (Object.hasOwn(mocks, name) ? mocks[name] : undefined) },
    );
    this.replayCheck?.attach(this.engine);
  }

  /** The virtual time. */
  now(): Date {
    return new Date(this.clock.now());
  }

  /**
   * Starts an execution; its first turn runs in the background. `result()` on the handle skips time as needed.
   *
   * @example
   * ```ts
   * const run = await t.start(order, { orderId: "o-1" }, { id: "o-1" });
   * expect(await run.result()).toEqual({ ok: true });
   * ```
   */
  async start<W extends AnyWorkflow | string>(
    workflow: W,
    input: W extends AnyWorkflow ? WorkflowStartInput<W> : unknown,
    options: StartOptions = {},
  ): Promise<RunHandle<W extends AnyWorkflow ? WorkflowOutput<W> : unknown>> {
    const handle = await this.engine.start(workflow, input, options);
    return { ...handle, result: () => this.result(handle.id) as never };
  }

  /**
   * Waits for the execution's result, moving the virtual clock to each next timer while every turn waits. Name the
   * workflow to type the result (see `Engine.result`).
   *
   * @example
   * ```ts
   * await expect(t.result("o-1")).resolves.toEqual({ ok: true });
   * const output = await t.result(order, "o-1"); // WorkflowOutput<typeof order>
   * ```
   * @throws the workflow's error; NonDeterminismError when a cold replay of the execution or of one of its children
   * took another path (see `checkReplay`); TestStalledError when the execution waits for something nothing will send;
   * with a workflow, what `Engine.result` throws for one the execution does not run.
   */
  async result(id: string): Promise<unknown>;
  async result<W extends AnyWorkflow>(workflow: W, id: string): Promise<WorkflowOutput<W>>;
  async result(...args: ExecutionArgs): Promise<unknown> {
    // The typed form checks the workflow (as the engine's does) before time moves.
    if (namesWorkflow(args[0])) await this.engine.handle(args[0], args[1] as string);
    const id = (namesWorkflow(args[0]) ? args[1] : args[0]) as string;
    for (;;) {
      await this.settle();
      const early = this.replayFailure(id);
      if (early) throw early;
      const record = await this.store.get(id);
      const closed = !record || CLOSED_STATUSES.has(record.status);
      const failure = closed ? undefined : this.engine.turnFailure(id);
      if (!closed && failure === undefined && this.clock.fireNext()) continue;
      // Ended, failed or stalled: replay what was not replayed yet, so a divergence wins over any other answer.
      await this.replayCheck?.flush();
      const diverged = this.replayFailure(id);
      if (diverged) throw diverged;
      if (closed) return this.engine.result(id);
      if (failure !== undefined) throw failure;
      throw await this.stalled(id);
    }
  }

  /**
   * Moves the virtual clock forward, firing timers in order and letting each resulting turn finish.
   *
   * @example
   * ```ts
   * await t.advanceTime("2h");
   * ```
   * @throws NonDeterminismError when a cold replay of an execution took another path (see `checkReplay`): each such
   * failure once, unless `result()` threw it already.
   */
  async advanceTime(duration: Duration): Promise<void> {
    const target = this.clock.now() + toMillis(duration, "advanceTime duration");
    await this.settle();
    for (let next = this.clock.nextTimerAt(); next !== undefined && next <= target; next = this.clock.nextTimerAt()) {
      this.clock.fireNext();
      await this.settle();
    }
    this.clock.set(target);
    if (!this.replayCheck) return;
    await this.replayCheck.flush();
    const failure = this.replayCheck.allFailures().find((found) => !this.reported.has(found));
    if (failure) {
      this.reported.add(failure);
      throw failure;
    }
  }

  /**
   * See `Engine.sendEvent`; name the workflow first to type the event from its `events`.
   *
   * @example
   * ```ts
   * await t.sendEvent(order, "o-1", "paid", { ref: "r-1" });
   * ```
   */
  sendEvent(id: string, name: string, payload?: unknown, options?: SendEventOptions): Promise<{ duplicate: boolean }>;
  sendEvent<W extends AnyWorkflow, K extends WorkflowEventName<W>>(
    workflow: W,
    id: string,
    name: K,
    ...payloadAndOptions: PayloadArgs<WorkflowEventPayload<W, K>>
  ): Promise<{ duplicate: boolean }>;
  sendEvent(...args: SendEventArgs): Promise<{ duplicate: boolean }> {
    return (this.engine.sendEvent as (...forward: SendEventArgs) => Promise<{ duplicate: boolean }>)(...args);
  }

  /**
   * See `Engine.completeCallback`; name the workflow and the callback first to type the value from its `callbacks`.
   *
   * @example
   * ```ts
   * await t.completeCallback(approval, token, "decision", { approved: true });
   * ```
   */
  completeCallback(token: string, value?: unknown): Promise<{ executionId: string }>;
  completeCallback<W extends AnyWorkflow, K extends WorkflowCallbackName<W>>(
    workflow: W,
    token: string,
    name: K,
    ...value: ValueArg<WorkflowCallbackValue<W, K>>
  ): Promise<{ executionId: string }>;
  completeCallback(...args: CompleteCallbackArgs): Promise<{ executionId: string }> {
    return (this.engine.completeCallback as (...forward: CompleteCallbackArgs) => Promise<{ executionId: string }>)(...args);
  }

  /** See `Engine.failCallback`. */
  failCallback(token: string, error: Parameters<Engine["failCallback"]>[1]): Promise<{ executionId: string }> {
    return this.engine.failCallback(token, error);
  }

  /** See `Engine.cancel`. */
  cancel(id: string, reason?: string): Promise<StopResult> {
    return this.engine.cancel(id, reason);
  }

  /** See `Engine.terminate`. */
  terminate(id: string, reason?: string): Promise<StopResult> {
    return this.engine.terminate(id, reason);
  }

  /** See `Engine.redrive`. */
  redrive(id: string): Promise<RedriveResult> {
    return this.engine.redrive(id);
  }

  /** See `Engine.resume`. */
  resume(id: string): Promise<TurnResult> {
    return this.engine.resume(id);
  }

  /** See `Engine.resumeDue`. */
  resumeDue(): Promise<ResumeDueResult> {
    return this.engine.resumeDue();
  }

  /** Describes the execution once every running turn has finished. */
  async describe(id: string): Promise<ExecutionDescription> {
    await this.engine.idle();
    return this.engine.describe(id);
  }

  /** The recorded events once every running turn has finished. */
  async history(id: string): Promise<HistoryEvent[]> {
    await this.engine.idle();
    return this.engine.history(id);
  }

  /** See `Engine.list`. */
  async list(query?: ListQuery): Promise<{ executions: ExecutionDescription[]; cursor?: string }> {
    await this.engine.idle();
    return this.engine.list(query);
  }

  /** Resolves when no turn is running. */
  idle(): Promise<void> {
    return this.engine.idle();
  }

  /**
   * Waits until no turn is running. A turn inside a step attempt that has a timeout does not hold time still for
   * ever: once every running turn has sat in such a step for STEP_GRACE_MS of real time, time may move on (so a
   * hanging step times out in virtual time). Steps without a timeout hold time still until they finish.
   */
  private async waitForTurns(): Promise<void> {
    let blockedSince: number | undefined;
    for (;;) {
      const { turns, timedSteps } = this.engine.activity;
      if (turns === 0) return;
      if (turns > timedSteps) blockedSince = undefined;
      else {
        blockedSince ??= performance.now();
        if (performance.now() - blockedSince >= STEP_GRACE_MS) return;
      }
      await idleOrTick(this.engine);
    }
  }

  /** Waits until no turn is running (see `waitForTurns`) and no cold replay (`checkReplay`) is under way. */
  private async settle(): Promise<void> {
    await this.waitForTurns();
    await this.replayCheck?.settled();
  }

  /** The cold-replay failure of `id` or of one of its children, marked as thrown. */
  private replayFailure(id: string): NonDeterminismError | undefined {
    const failure = this.replayCheck?.failureFor(id);
    if (failure) this.reported.add(failure);
    return failure;
  }

  private async stalled(id: string): Promise<TestStalledError> {
    const description = await this.engine.describe(id);
    const waits = description.waitingFor
      .map((wait) => `${wait.kind} '${wait.name}' (#${wait.opId})`)
      .join(", ");
    const elapsed = formatMillis(this.clock.now() - description.createdAt.getTime());
    return new TestStalledError(
      `Execution '${id}' is ${description.status}, waiting for ${waits || "nothing"}, and nothing will wake it ` +
        `(no timer is pending, ${elapsed} after its start). Send what it waits for (t.sendEvent) before awaiting ` +
        `its result.\n${formatTimeline(await this.engine.history(id))}`,
      { executionId: id },
    );
  }
}

/**
 * Creates a test engine.
 *
 * @example
 * ```ts
 * const t = createTestEngine({ workflows: [order], mocks: { quote: () => ({ price: 3 }) } });
 * const run = await t.start(order, { orderId: "o-1", amount: 5 }, { id: "o-1" });
 * await t.sendEvent("o-1", "paid", { ref: "r" });
 * expect(await run.result()).toEqual({ quote: { price: 3 }, ref: "r" });
 * ```
 */
export function createTestEngine(options: TestEngineOptions): TestEngine {
  return new TestEngine(options);
}

/** Real time a step with a timeout may run before the virtual clock moves on without it. */
const STEP_GRACE_MS = 20;

function idleOrTick(engine: Engine): Promise<void> {
  return new Promise((resolve) => {
    // Not unref'd: a script whose only pending work is a step hanging until its timeout must stay alive.
    const timer = setTimeout(resolve, 5);
    void engine.idle().then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
