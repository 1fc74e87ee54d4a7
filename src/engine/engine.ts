// createEngine(): the class behind the public Engine interface (api.ts). It starts executions, answers
// describe/history/list/result, and wires the parts together: turns (turn.ts) run on the in-process scheduler
// (scheduler.ts), events and cancellations go through inbox.ts, callbacks through callbacks.ts.
import type { HistoryEvent } from "../core/history.js";
import type { Environment } from "../core/replayer.js";
import { ExecutionClosedError } from "../errors.js";
import type { ExecutionRecord, HistoryStore, ListQuery } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow, WorkflowOutput, WorkflowStartInput } from "../workflow.js";
import type {
  Engine as EngineApi,
  RedriveResult,
  ResumeDueOptions,
  ResumeDueResult,
  ResumeOptions,
  RunHandle,
  SendEventOptions,
  StartOptions,
  TurnReport,
} from "./api.js";
import type { CompleteCallbackArgs, ExecutionArgs, SendEventArgs, StopResult } from "./api-types.js";
import { WarmCache } from "./cache.js";
import { settleCallback } from "./callbacks.js";
import { createChild, notifyParent } from "./children.js";
import type { Clock } from "./clock.js";
import { drainDue } from "./drain.js";
import type { ExecutionDescription } from "./describe.js";
import { describeRecord, outcomeOf } from "./describe.js";
import { ulidFactory } from "./ids.js";
import type { InboxHost } from "./inbox.js";
import type { TracingDeps } from "./tracing.js";
import { cancel, sendEvent, terminate } from "./inbox.js";
import type { Logger } from "./log.js";
import type { EngineOptions, WorkflowRegistry } from "./options.js";
import { engineSettings, turnOptions } from "./options.js";
import { redrive } from "./redrive.js";
import { checkCreated, newExecutionFor } from "./start.js";
import { Scheduler } from "./scheduler.js";
import type { ScheduleRuntime } from "../schedules/runtime.js";
import { scheduleRuntime } from "../schedules/runtime.js";
import { SCHEDULE_WORKFLOW } from "../schedules/state.js";
import type { Session } from "./session.js";
import type { StepFunction, TurnDeps, TurnOptions, TurnResult } from "./turn.js";
import { loadHistory, notFound, runTurn } from "./turn.js";
import { checkCallbackOf, namesWorkflow, recordOfWorkflow } from "./typed-calls.js";
import { checkSendEvent } from "./validate.js";

export type {
  RedriveResult,
  ResumeDueOptions,
  ResumeDueResult,
  ResumeOptions,
  RunHandle,
  SendEventOptions,
  StartOptions,
  TurnReport,
} from "./api.js";
export type { ExecutionDescription } from "./describe.js";
export { describeRecord } from "./describe.js";
export type { EngineOptions } from "./options.js";

/** Hooks for the test kit and white-box tests, not part of the public API. */
export interface EngineInternals {
  /** Replaces a step's function by name (mocks); called once just before each attempt. */
  stepOverride?: (name: string) => StepFunction | undefined;
}

class EngineImpl implements EngineApi {
  readonly store: HistoryStore;
  readonly clock: Clock;
  readonly mode: "in-process" | "external";
  private readonly logger: Logger;
  private readonly workflows: WorkflowRegistry;
  private readonly cache: WarmCache<Session>;
  private readonly deps: TurnDeps;
  private readonly scheduler: Scheduler;
  /** The narrow view the inbox, children and callbacks helpers get. */
  private readonly host: InboxHost;
  private readonly tracing: TracingDeps;
  private readonly ulid = ulidFactory();
  readonly schedules: ScheduleRuntime;

