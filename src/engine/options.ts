// The options of createEngine, resume and resumeDue, checked and turned into the settings the engine runs on, and the
// registry of workflows an engine may run.
import type { Duration } from "../core/duration.js";
import { toMillis } from "../core/duration.js";
import { ValidationError, WorkflowNotFoundError } from "../errors.js";
import type { HistoryStore } from "../store/history-store.js";
import type { Schedule } from "../schedules/definition.js";
import type { Tracing } from "../telemetry/span.js";
import type { AnyWorkflow } from "../workflow.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import type { Logger } from "./log.js";
import { consoleLogger } from "./log.js";
import type { TurnOptions } from "./turn.js";
import { DEFAULT_MAX_TURN_FAILURES } from "./turn-failures.js";

/**
 * Options of `createEngine`.
 *
 * @example
 * ```ts
 * const options: EngineOptions = { store: new MemoryStore(), workflows: [order], mode: "external", cacheSize: 0 };
 * const engine = createEngine(options);
 * ```
 */
export interface EngineOptions {
  /** Where executions live: `new MemoryStore()`, `new DynamoDBStore(...)`, or your own HistoryStore. */
  store: HistoryStore;
  /** Every workflow this engine may run. Executions of other workflows fail with WorkflowNotFoundError. */
  workflows: readonly AnyWorkflow[];
  /**
   * Schedules (from `schedule()`) this engine fires: in-process at each fire time, in external mode on every
   * `resumeDue` (so the Lambda tick fires them). Their workflows must be in `workflows`. See `engine.schedules`.
   */
  schedules?: readonly Schedule[];
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
   * Turns this process runs at once, across executions; more wait their turn, first come first served. Default 128.
   * Bounding them keeps memory flat when thousands of executions are due together. Past 16 running, more start once
   * per pass of the event loop: turns that wait for I/O (a store, a step's fetch) still reach this bound, while turns
   * that keep the CPU busy run 16 at a time instead of all keeping their state alive at once. A step that waits for
   * another execution's result holds its slot meanwhile, so keep this above the number of such steps that can wait
   * at once.
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
  /**
   * Turns of one execution that may fail in a row, for a reason a retry cannot fix (a NonDeterminismError, an
   * unregistered workflow, a corrupted history), before it becomes `stuck`: out of the due index until
   * `engine.redrive`. Between them it backs off (1 s, doubling, at most 15 min). Default 10. Needs a store with
   * `updateTurnFailures` (MemoryStore and DynamoDBStore have it).
   */
  maxTurnFailures?: number;
  /** Random numbers for `random()`. Default Math.random. */
  random?: () => number;
  /** UUIDs for `uuid()`. Default crypto.randomUUID. */
  uuid?: () => string;
  /**
   * Spans for every run, turn and operation, each emitted once, right after the write that ends it is acknowledged:
   * `otelTracing(tracer)` from `spindle/otel`, or any `Tracing`. Default: none (nothing is computed).
   */
  tracing?: Tracing;
}

/** EngineOptions checked, with every default filled in. */
export interface EngineSettings {
  store: HistoryStore;
  workflows: WorkflowRegistry;
  clock: Clock;
  mode: "in-process" | "external";
  logger: Logger;
  maxConcurrentTurns: number;
  cacheSize: number;
  historyWarningThreshold: number;
  staleTurnMs: number;
  maxTurnFailures: number;
  /** Undefined: no polling (external mode, or no pollInterval). */
  pollIntervalMs?: number;
  random: () => number;
  uuid: () => string;
  tracing?: Tracing;
}

/**
 * Checks createEngine's options and fills in the defaults.
 * @throws ValidationError for a missing store, a malformed workflow list, two workflows with one name, or a bad number.
 */
export function engineSettings(options: EngineOptions): EngineSettings {
  if (!options || typeof options.store?.append !== "function") {
    throw new ValidationError("createEngine({ store, workflows }): `store` must be a HistoryStore, e.g. new MemoryStore().");
  }
  const workflows = new WorkflowRegistry(options.workflows);
  const mode = options.mode ?? "in-process";
  const maxConcurrentTurns = options.maxConcurrentTurns ?? 128;
  if (!Number.isInteger(maxConcurrentTurns) || maxConcurrentTurns < 1) {
    throw new ValidationError(
      `createEngine: maxConcurrentTurns must be a whole number of at least 1, got ${maxConcurrentTurns}.`,
    );
  }
  const maxTurnFailures = options.maxTurnFailures ?? DEFAULT_MAX_TURN_FAILURES;
  if (!Number.isInteger(maxTurnFailures) || maxTurnFailures < 1) {
    throw new ValidationError(`createEngine: maxTurnFailures must be a whole number of at least 1, got ${maxTurnFailures}.`);
  }
  const settings: EngineSettings = {
    store: options.store,
    workflows,
    clock: options.clock ?? systemClock,
    mode,
    logger: options.logger ?? consoleLogger,
    maxConcurrentTurns,
    cacheSize: options.cacheSize ?? 1000,
    historyWarningThreshold: options.historyWarningThreshold ?? 10_000,
    staleTurnMs: toMillis(options.staleTurnTimeout ?? 300_000, "staleTurnTimeout"), // 5 min, as ms: no parse at cold start
    maxTurnFailures,
    random: options.random ?? Math.random,
    uuid: options.uuid ?? (() => globalThis.crypto.randomUUID()),
  };
  if (options.tracing !== undefined) {
    if (typeof options.tracing?.emit !== "function") {
      throw new ValidationError("createEngine: `tracing` must have an emit(span) function, e.g. otelTracing(tracer) from spindle/otel.");
    }
    settings.tracing = options.tracing;
  }
  if (options.pollInterval !== undefined && mode === "in-process") {
    const interval = toMillis(options.pollInterval, "pollInterval");
    if (interval < 100) throw new ValidationError(`createEngine: pollInterval must be at least 100 ms, got ${interval} ms.`);
    settings.pollIntervalMs = interval;
  }
  return settings;
}

/** The workflows an engine may run, by name. */
export class WorkflowRegistry {
  private readonly byName = new Map<string, AnyWorkflow>();

