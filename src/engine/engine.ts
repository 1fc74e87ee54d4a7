// createEngine(): the public face of Spindle. It starts executions, delivers events and cancellations to their
// inboxes, runs turns (one at a time per execution in this process), schedules wake-ups on its clock when driven
// in-process, and answers describe/history/list/result.
import { encodeValue } from "../core/codec.js";
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import type { HistoryEvent } from "../core/history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "../core/history.js";
import type { Environment, InboxItem } from "../core/replayer.js";
import {
  ConcurrencyError,
  ExecutionClosedError,
  IdempotencyConflictError,
  ValidationError,
  WorkflowNotFoundError,
} from "../errors.js";
import type { ExecutionRecord, ExecutionStatus, HistoryStore, ListQuery } from "../store/history-store.js";
import { CLOSED_STATUSES, newExecution } from "../store/history-store.js";
import type { AnyWorkflow, WorkflowOutput, WorkflowStartInput } from "../workflow.js";
import { WarmCache } from "./cache.js";
import { settleCallback } from "./callbacks.js";
import { checkReason, isPermanent } from "./checks.js";
import { createChild, forChildren, notifyParent } from "./children.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { EngineContext } from "./context.js";
import type { ExecutionDescription } from "./describe.js";
import { describeRecord, outcomeOf } from "./describe.js";
import { ulidFactory } from "./ids.js";
import type { Logger } from "./log.js";
import { consoleLogger } from "./log.js";
import { TurnSlots } from "./slots.js";
import type { Session, StepFunction, TurnDeps, TurnOptions, TurnResult } from "./turn.js";
import { loadHistory, notFound, runTurn } from "./turn.js";

export type { ExecutionDescription } from "./describe.js";
export { describeRecord } from "./describe.js";

/** Options of `createEngine`. */
export interface EngineOptions {
  /** Where executions live: `new MemoryStore()`, `new DynamoDBStore(...)`, or your own HistoryStore. */
  store: HistoryStore;
  /** Every workflow this engine may run. Executions of other workflows fail with WorkflowNotFoundError. */
  workflows: readonly AnyWorkflow[];
  /** Time source and timers. Default: the system clock. */
  clock?: Clock;
  /**
   * `"in-process"` (default): the engine runs turns itself after start, sendEvent and cancel, and sets timers for
   * wake-ups. `"external"`: it runs turns only when `resume`/`resumeDue` are called (Lambda, cron, queues).
   */
  mode?: "in-process" | "external";
  /** Default: JSON lines on the console. */
  logger?: Logger;
  /**
   * Turns this process runs at once, across executions; more wait their turn. Default 128. Bounding them keeps
   * memory flat when thousands of executions are due together. A step that waits for another execution's result
   * holds its slot meanwhile, so keep this above the number of such steps that can wait at once.
   */
  maxConcurrentTurns?: number;
  /** Suspended generators kept warm in this process. Default 1,000; 0 disables the cache. */
  cacheSize?: number;
  /** Warn once per execution when its history reaches this many events. Default 10,000. */
  historyWarningThreshold?: number;
  /** A turn that has not written for this long is presumed dead and others may resume the execution. Default 5 min. */
  staleTurnTimeout?: Duration;
  /**
   * In-process mode: also run `resumeDue` this often, so executions written by other processes, or left behind by a
   * process that stopped, wake up here. Default: off (call `resumeDue` yourself at start-up).
   */
  pollInterval?: Duration;
  /** Random numbers for `random()`. Default Math.random. */
  random?: () => number;
  /** UUIDs for `uuid()`. Default crypto.randomUUID. */
  uuid?: () => string;
}

/** Options of `start`. */
export interface StartOptions {
  /** The execution id; starting twice with one id is idempotent. Default: a new ULID. */
  id?: string;
}

/** Options of `sendEvent`. */
export interface SendEventOptions {
  /** Deduplicates deliveries: the same key with the same event is accepted once; with another, a conflict. */
  idempotencyKey?: string;
}

/** A started execution. */
export interface RunHandle<O = unknown> {
  id: string;
  runId: string;
  workflow: string;
  /** True when this start created the execution, false when it already existed. */
  created: boolean;
  /** Waits for the execution to end: its result, or its error (CancelledError when cancelled). */
  result(): Promise<O>;
}

