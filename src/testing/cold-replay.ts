// The test engine's cold-replay check (createTestEngine's `checkReplay`). Warm turns go on with a suspended
// generator and never replay, so a body that branches on Math.random(), Date.now(), I/O or module state outside a
// step would pass its unit test and fail in production on the first cold turn. This check replays the recorded
// history from its first event with a fresh generator (replayHistory: no effects, no real store) and keeps any
// NonDeterminismError for the test to see.
//
// The history it replays is a copy kept from the writes themselves (the store the engine gets is wrapped): a copy
// taken when a turn reports is exactly what that turn left, however soon the next turn starts, and a run that ends
// with continueAsNew is still whole when it is checked (the store keeps only the new run).
import type { HistoryEvent } from "../core/history.js";
import { checkHistory } from "../core/history.js";
import type { Engine, TurnReport } from "../engine/engine.js";
import { NonDeterminismError } from "../errors.js";
import type { AppendRequest, CreateResult, ExecutionRecord, HistoryStore, NewExecution } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import { replayHistory } from "./replay-check.js";

/** Per execution: its current run as written through this engine, and how much of it was replayed. */
interface Tracked {
  /** The current run's events, or undefined when writes went around this engine (then the run is loaded). */
  run: HistoryEvent[] | undefined;
  /** Events of the run when a turn last left the execution at rest (suspended or closed). */
  atRest: number;
  /** Events of the run at its last replay. */
  checked: number;
}

/**
 * Replays executions of a test engine from their first event and collects the NonDeterminismErrors found. It replays
 * the history as a turn left it at rest (suspended or closed; a history cut inside a turn may legitimately go on to
 * complete, which a replay cannot tell from a skipped operation): whenever it has doubled since its last replay (so a
 * history of n events costs about 2n replayed events in all), when the execution closes, when a run ends with
 * continueAsNew, and on `flush()` (the test engine flushes before `result()` or `advanceTime()` returns).
 *
 * @example
 * ```ts
 * const check = new ColdReplayCheck([order]);
 * const engine = new Engine({ store: check.wrap(new MemoryStore()), workflows: [order] });
 * check.attach(engine);
 * await check.flush();
 * check.failureFor("order-1"); // NonDeterminismError | undefined
 * ```
 */
export class ColdReplayCheck {
  private store: HistoryStore | undefined;
  private readonly workflows = new Map<string, AnyWorkflow>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly parents = new Map<string, string>();
  private readonly failures = new Map<string, NonDeterminismError>();
  private readonly running = new Set<Promise<void>>();

  constructor(workflows: readonly AnyWorkflow[]) {
    for (const definition of workflows) this.workflows.set(definition.name, definition);
  }