  constructor(options: EngineOptions, internals: EngineInternals = {}) {
    const settings = engineSettings(options);
    this.store = settings.store;
    this.clock = settings.clock;
    this.mode = settings.mode;
    this.logger = settings.logger;
    this.workflows = settings.workflows;
    this.tracing = { logger: this.logger, ...(settings.tracing === undefined ? {} : { tracing: settings.tracing }) };
    this.cache = new WarmCache(settings.cacheSize);
    this.scheduler = new Scheduler({
      mode: this.mode,
      clock: this.clock,
      logger: this.logger,
      maxConcurrentTurns: settings.maxConcurrentTurns,
      runTurn: (id, turnOptions) => runTurn(this.deps, id, turnOptions),
      dropWarm: (id) => this.cache.drop(id),
      getRecord: (id) => this.getRecord(id),
    });
    const scheduler = this.scheduler;
    this.host = {
      store: this.store,
      clock: this.clock,
      ulid: () => this.ulid(),
      lookup: (name, executionId) => this.workflows.lookup(name, executionId),
      history: (id) => this.history(id),
      inboxChanged: (id) => scheduler.inboxChanged(id),
      kick: (id) => scheduler.kick(id),
      getRecord: (id) => this.getRecord(id),
      dropWarm: (id) => this.cache.drop(id),
      settled: (record) => scheduler.settled(record),
      tracing: this.tracing,
    };
    const clock = this.clock;
    const env: Environment = { now: () => clock.now(), random: settings.random, uuid: settings.uuid };
    this.deps = {
      store: this.store,
      clock,
      env,
      logger: this.logger,
      cache: this.cache,
      workflow: (name, executionId) => this.workflows.lookup(name, executionId),
      staleTurnMs: settings.staleTurnMs,
      maxTurnFailures: settings.maxTurnFailures,
      historyWarningThreshold: settings.historyWarningThreshold,
      takeInboxSignal: (id) => scheduler.takeInboxSignal(id),
      timedSteps: scheduler.timedSteps,
      cancelChildren: async (childIds, reason) => {
        for (const childId of childIds) {
          try {
            await this.cancel(childId, reason.slice(0, 4096));
          } catch (error) {
            if (error instanceof ExecutionClosedError) continue;
            this.logger.error(`Could not cancel child execution '${childId}': ${(error as Error)?.message ?? error}`, {
              executionId: childId,
            });
          }
        }
      },
      onInboxSignal: (id, callback) => scheduler.onInboxSignal(id, callback),
      newRunId: () => this.ulid(),
      leaseOwner: this.ulid(),
      startChild: (request) => createChild(this.host, request),
      notifyParent: (record) => notifyParent(this.host, record),
      ensureChildReported: async (childId) => {
        const child = await this.store.get(childId);
        if (child && CLOSED_STATUSES.has(child.status) && child.parent) await notifyParent(this.host, child);
      },
      ...(internals.stepOverride ? { stepOverride: internals.stepOverride } : {}),
      ...(settings.tracing === undefined ? {} : { tracing: settings.tracing }),
    };
    if (settings.pollIntervalMs !== undefined) this.scheduler.poll(settings.pollIntervalMs, () => this.resumeDue());
    this.schedules = scheduleRuntime(
      {
        store: this.store,
        logger: this.logger,
        now: () => clock.now(),
        ulid: () => this.ulid(),
        start: async (workflow, input, id) => void (await this.start(workflow, input as never, { id })),
        cancel: (id, reason) => this.cancel(id, reason),
        terminate: (id, reason) => this.terminate(id, reason),
      },
      options.schedules ?? [],
      this.mode === "in-process"
        ? { setTimer: (at: number, callback: () => void) => clock.setTimer(at, callback), track: (work: Promise<unknown>) => scheduler.track(work) }
        : undefined,
    );
    this.schedules.checkWorkflows((name) => this.workflows.lookup(name, name));
    // In process, a buffered fire starts as soon as the run before it closes (without schedules, no turn reports).
    if (this.mode === "in-process" && this.schedules.definitions.length > 0) {
      scheduler.onTurn((report) => {
        if (CLOSED_STATUSES.has(report.outcome as never) && this.schedules.buffers(report.executionId)) void this.schedules.arm();
      });
    }
    void this.schedules.arm();
  }