/** Outcome of `resumeDue`. */
export interface ResumeDueResult {
  /** Executions this call ran a turn of. */
  resumed: number;
  /** Executions left alone because another process's turn holds them (see TurnResult.busyUntil). */
  busy: number;
  failed: { id: string; error: unknown }[];
  /** Due executions not started because the deadline came (they stay due for the next call). */
  left: number;
}

/** Options of `resume`. */
export interface ResumeOptions {
  /**
   * The turn starts no new step after this time (epoch ms or a Date, on the engine's clock) and stops waiting for
   * running ones: it writes what it has and returns `outOfTime`, the execution due again at once. For a Lambda
   * invocation: its remaining time minus a safety margin.
   */
  deadline?: number | Date;
  /** Wait in the turn for a timer due this soon (and before the deadline) instead of suspending. Default: none. */
  maxWait?: Duration;
}

/** Options of `resumeDue`. */
export interface ResumeDueOptions {
  /** Most executions to resume in this call. Default 100. */
  limit?: number;
  /** Turns run at once. Default 10. */
  concurrency?: number;
  /** No turn starts after this time, and running turns stop at it (see `ResumeOptions.deadline`). */
  deadline?: number | Date;
}

/** One turn as `onTurn` listeners see it: one per turn, never for replayed work. */
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
}

interface ActiveTurns {
  again: boolean;
  inboxChanged: boolean;
  /** Set while the turn waits for running steps: wakes it for new inbox items. */
  notify?: () => void;
  done: Promise<TurnResult>;
}

type Watcher = { resolve: (record: ExecutionRecord) => void; reject: (error: unknown) => void };

const RETRIES_ON_CONFLICT = 8;
/** Fresh turns tried after a turn lost a race, before the ConcurrencyError reaches the caller. */
const TURN_RETRIES_ON_CONFLICT = 2;

/**
 * The engine. Create one per process with `createEngine`.
 *
 * @example
 * ```ts
 * const engine: Engine = createEngine({ store: new MemoryStore(), workflows: [order] });
 * ```
 */
export class Engine {
  readonly store: HistoryStore;
  readonly clock: Clock;
  readonly mode: "in-process" | "external";
  private readonly logger: Logger;
  private readonly workflows = new Map<string, AnyWorkflow>();
  private readonly cache: WarmCache<Session>;
  private readonly deps: TurnDeps;
  private readonly active = new Map<string, ActiveTurns>();
  /** Background work other than turns (polls), awaited by idle(). */
  private readonly background = new Set<Promise<unknown>>();
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly failures = new Map<string, unknown>();
  /** Background turns that failed in a row, per execution (backoff of their retries). */
  private readonly retries = new Map<string, number>();
  private readonly timedSteps = { running: 0 };
  private readonly turnListeners = new Set<(report: TurnReport) => void>();
  private readonly slots: TurnSlots;
  /** The narrow view the engine's helpers get. */
  private readonly context: EngineContext;
  private readonly ulid = ulidFactory();
  private closed = false;
  private stopPolling: (() => void) | undefined;