  /**
   * The store for the engine: `store` itself for everything, but creates and appends also keep the copy of each
   * run that the check replays.
   */
  wrap(store: HistoryStore): HistoryStore {
    this.store = store;
    const create = async (execution: NewExecution): Promise<CreateResult> => {
      const result = await store.create(execution);
      if (result.created) this.created(execution);
      return result;
    };
    const append = async (id: string, request: AppendRequest): Promise<ExecutionRecord> => {
      const record = await store.append(id, request);
      this.appended(id, request);
      return record;
    };
    return new Proxy(store, {
      get(target, key) {
        if (key === "create") return create;
        if (key === "append") return append;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  /** Starts checking the turns of `engine` (which writes through `wrap`'s store). */
  attach(engine: Engine): void {
    engine.onTurn((report) => this.turned(report));
  }

  /** Replays every execution whose last history at rest was not replayed yet, and waits for every replay. */
  async flush(): Promise<void> {
    for (const [id, tracked] of this.tracked) {
      if (tracked.run && tracked.atRest > tracked.checked) this.check(id, tracked.run.slice(0, tracked.atRest));
    }
    await this.settled();
  }

  /** Waits for the replays under way. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** The failure found for `id` or for one of its children (at any depth), if any. */
  failureFor(id: string): NonDeterminismError | undefined {
    const own = this.failures.get(id);
    if (own) return own;
    for (const [failed, failure] of this.failures) {
      for (let parent = this.parents.get(failed); parent !== undefined; parent = this.parents.get(parent)) {
        if (parent === id) return failure;
      }
    }
    return undefined;
  }

  /** Every failure found, in the order found. */
  allFailures(): NonDeterminismError[] {
    return [...this.failures.values()];
  }

  private created(execution: NewExecution): void {
    const id = execution.record.id;
    this.tracked.set(id, { run: [...execution.events], atRest: 0, checked: 0 });
    if (execution.record.parent) this.parents.set(id, execution.record.parent.executionId);
  }

  private appended(id: string, request: AppendRequest): void {
    const tracked = this.tracked.get(id) ?? { run: undefined, atRest: 0, checked: 0 };
    this.tracked.set(id, tracked);
    const run = tracked.run;
    const first = run?.[0];
    const whole = run !== undefined && run.length === request.expectedVersion && first?.type === "ExecutionStarted" &&
      first.runId === request.runId;
    if (whole) for (const event of request.events) run.push(event);
    else Object.assign(tracked, { run: undefined, atRest: 0, checked: 0 }); // written around this engine
    const next = request.continueAsNew;
    if (!next) return;
    // The store now keeps only the new run: replay the one that ended (it is at rest) while its events are at hand.
    if (whole) this.check(id, run.slice());
    this.tracked.set(id, { run: [...next.events], atRest: 0, checked: 0 });
  }

  private turned(report: TurnReport): void {
    const { executionId: id, outcome } = report;
    if (report.appended === 0 || this.failures.has(id)) return;
    const closed = outcome !== "busy" && outcome !== "failed" && CLOSED_STATUSES.has(outcome);
    if (outcome !== "suspended" && !closed) return; // it goes on at once: the next turn reports
    const tracked = this.tracked.get(id);
    if (!tracked?.run) {
      this.check(id, undefined);
      return;
    }
    tracked.atRest = tracked.run.length;
    const unchecked = tracked.atRest - tracked.checked;
    if (unchecked > 0 && (closed || unchecked >= tracked.checked)) this.check(id, tracked.run.slice());
  }

  /** Replays `events` (loaded from the store when undefined) in the background. */
  private check(id: string, events: HistoryEvent[] | undefined): void {
    if (this.failures.has(id)) return;
    const tracked = this.tracked.get(id);
    if (events && tracked?.run && events[0] === tracked.run[0]) tracked.checked = events.length;
    const replay = this.replay(id, events).finally(() => this.running.delete(replay));
    this.running.add(replay);
  }

  private async replay(id: string, snapshot: HistoryEvent[] | undefined): Promise<void> {
    try {
      const events = snapshot ?? (await this.loadAtRest(id));
      const name = events?.[0]?.type === "ExecutionStarted" ? events[0].name : undefined;
      const definition = name === undefined ? undefined : this.workflows.get(name);
      if (!events || !definition) return; // not a workflow of this engine: its turns fail on their own
      await replayHistory(definition, events);
    } catch (error) {
      // Only a divergence is this check's to report. A store or history problem is the engine's: its turns meet
      // the same problem and report it themselves.
      if (error instanceof NonDeterminismError && !this.failures.has(id)) this.failures.set(id, annotate(id, error));
    }
  }

  /**
   * The run of an execution written around this engine (created before it, or edited in the store), read in one
   * page while it is at rest; it becomes the copy later appends extend. Undefined when it is not at rest or long.
   */
  private async loadAtRest(id: string): Promise<HistoryEvent[] | undefined> {
    const page = await this.store?.load(id);
    if (!page || page.more || page.events.length !== page.record.version) return undefined;
    if (page.record.status !== "suspended" && !CLOSED_STATUSES.has(page.record.status)) return undefined;
    const events = checkHistory(id, page.events);
    const tracked = this.tracked.get(id);
    if (tracked && !tracked.run) Object.assign(tracked, { run: events.slice(), atRest: events.length, checked: events.length });
    return events;
  }
}

function annotate(id: string, error: NonDeterminismError): NonDeterminismError {
  return new NonDeterminismError(
    `${error.message}\nFound by the test engine's cold-replay check: replayed from its first event with a fresh ` +
      `generator, as a cold turn in production would be, execution '${id}' took another path than when its events ` +
      `were recorded. Read Math.random(), Date.now(), I/O and mutable module state only inside a step, or use ` +
      `random(), now() and uuid(). createTestEngine({ checkReplay: false }) turns the check off.`,
    {
      executionId: error.executionId ?? id,
      ...(error.operation === undefined ? {} : { operation: error.operation }),
      cause: error,
    },
  );
}