  /** @throws ValidationError for a list that is not an array, an entry not made by workflow(), or a name used twice. */
  constructor(workflows: readonly AnyWorkflow[]) {
    if (!Array.isArray(workflows)) {
      throw new ValidationError("createEngine({ store, workflows }): `workflows` must be an array of workflow() definitions.");
    }
    for (const definition of workflows) {
      if (typeof definition?.name !== "string" || typeof definition.body !== "function") {
        throw new ValidationError("createEngine: every entry of `workflows` must come from workflow(name, options, body).");
      }
      if (this.byName.has(definition.name) && this.byName.get(definition.name) !== definition) {
        throw new ValidationError(`createEngine: two workflows are named '${definition.name}'; names must be unique.`);
      }
      this.byName.set(definition.name, definition);
    }
  }

  /** @throws WorkflowNotFoundError naming the execution and the registered workflows. */
  lookup(name: string, executionId: string): AnyWorkflow {
    const definition = this.byName.get(name);
    if (definition) return definition;
    throw new WorkflowNotFoundError(
      `Workflow '${name}' (execution '${executionId}') is not registered with this engine. Add it to ` +
        `createEngine({ workflows: [...] }); registered: ${[...this.byName.keys()].join(", ") || "none"}.`,
      { executionId },
    );
  }
}

/**
 * A turn's options from resume's (or resumeDue's): the deadline as epoch ms, maxWait in milliseconds.
 * @throws ValidationError for a deadline that is not a valid time or a malformed maxWait.
 */
export function turnOptions(options: { deadline?: number | Date; writeDeadline?: number | Date; maxWait?: Duration }): TurnOptions {
  const result: TurnOptions = {};
  const { maxWait } = options;
  for (const key of ["deadline", "writeDeadline"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const at = value instanceof Date ? value.getTime() : value;
    if (!Number.isFinite(at)) throw new ValidationError(`resume: ${key} must be a valid time, got ${String(value)}.`);
    result[key] = at;
  }
  if (result.deadline !== undefined && result.writeDeadline === undefined) result.writeDeadline = result.deadline + DEFAULT_WRITE_GRACE_MS;
  if (maxWait !== undefined) result.maxWaitMs = toMillis(maxWait, "maxWait");
  return result;
}

/** How long after a turn's deadline its store calls may still retry, unless `writeDeadline` says: 5 s. */
const DEFAULT_WRITE_GRACE_MS = 5_000;