  /** @internal use createEngine */
  constructor(options: EngineOptions, internals: { stepOverride?: (name: string) => StepFunction | undefined } = {}) {
    if (!options || typeof options.store?.append !== "function") {
      throw new ValidationError("createEngine({ store, workflows }): `store` must be a HistoryStore, e.g. new MemoryStore().");
    }
    if (!Array.isArray(options.workflows)) {
      throw new ValidationError("createEngine({ store, workflows }): `workflows` must be an array of workflow() definitions.");
    }
    for (const definition of options.workflows) {
      if (typeof definition?.name !== "string" || typeof definition.body !== "function") {
        throw new ValidationError("createEngine: every entry of `workflows` must come from workflow(name, options, body).");
      }
      if (this.workflows.has(definition.name) && this.workflows.get(definition.name) !== definition) {
        throw new ValidationError(`createEngine: two workflows are named '${definition.name}'; names must be unique.`);
      }
      this.workflows.set(definition.name, definition);
    }
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.mode = options.mode ?? "in-process";
    this.logger = options.logger ?? consoleLogger;
    this.cache = new WarmCache(options.cacheSize ?? 1000);
    const maxTurns = options.maxConcurrentTurns ?? 128;
    if (!Number.isInteger(maxTurns) || maxTurns < 1) {
      throw new ValidationError(`createEngine: maxConcurrentTurns must be a whole number of at least 1, got ${maxTurns}.`);
    }
    this.slots = new TurnSlots(maxTurns);
    const engine = this;
    this.context = {
      store: this.store,
      clock: this.clock,
      ulid: () => this.ulid(),
      lookup: (name, executionId) => this.lookup(name, executionId),
      history: (id) => engine.history(id),
      inboxChanged: (id) => this.inboxChanged(id),
      kick: (id) => this.kick(id),
    };
    const clock = this.clock;
    const env: Environment = {
      now: () => clock.now(),
      random: options.random ?? Math.random,
      uuid: options.uuid ?? (() => globalThis.crypto.randomUUID()),
    };
    this.deps = {
      store: this.store,
      clock,
      env,
      logger: this.logger,
      cache: this.cache,
      workflow: (name, executionId) => this.lookup(name, executionId),
      staleTurnMs: toMillis(options.staleTurnTimeout ?? "5m", "staleTurnTimeout"),
      historyWarningThreshold: options.historyWarningThreshold ?? 10_000,
      takeInboxSignal: (id) => {
        const active = this.active.get(id);
        if (!active?.inboxChanged) return false;
        active.inboxChanged = false;
        return true;
      },
      timedSteps: this.timedSteps,
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
      onInboxSignal: (id, callback) => {
        const active = this.active.get(id);
        if (!active) return () => {};
        active.notify = callback;
        return () => {
          if (active.notify === callback) active.notify = undefined;
        };
      },
      newRunId: () => this.ulid(),
      leaseOwner: this.ulid(),
      startChild: (request) => createChild(this.context, request),
      notifyParent: (record) => notifyParent(this.context, record),
      ensureChildReported: async (childId) => {
        const child = await this.store.get(childId);
        if (child && CLOSED_STATUSES.has(child.status) && child.parent) await notifyParent(this.context, child);
      },
      ...(internals.stepOverride ? { stepOverride: internals.stepOverride } : {}),
    };
    if (options.pollInterval !== undefined && this.mode === "in-process") {
      const interval = toMillis(options.pollInterval, "pollInterval");
      if (interval < 100) throw new ValidationError(`createEngine: pollInterval must be at least 100 ms, got ${interval} ms.`);
      this.poll(interval);
    }
  }

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
  async start<W extends AnyWorkflow | string>(
    workflow: W,
    input: W extends AnyWorkflow ? WorkflowStartInput<W> : unknown,
    options: StartOptions = {},
  ): Promise<RunHandle<W extends AnyWorkflow ? WorkflowOutput<W> : unknown>> {
    const name = typeof workflow === "string" ? workflow : (workflow as AnyWorkflow)?.name;
    if (typeof name !== "string") {
      throw new ValidationError("start(workflow, input, options): pass a workflow() definition or its registered name.");
    }
    const id = (options ?? {}).id ?? this.ulid();
    if (typeof id !== "string" || id === "") {
      throw new ValidationError(`start: the execution id must be a non-empty string, got ${JSON.stringify(id)}.`);
    }
    const definition = this.lookup(name, id);
    if (typeof workflow !== "string" && workflow !== definition) {
      throw new WorkflowNotFoundError(
        `start('${name}', id '${id}'): this workflow object is not the one registered under '${name}'. ` +
          `Pass the definition given to createEngine({ workflows }).`,
        { executionId: id },
      );
    }
    let value: unknown = input;
    if (definition.inputSchema) {
      const parsed = definition.inputSchema.safeParse(input);
      if (!parsed.success) {
        throw new ValidationError(
          `start('${name}', id '${id}'): the input does not match the workflow's input schema: ` +
            `${JSON.stringify(parsed.error.issues)}. Nothing was recorded; fix the input and start again.`,
          { executionId: id, operation: "start", issues: parsed.error.issues },
        );
      }
      value = parsed.data;
    }
    const encoded = encodeValue(value, {
      executionId: id,
      operation: `the input of workflow '${name}'`,
      limit: this.store.limits.maxValueBytes,
    });
    const execution = newExecution({
      id,
      workflow: name,
      runId: this.ulid(),
      at: this.clock.now(),
      ...(encoded === undefined ? {} : { input: encoded }),
    });
    const outcome = await this.store.create(execution);
    if (!outcome.created && (outcome.record.workflow !== name || outcome.record.input !== encoded)) {
      throw new IdempotencyConflictError(
        `start('${name}', id '${id}'): an execution with this id already exists with ` +
          `${outcome.record.workflow !== name ? `workflow '${outcome.record.workflow}'` : "another input"}. ` +
          `Use a new id for a new execution, or the same input to get the existing one.`,
        { executionId: id, operation: "start" },
      );
    }
    // Kick a repeated start too: the first may have crashed between creating the execution and its first turn.
    if (!CLOSED_STATUSES.has(outcome.record.status)) this.kick(id);
    return this.handleFor(outcome.record, outcome.created) as RunHandle<never>;
  }