  start<W extends AnyWorkflow | string>(
    workflow: W,
    input: W extends AnyWorkflow ? WorkflowStartInput<W> : unknown,
    options: StartOptions = {},
  ): Promise<RunHandle<W extends AnyWorkflow ? WorkflowOutput<W> : unknown>> {
    // Not an async function: its suspended frame would keep the whole new execution while the create is in flight.
    try {
      const execution = newExecutionFor(this.host, workflow, input, options);
      const { id, workflow: name, input: encoded } = execution.record;
      return Promise.resolve(this.store.create(execution)).then((outcome) => {
        checkCreated(outcome, id, name, encoded);
        // Kick a repeated start too: the first may have crashed between creating the execution and its first turn.
        if (!CLOSED_STATUSES.has(outcome.record.status)) this.scheduler.kick(id);
        return this.handleFor(outcome.record, outcome.created) as RunHandle<never>;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async handle<O = unknown>(...args: ExecutionArgs): Promise<RunHandle<O>> {
    // The typed form (workflow, id) checks the workflow first (typed-calls.ts).
    const record = namesWorkflow(args[0])
      ? await recordOfWorkflow(this.host, args[0], args[1] as string, "handle")
      : await this.getRecord(args[0] as string);
    return this.handleFor(record, false) as RunHandle<O>;
  }

  async sendEvent(...args: SendEventArgs): Promise<{ duplicate: boolean }> {
    // The typed form (workflow, id, name, payload, options) checks the workflow first (typed-calls.ts).
    if (namesWorkflow(args[0])) {
      const [workflow, id, name, payload, options = {}] = args as [AnyWorkflow, string, string, unknown, SendEventOptions?];
      checkSendEvent(id, name, options);
      await recordOfWorkflow(this.host, workflow, id, "sendEvent");
      return sendEvent(this.host, id, name, payload, options);
    }
    const [id, name, payload, options = {}] = args as [string, string, unknown, SendEventOptions?];
    return sendEvent(this.host, id, name, payload, options);
  }

  async completeCallback(...args: CompleteCallbackArgs): Promise<{ executionId: string }> {
    // The typed form (workflow, token, name, value) checks the workflow and the callback's name first (typed-calls.ts).
    if (namesWorkflow(args[0])) {
      const [workflow, token, name, value] = args as [AnyWorkflow, string, string, unknown?];
      await checkCallbackOf(this.host, workflow, token, name);
      return settleCallback(this.host, token, { value });
    }
    return settleCallback(this.host, args[0] as string, { value: args[1] });
  }

  async failCallback(
    token: string,
    error: Error | { name?: string; message: string; code?: string } | string,
  ): Promise<{ executionId: string }> {
    return settleCallback(this.host, token, { error });
  }

  cancel(id: string, reason?: string): Promise<StopResult> {
    return cancel(this.host, id, reason);
  }

  terminate(id: string, reason?: string): Promise<StopResult> {
    return terminate(this.host, id, reason);
  }

  redrive(id: string): Promise<RedriveResult> {
    return redrive(this.host, id);
  }

  resume(id: string, options: ResumeOptions = {}): Promise<TurnResult> {
    return this.scheduler.turns(id, turnOptions(options));
  }

  async resumeDue(options: ResumeDueOptions = {}): Promise<ResumeDueResult> {
    const scheduler = this.scheduler;
    const host = { store: this.store, clock: this.clock, logger: this.logger, turns: (id: string, turn: TurnOptions) => scheduler.turns(id, turn) };
    // Due schedules fire first (their runs are then due too), so the tick that drives resumeDue drives schedules.
    await this.schedules.tick();
    return drainDue(host, options ?? {});
  }

  async describe(id: string): Promise<ExecutionDescription> {
    return describeRecord(await this.getRecord(id));
  }

  async history(id: string): Promise<HistoryEvent[]> {
    const page = await this.store.load(id);
    if (!page) throw notFound(id);
    return structuredClone(await loadHistory(this.store, id, page));
  }

  async list(query: ListQuery = {}): Promise<{ executions: ExecutionDescription[]; cursor?: string }> {
    const page = await this.store.list(query);
    // Schedules' state records are the engine's own bookkeeping, not executions.
    const records = page.records.filter((record) => record.workflow !== SCHEDULE_WORKFLOW);
    return { executions: records.map(describeRecord), ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  result(...args: ExecutionArgs): Promise<unknown> {
    // The typed form (workflow, id) checks the workflow first (typed-calls.ts).
    if (namesWorkflow(args[0])) return this.typedResult(args[0], args[1] as string);
    // A caller that waits holds a watcher and a promise, nothing more; the record is read only when no turn of the
    // execution is queued or running here (Scheduler.waitForEnd).
    return this.scheduler.waitForEnd(args[0] as string, outcomeOf);
  }

  private async typedResult(workflow: AnyWorkflow, id: string): Promise<unknown> {
    const record = await recordOfWorkflow(this.host, workflow, id, "result");
    if (CLOSED_STATUSES.has(record.status)) return outcomeOf(record);
    return this.scheduler.waitForEnd(id, outcomeOf);
  }

  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  close(): Promise<void> {
    this.schedules.close();
    return this.scheduler.close();
  }

  onTurn(listener: (report: TurnReport) => void): () => void {
    return this.scheduler.onTurn(listener);
  }

  get activity(): { turns: number; timedSteps: number } {
    return this.scheduler.activity;
  }

  turnFailure(id: string): unknown {
    return this.scheduler.turnFailure(id);
  }

  private async getRecord(id: string): Promise<ExecutionRecord> {
    const record = await this.store.get(id);
    if (!record) throw notFound(id);
    return record;
  }

  private handleFor(record: ExecutionRecord, created: boolean): RunHandle {
    // The handle keeps the id, not the record: a caller may hold thousands of handles while their executions run.
    // A bound function, not an arrow: no closure context, and no property dictionary where names are kept (tsx). It
    // goes straight to the scheduler, as result(id) does.
    const result = this.scheduler.waitForEnd.bind(this.scheduler, record.id, outcomeOf) as () => Promise<unknown>;
    return { id: record.id, runId: record.runId, workflow: record.workflow, created, result };
  }
}

/** The public Engine interface (api.ts), for the modules that import the engine from here. */
export type Engine = EngineApi;

/**
 * The engine's constructor with its test hooks: `new Engine(options, { stepOverride })`. Internal: the test kit and
 * white-box tests use it; users call `createEngine`.
 * @internal
 */
export const Engine: new (options: EngineOptions, internals?: EngineInternals) => Engine = EngineImpl;

/**
 * Creates an engine over a store and a set of workflows.
 *
 * @example
 * ```ts
 * import { createEngine, MemoryStore } from "spindle";
 * const engine = createEngine({ store: new MemoryStore(), workflows: [order] });
 * const run = await engine.start(order, { orderId: "o-1", amount: 5 }, { id: "order-o-1" });
 * ```
 * @throws ValidationError for a missing store, a malformed workflow list or two workflows with one name.
 */
export function createEngine(options: EngineOptions): EngineApi {
  return new EngineImpl(options);
}