  /**
   * A handle on an existing execution, to await its result.
   *
   * @example
   * ```ts
   * const result = await (await engine.handle("order-o-1")).result();
   * ```
   * @throws ExecutionNotFoundError
   */
  async handle<O = unknown>(id: string): Promise<RunHandle<O>> {
    return this.handleFor(await this.getRecord(id), false) as RunHandle<O>;
  }

  /**
   * Sends an event to an execution's inbox. Waits that are pending or come later receive events in order, each once.
   *
   * @example
   * ```ts
   * await engine.sendEvent("order-o-1", "paid", { ref: "r-9" }, { idempotencyKey: "stripe-evt-1" });
   * ```
   * @returns `duplicate: true` when this idempotency key was delivered before (nothing new stored).
   * @throws ExecutionNotFoundError, ExecutionClosedError, ValidationError (payload fails the declared schema, or the
   * workflow declares events and not this one), IdempotencyConflictError (key reused with another event).
   */
  async sendEvent(id: string, name: string, payload?: unknown, options: SendEventOptions = {}): Promise<{ duplicate: boolean }> {
    if (typeof name !== "string" || name === "") {
      throw new ValidationError(`sendEvent('${id}'): the event name must be a non-empty string.`, { executionId: id });
    }
    const key = (options ?? {}).idempotencyKey;
    if (key !== undefined && (typeof key !== "string" || key === "" || key.length > 512)) {
      throw new ValidationError(
        `sendEvent('${id}', '${name}'): idempotencyKey must be a non-empty string of at most 512 characters.`,
        { executionId: id, operation: `event '${name}'` },
      );
    }
    // A closed execution is refused by the store's inbox write, after its duplicate check: a retried delivery of an
    // event accepted earlier is answered as a duplicate even once the execution has finished.
    const record = await this.getRecord(id);
    const definition = this.lookup(record.workflow, id);
    let value = payload;
    const schemas = definition.eventSchemas;
    if (schemas) {
      const schema = Object.hasOwn(schemas, name) ? schemas[name] : undefined;
      if (!schema) {
        throw new ValidationError(
          `sendEvent('${id}', '${name}'): workflow '${definition.name}' declares no event '${name}' ` +
            `(it declares: ${Object.keys(schemas).join(", ") || "none"}). Nothing was stored; check the name.`,
          { executionId: id, operation: `event '${name}'` },
        );
      }
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        throw new ValidationError(
          `sendEvent('${id}', '${name}'): the payload does not match the event's schema: ` +
            `${JSON.stringify(parsed.error.issues)}. Nothing was stored; fix the payload and send again.`,
          { executionId: id, operation: `event '${name}'`, issues: parsed.error.issues },
        );
      }
      value = parsed.data;
    }
    const encoded = encodeValue(value, {
      executionId: id,
      operation: `the payload of event '${name}'`,
      limit: this.store.limits.maxValueBytes,
    });
    const item: InboxItem = {
      id: this.ulid(),
      key: `event:${key ?? this.ulid()}`,
      type: "event",
      name,
      at: this.clock.now(),
      ...(encoded === undefined ? {} : { payload: encoded }),
    };
    const written = await this.store.writeInbox(id, item);
    switch (written.status) {
      case "not-found":
        throw notFound(id);
      case "closed":
        throw this.closedError(written.record, `event '${name}'`);
      case "duplicate":
        if (written.existing.name !== name || written.existing.payload !== encoded) {
          throw new IdempotencyConflictError(
            `sendEvent('${id}', '${name}'): idempotency key '${key}' was already used for ` +
              `${written.existing.name === name ? "another payload" : `event '${written.existing.name}'`}. ` +
              `Nothing was stored; use a new key for a new event.`,
            { executionId: id, operation: `event '${name}'` },
          );
        }
        return { duplicate: true };
      case "written":
        this.inboxChanged(id);
        return { duplicate: false };
    }
  }

  /**
   * Completes a callback with a value: the workflow's `callback(...)` returns it. Resolves to the execution the
   * token belongs to (to resume it at once in external mode).
   *
   * @example
   * ```ts
   * await engine.completeCallback(token, { approved: true });
   * ```
   * @throws CallbackNotFoundError (unknown, already used or expired token), ValidationError (the value fails the
   * workflow's declared `callbacks` schema; nothing stored).
   */
  async completeCallback(token: string, value?: unknown): Promise<{ executionId: string }> {
    return settleCallback(this.context, token, { value });
  }

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
  async failCallback(
    token: string,
    error: Error | { name?: string; message: string; code?: string } | string,
  ): Promise<{ executionId: string }> {
    return settleCallback(this.context, token, { error });
  }

  /**
   * Cancels an execution: a CancelledError surfaces at its current (or next) operation; `catch`/`finally` blocks may
   * run compensation steps; rethrowing ends it as `cancelled`. Cancelling a cancelled execution does nothing.
   *
   * @example
   * ```ts
   * await engine.cancel("order-o-1", "customer changed their mind");
   * ```
   * @throws ExecutionNotFoundError, ExecutionClosedError (it already completed or failed).
   */
  async cancel(id: string, reason?: string): Promise<void> {
    checkReason("cancel", id, reason);
    const record = await this.getRecord(id);
    if (record.status === "cancelled" || record.status === "terminated") return;
    if (CLOSED_STATUSES.has(record.status)) throw this.closedError(record, "cancel");
    const item: InboxItem = {
      id: this.ulid(),
      // One cancellation per run: a run that caught one and continued as new can be cancelled again.
      key: `cancel:${record.runId}`,
      type: "cancel",
      name: "cancel",
      at: this.clock.now(),
      ...(reason === undefined ? {} : { payload: String(reason) }),
    };
    const written = await this.store.writeInbox(id, item);
    if (written.status === "not-found") throw notFound(id);
    if (written.status === "closed") {
      if (written.record.status === "cancelled" || written.record.status === "terminated") return;
      throw this.closedError(written.record, "cancel");
    }
    if (written.status === "written") this.inboxChanged(id);
    await forChildren(this.context, id, (childId) => this.cancel(childId, reason));
  }

  /**
   * Ends an execution at once, running no more workflow code (no compensation). Terminating a cancelled or
   * terminated execution does nothing.
   *
   * @example
   * ```ts
   * await engine.terminate("order-o-1", "stuck after a bad deploy");
   * ```
   * @throws ExecutionNotFoundError, ExecutionClosedError (it already completed or failed).
   */
  async terminate(id: string, reason?: string): Promise<void> {
    checkReason("terminate", id, reason);
    for (let attempt = 1; ; attempt++) {
      const record = await this.getRecord(id);
      if (record.status === "cancelled" || record.status === "terminated") return;
      if (CLOSED_STATUSES.has(record.status)) throw this.closedError(record, "terminate");
      const now = this.clock.now();
      const event: HistoryEvent = {
        v: HISTORY_VERSION,
        seq: record.version + 1,
        type: "ExecutionCancelled",
        opId: EXECUTION_OP,
        kind: "execution",
        name: record.workflow,
        at: now,
        terminated: true,
        ...(reason === undefined ? {} : { reason: String(reason) }),
      };
      try {
        const updated = await this.store.append(id, {
          runId: record.runId,
          expectedVersion: record.version,
          events: [event],
          consumeInbox: [],
          update: { status: "terminated", waitingFor: [], wakeAt: null, inboxSeen: record.inboxSeq, updatedAt: now },
        });
        this.cache.drop(id);
        this.settled(updated);
        await forChildren(this.context, id, (childId) => this.terminate(childId, reason));
        if (updated.parent) await notifyParent(this.context, updated);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= RETRIES_ON_CONFLICT) throw error;
      }
    }
  }

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
  resume(id: string, options: ResumeOptions = {}): Promise<TurnResult> {
    return this.turns(id, turnOptions(options));
  }

  /**
   * Resumes every execution whose wake-up time has come or whose inbox has unread items (a scheduled tick).
   *
   * @example
   * ```ts
   * setInterval(() => engine.resumeDue(), 1000);
   * ```
   */
  async resumeDue(options: ResumeDueOptions = {}): Promise<ResumeDueResult> {
    const limit = options.limit ?? 100;
    const concurrency = options.concurrency ?? 10;
    for (const [what, value] of [["limit", limit], ["concurrency", concurrency]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new ValidationError(`resumeDue: ${what} must be a whole number of at least 1, got ${value}.`);
      }
    }
    const ids = await this.store.listDue(this.clock.now(), { limit });
    const result: ResumeDueResult = { resumed: 0, busy: 0, failed: [], left: 0 };
    const perTurn = turnOptions({ ...options, maxWait: 0 });
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        if (perTurn.deadline !== undefined && this.clock.now() >= perTurn.deadline) {
          result.left = ids.length - next;
          return;
        }
        const id = ids[next++]!;
        try {
          const turn = await this.turns(id, perTurn);
          if (turn.busyUntil === undefined) result.resumed++;
          else result.busy++;
        } catch (error) {
          result.failed.push({ id, error });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return result;
  }

  /**
   * Describes an execution: status, result or error, custom status, what it waits for and when it wakes.
   *
   * @example
   * ```ts
   * const { status, customStatus, waitingFor } = await engine.describe("order-o-1");
   * ```
   * @throws ExecutionNotFoundError
   */
  async describe(id: string): Promise<ExecutionDescription> {
    return describeRecord(await this.getRecord(id));
  }

  /**
   * The recorded events of the execution's current run (validated copies).
   *
   * @example
   * ```ts
   * console.log(formatTimeline(await engine.history("order-o-1")));
   * ```
   * @throws ExecutionNotFoundError, HistoryCorruptedError
   */
  async history(id: string): Promise<HistoryEvent[]> {
    const page = await this.store.load(id);
    if (!page) throw notFound(id);
    return structuredClone(await loadHistory(this.store, id, page));
  }

  /**
   * Lists executions, newest first, by status and workflow.
   *
   * @example
   * ```ts
   * const { executions, cursor } = await engine.list({ status: "suspended", workflow: "order" });
   * ```
   */
  async list(query: ListQuery = {}): Promise<{ executions: ExecutionDescription[]; cursor?: string }> {
    const page = await this.store.list(query);
    return { executions: page.records.map(describeRecord), ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /**
   * Waits for an execution to end and returns its result (or throws its error).
   *
   * @example
   * ```ts
   * const output = await engine.result("order-o-1");
   * ```
   * @throws the workflow's error; CancelledError when cancelled or terminated; ExecutionNotFoundError.
   */
  async result(id: string): Promise<unknown> {
    const record = await this.getRecord(id);
    if (CLOSED_STATUSES.has(record.status)) return outcomeOf(record);
    const closed = await new Promise<ExecutionRecord>((resolve, reject) => {
      let watchers = this.watchers.get(id);
      if (!watchers) this.watchers.set(id, (watchers = new Set()));
      watchers.add({ resolve, reject });
      // It may have closed between the read above and registering.
      this.getRecord(id).then((fresh) => CLOSED_STATUSES.has(fresh.status) && this.settled(fresh), reject);
    });
    return outcomeOf(closed);
  }

  /**
   * Resolves when no turn is running in this process.
   *
   * @example
   * ```ts
   * await engine.idle();
   * ```
   */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.background.size > 0) {
      await Promise.allSettled([...[...this.active.values()].map((active) => active.done), ...this.background]);
    }
  }

  /**
   * Stops scheduling wake-ups and waits for running turns. Executions stay in the store, ready to resume.
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => engine.close());
   * ```
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling?.();
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    await this.idle();
  }

  /** Turns running in this process, and how many of them are inside a step attempt that has a timeout. */
  get activity(): { turns: number; timedSteps: number } {
    return { turns: this.active.size, timedSteps: this.timedSteps.running };
  }

  /** The error of the execution's last turn in this process, when that turn failed (not by losing a race). */
  turnFailure(id: string): unknown {
    return this.failures.get(id);
  }

  // --- internals ------------------------------------------------------------------------------------------------

  private poll(intervalMs: number): void {
    const tick = () => {
      if (this.closed) return;
      const polled = this.resumeDue()
        .then((result) => {
          for (const { id, error } of result.failed) this.backgroundFailure(id, error);
        })
        .catch((error: unknown) => this.logger.error(`resumeDue failed: ${(error as Error)?.message ?? error}`))
        .finally(() => {
          this.background.delete(polled);
          if (!this.closed) this.stopPolling = this.clock.setTimer(this.clock.now() + intervalMs, tick);
        });
      this.background.add(polled);
    };
    this.stopPolling = this.clock.setTimer(this.clock.now() + intervalMs, tick);
  }

  private lookup(name: string, executionId: string): AnyWorkflow {
    const definition = this.workflows.get(name);
    if (definition) return definition;
    throw new WorkflowNotFoundError(
      `Workflow '${name}' (execution '${executionId}') is not registered with this engine. Add it to ` +
        `createEngine({ workflows: [...] }); registered: ${[...this.workflows.keys()].join(", ") || "none"}.`,
      { executionId },
    );
  }

  private async getRecord(id: string): Promise<ExecutionRecord> {
    const record = await this.store.get(id);
    if (!record) throw notFound(id);
    return record;
  }

  private handleFor(record: ExecutionRecord, created: boolean): RunHandle {
    return {
      id: record.id,
      runId: record.runId,
      workflow: record.workflow,
      created,
      result: () => this.result(record.id),
    };
  }

  private closedError(record: ExecutionRecord, what: string): ExecutionClosedError {
    return new ExecutionClosedError(
      `Execution '${record.id}' is ${record.status}; it accepts no ${what}. Nothing was stored. Start a new ` +
        `execution if there is more to do.`,
      { executionId: record.id, operation: what },
    );
  }

  private inboxChanged(id: string): void {
    const active = this.active.get(id);
    if (active) {
      active.inboxChanged = true;
      active.notify?.();
    }
    this.kick(id);
  }

  /** In-process mode: run turns for this execution in the background. */
  private kick(id: string): void {
    if (this.mode !== "in-process" || this.closed) return;
    this.turns(id).catch((error: unknown) => this.backgroundFailure(id, error));
  }

  /**
   * Calls `listener` after every turn this engine runs (one line of a turn log, metrics). Returns an unsubscribe.
   *
   * @example
   * ```ts
   * engine.onTurn((turn) => console.log(JSON.stringify({ msg: "turn", ...turn, error: undefined })));
   * ```
   */
  onTurn(listener: (report: TurnReport) => void): () => void {
    this.turnListeners.add(listener);
    return () => this.turnListeners.delete(listener);
  }

  /** Runs turns one at a time per execution; a request during a turn runs one more turn after it. */
  private turns(id: string, options: TurnOptions = {}): Promise<TurnResult> {
    const running = this.active.get(id);
    if (running) {
      running.again = true;
      return running.done;
    }
    const active: ActiveTurns = { again: true, inboxChanged: false, done: undefined as never };
    this.active.set(id, active);
    active.done = (async () => {
      await this.slots.acquire();
      try {
        let last: TurnResult | undefined;
        while (active.again) {
          active.again = false;
          last = await this.turnOnce(id, options);
        }
        return last!;
      } finally {
        this.slots.release();
        this.active.delete(id);
      }
    })();
    return active.done;
  }

  private async turnOnce(id: string, options: TurnOptions, conflicts = 0): Promise<TurnResult> {
    let result: TurnResult;
    const startedAt = performance.now();
    try {
      result = await runTurn(this.deps, id, options);
    } catch (error) {
      this.cache.drop(id);
      // Another writer moved the execution on under this turn: a fresh turn continues from what is stored (it finds
      // the other turn's lease, or the work done).
      if (error instanceof ConcurrencyError && conflicts < TURN_RETRIES_ON_CONFLICT) return this.turnOnce(id, options, conflicts + 1);
      this.report(id, startedAt, undefined, error);
      if (isPermanent(error)) {
        // Retrying cannot help: waiters learn of it, and the execution waits for a fix (a deploy, a terminate).
        this.failures.set(id, error);
        this.rejectWatchers(id, error);
      }
      throw error;
    }
    this.report(id, startedAt, result);
    if (result.busyUntil !== undefined) {
      // Another process runs it now; look again when its lease runs out, in case that process dies.
      this.scheduleWake(id, result.busyUntil);
      return result;
    }
    this.failures.delete(id);
    this.retries.delete(id);
    if (CLOSED_STATUSES.has(result.status)) {
      this.cancelTimer(id);
      this.settledById(id);
    } else if (result.status === "running") {
      this.kick(id); // more to do now (a continueAsNew started the next run)
    } else if (result.wakeAt !== undefined) {
      this.scheduleWake(id, result.wakeAt);
    } else {
      this.cancelTimer(id);
    }
    return result;
  }

  private report(id: string, startedAt: number, result: TurnResult | undefined, error?: unknown): void {
    if (this.turnListeners.size === 0) return;
    const report: TurnReport = {
      executionId: id,
      outcome: result === undefined ? "failed" : result.busyUntil !== undefined ? "busy" : result.status,
      appended: result?.appended ?? 0,
      replayed: result?.replayed ?? false,
      outOfTime: result?.outOfTime ?? false,
      durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
    };
    if (result) report.workflow = result.workflow;
    if (error !== undefined) report.error = error;
    for (const listener of this.turnListeners) {
      try {
        listener(report);
      } catch (failure) {
        this.logger.error(`An onTurn listener threw: ${(failure as Error)?.message ?? failure}`, { executionId: id });
      }
    }
  }

  private backgroundFailure(id: string, error: unknown): void {
    if (error instanceof ConcurrencyError) {
      // Another writer (a terminate, another process) moved the execution on: look again from the stored state.
      this.kick(id);
      return;
    }
    const permanent = isPermanent(error);
    this.logger.error(`Turn of execution '${id}' failed: ${(error as Error)?.message ?? String(error)}`, {
      executionId: id,
      code: (error as { code?: string })?.code,
      retrying: !permanent,
    });
    if (permanent) return;
    // A store hiccup or an engine bug: try again later, backing off, so the execution is not left behind.
    const attempt = (this.retries.get(id) ?? 0) + 1;
    this.retries.set(id, attempt);
    this.scheduleWake(id, this.clock.now() + Math.min(1000 * 2 ** (attempt - 1), 60_000));
  }

  private scheduleWake(id: string, at: number): void {
    if (this.mode !== "in-process" || this.closed) return;
    const existing = this.timers.get(id);
    if (existing?.at === at) return;
    existing?.cancel();
    // The entry exists before the timer is armed, whatever the clock does.
    const entry = { at, cancel: () => {} };
    this.timers.set(id, entry);
    entry.cancel = this.clock.setTimer(at, () => {
      if (this.timers.get(id) === entry) this.timers.delete(id);
      this.kick(id);
    });
  }

  private cancelTimer(id: string): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
  }

  private settledById(id: string): void {
    if (!this.watchers.has(id)) return;
    this.getRecord(id).then(
      (record) => this.settled(record),
      (error: unknown) => this.rejectWatchers(id, error),
    );
  }

  private settled(record: ExecutionRecord): void {
    if (!CLOSED_STATUSES.has(record.status)) return;
    this.cancelTimer(record.id);
    const watchers = this.watchers.get(record.id);
    if (!watchers) return;
    this.watchers.delete(record.id);
    for (const watcher of watchers) watcher.resolve(record);
  }

  private rejectWatchers(id: string, error: unknown): void {
    const watchers = this.watchers.get(id);
    if (!watchers) return;
    this.watchers.delete(id);
    for (const watcher of watchers) watcher.reject(error);
  }
}

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
export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}

function turnOptions(options: { deadline?: number | Date; maxWait?: Duration }): TurnOptions {
  const result: TurnOptions = {};
  const { deadline, maxWait } = options;
  if (deadline !== undefined) {
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    if (!Number.isFinite(at)) throw new ValidationError(`resume: deadline must be a valid time, got ${String(deadline)}.`);
    result.deadline = at;
  }
  if (maxWait !== undefined) result.maxWaitMs = toMillis(maxWait, "maxWait");
  return result;
}
