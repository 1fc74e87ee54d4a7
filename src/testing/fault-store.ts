// FaultStore: a HistoryStore wrapper for reliability tests. It forwards every call to the store it wraps (the
// contract's methods and any optional or extra method the inner store has, such as `acquireLease`) and, on a seeded
// schedule, makes a call crash the process (before or after the call takes effect), fail, throttle, wait, or take
// effect and then report a timeout (an ambiguous write). It also keeps a journal of the events the inner store
// accepted, so a test can check that nothing acknowledged was lost and nothing forked.
import type { HistoryEvent } from "../core/history.js";
import { StoreUnavailableError } from "../errors.js";
import type {
  AppendRequest,
  CreateResult,
  ExecutionRecord,
  HistoryStore,
  InboxWriteResult,
  ListPage,
  ListQuery,
  LoadedPage,
  LoadOptions,
  NewExecution,
  StoreLimits,
} from "../store/history-store.js";
import type { InboxItem } from "../core/replayer.js";
import { seededRandom } from "./seeded.js";

/**
 * Thrown by a FaultStore when the process it stands for dies: at the scheduled call, and at every later call of that
 * process (a dead process makes no more calls; `spawn()` starts a new one).
 *
 * @example
 * ```ts
 * try { await engine.resume(id); } catch (e) { if (!(e instanceof InjectedCrash)) throw e; }
 * ```
 */
export class InjectedCrash extends Error {
  override name = "InjectedCrash";
}

/**
 * Thrown by a FaultStore for a `fail` fault: an unexpected, non-retryable store error (a bug or a 4xx in a real
 * store). The call did not take effect.
 *
 * @example
 * ```ts
 * const faults = new FaultStore(new MemoryStore(), { plan: (call) => (call.method === "list" ? { kind: "fail" } : undefined) });
 * await expect(faults.list({})).rejects.toBeInstanceOf(InjectedFault);
 * ```
 */
export class InjectedFault extends Error {
  override name = "InjectedFault";
}

/**
 * What a FaultStore does with one call.
 * - `crash`: the process dies `before` the call reaches the store, or `after` the store applied it.
 * - `fail`: the call is refused with `InjectedFault` (or `error()`) and not applied.
 * - `throttle`: the call is refused with a retryable `StoreUnavailableError` (throttling, 5xx) and not applied.
 * - `delay`: the call waits `ms` of real time, then goes through.
 * - `ambiguous`: the call is applied, then reported as a timeout (`StoreUnavailableError`).
 */
export type Fault =
  | { kind: "crash"; when: "before" | "after" }
  | { kind: "fail"; error?: () => unknown }
  | { kind: "throttle" }
  | { kind: "delay"; ms: number }
  | { kind: "ambiguous" };

/** One store call as a fault plan sees it. */
export interface StoreCall {
  /** Position of the call among every call made through this store and its spawned processes, from 0. */
  index: number;
  /** The store method, e.g. `"append"` or `"acquireLease"`. */
  method: string;
  /** The execution the call concerns, when its first argument names one. */
  executionId?: string;
  /** Which process made the call: 0 for the store itself, 1, 2, ... for each `spawn()`. */
  process: number;
}

/**
 * Decides the fault of each call (or none). `random` is the store's seeded generator: use it, never Math.random, so a
 * seed reproduces the run.
 */
export type FaultPlan = (call: StoreCall, random: () => number) => Fault | undefined;

/** Options of `FaultStore`. */
export interface FaultStoreOptions {
  /** Seed of the generator handed to the plan. Default 1. */
  seed?: number;
  /** The fault schedule. Default: no faults. It can be replaced at any time through `faults.plan`. */
  plan?: FaultPlan;
}

/** Counts kept by a FaultStore and shared by its spawned processes. */
export interface FaultStats {
  /** Calls made, by method. */
  calls: Record<string, number>;
  /** Faults injected, by kind (`crash-before`, `crash-after`, `fail`, `throttle`, `delay`, `ambiguous`). */
  injected: Record<string, number>;
  /** The injected faults in order, for failure messages: `#12 append crash-after`. */
  trace: string[];
}

/** State shared by a FaultStore and the processes it spawns. */
interface Shared {
  inner: HistoryStore;
  random: () => number;
  plan: FaultPlan | undefined;
  stats: FaultStats;
  calls: number;
  processes: number;
  accepted: Map<string, HistoryEvent[]>;
}

/** The contract's required methods; wrapped with their journal bookkeeping below. */
const REQUIRED = new Set(["create", "get", "load", "append", "writeInbox", "listDue", "list"]);

/**
 * A HistoryStore wrapper that injects faults on a seeded schedule. Each FaultStore stands for one process: once it
 * crashes, it refuses every call; `spawn()` gives a new process on the same store, schedule, generator and counters.
 * Every method of the inner store is forwarded, optional ones (`acquireLease`) and extra ones included, and each is
 * counted and may be faulted like the others; a method the inner store lacks is absent here too.
 *
 * @example
 * ```ts
 * const faults = new FaultStore(new MemoryStore(), { seed: 42, plan: randomFaults({ crash: 0.05, throttle: 0.1 }) });
 * const engine = () => createEngine({ store: faults.spawn(), workflows: [order], mode: "external" });
 * await engine().start(order, input, { id: "o-1" }).catch(() => {}); // may crash: start again, it is idempotent
 * console.log(faults.stats.injected, faults.accepted("o-1").length);
 * ```
 */
export class FaultStore implements HistoryStore {
  /** Calls of this process fail with InjectedCrash once it has crashed. */
  crashed = false;
  private shared: Shared;
  private process = 0;

  constructor(inner: HistoryStore, options: FaultStoreOptions = {}) {
    this.shared = {
      inner,
      random: seededRandom(options.seed ?? 1),
      plan: options.plan,
      stats: { calls: {}, injected: {}, trace: [] },
      calls: 0,
      processes: 0,
      accepted: new Map(),
    };
    this.forwardOthers(inner);
  }

  /** The wrapped store. Calls made on it directly are neither counted nor faulted. */
  get inner(): HistoryStore {
    return this.shared.inner;
  }

  get limits(): StoreLimits {
    return this.shared.inner.limits;
  }

  /** The fault schedule, shared with spawned processes; set `undefined` to stop injecting (recovery). */
  get plan(): FaultPlan | undefined {
    return this.shared.plan;
  }

  set plan(plan: FaultPlan | undefined) {
    this.shared.plan = plan;
  }

  /** Calls and injected faults so far, across this store and its spawned processes. */
  get stats(): FaultStats {
    return this.shared.stats;
  }

  /**
   * A new process on the same inner store, schedule, generator and counters: what a test uses after a crash, or to
   * run several engines at once.
   *
   * @example
   * ```ts
   * const racers = Array.from({ length: 4 }, () => createEngine({ store: faults.spawn(), workflows, mode: "external" }));
   * ```
   */
  spawn(): FaultStore {
    const next = new FaultStore(this.shared.inner);
    next.shared = this.shared;
    next.process = ++this.shared.processes;
    return next;
  }

  /**
   * The events the inner store accepted for an execution, in order, every run included (a run ended by
   * `continueAsNew` is followed by the next run's events from seq 1). Writes that crashed or timed out after taking
   * effect are included; refused ones are not.
   *
   * @example
   * ```ts
   * const stored = (await faults.inner.load("o-1"))!.events;
   * expect(faults.accepted("o-1").slice(-stored.length)).toEqual(stored);
   * ```
   */
  accepted(executionId: string): readonly HistoryEvent[] {
    return this.shared.accepted.get(executionId) ?? [];
  }

  create(execution: NewExecution): Promise<CreateResult> {
    return this.call("create", [execution], async () => {
      const result = await this.shared.inner.create(execution);
      if (result.created) this.journal(execution.record.id, execution.events);
      return result;
    });
  }

  get(id: string): Promise<ExecutionRecord | undefined> {
    return this.call("get", [id], () => this.shared.inner.get(id));
  }

  load(id: string, options?: LoadOptions): Promise<LoadedPage | undefined> {
    return this.call("load", [id, options], () => this.shared.inner.load(id, options));
  }

  append(id: string, request: AppendRequest): Promise<ExecutionRecord> {
    return this.call("append", [id, request], async () => {
      const record = await this.shared.inner.append(id, request);
      this.journal(id, request.events);
      if (request.continueAsNew) this.journal(id, request.continueAsNew.events);
      return record;
    });
  }

  writeInbox(id: string, item: InboxItem): Promise<InboxWriteResult> {
    return this.call("writeInbox", [id, item], () => this.shared.inner.writeInbox(id, item));
  }

  listDue(now: number, options?: { limit?: number }): Promise<string[]> {
    return this.call("listDue", [now, options], () => this.shared.inner.listDue(now, options));
  }

  list(query: ListQuery): Promise<ListPage> {
    return this.call("list", [query], () => this.shared.inner.list(query));
  }

  /** Runs one call through the schedule. */
  private async call<T>(method: string, args: readonly unknown[], run: () => Promise<T>): Promise<T> {
    const shared = this.shared;
    const index = shared.calls++;
    shared.stats.calls[method] = (shared.stats.calls[method] ?? 0) + 1;
    if (this.crashed) throw new InjectedCrash(`process ${this.process} is down: ${method} (call #${index}) never ran`);
    const executionId = typeof args[0] === "string" ? args[0] : creationId(method, args[0]);
    const fault = shared.plan?.({ index, method, process: this.process, ...(executionId ? { executionId } : {}) }, shared.random);
    if (!fault) return run();
    const label = fault.kind === "crash" ? `crash-${fault.when}` : fault.kind;
    shared.stats.injected[label] = (shared.stats.injected[label] ?? 0) + 1;
    shared.stats.trace.push(`#${index} ${method}${executionId ? ` '${executionId}'` : ""} ${label}`);
    const where = `${method}${executionId ? ` of '${executionId}'` : ""} (call #${index})`;
    switch (fault.kind) {
      case "crash":
        this.crashed = true;
        if (fault.when === "after") await run();
        throw new InjectedCrash(`process ${this.process} crashed ${fault.when} ${where}`);
      case "fail":
        throw fault.error ? fault.error() : new InjectedFault(`injected failure of ${where}; nothing was applied`);
      case "throttle":
        throw new StoreUnavailableError(`injected throttling of ${where}; nothing was applied, try again later`, {
          ...(executionId ? { executionId } : {}),
          cause: Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }),
        });
      case "delay":
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        return run();
      case "ambiguous":
        await run();
        throw new StoreUnavailableError(`injected timeout of ${where} after it was applied`, {
          ...(executionId ? { executionId } : {}),
          cause: Object.assign(new Error("socket timed out after the request was sent"), { name: "TimeoutError" }),
        });
    }
  }

  private journal(id: string, events: readonly HistoryEvent[]): void {
    let list = this.shared.accepted.get(id);
    if (!list) this.shared.accepted.set(id, (list = []));
    for (const event of events) list.push(structuredClone(event));
  }

  /**
   * Defines, on this instance, every method and getter of the inner store that the contract does not require
   * (optional methods such as `acquireLease`, and a store's extras), so the wrapper offers exactly what the inner
   * store offers.
   */
  private forwardOthers(inner: HistoryStore): void {
    for (let proto: object | null = inner; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === "constructor" || name === "limits" || REQUIRED.has(name) || Object.hasOwn(this, name)) continue;
        const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
        if (typeof descriptor.value === "function") {
          const method = (...args: unknown[]) =>
            this.call(name, args, async () => (inner as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args));
          Object.defineProperty(this, name, { value: method, configurable: true });
        } else if (descriptor.get) {
          Object.defineProperty(this, name, { get: () => (inner as unknown as Record<string, unknown>)[name], configurable: true });
        }
      }
    }
  }
}

/** The execution id inside a `create` call's argument. */
function creationId(method: string, arg: unknown): string | undefined {
  if (method !== "create") return undefined;
  return (arg as NewExecution | undefined)?.record?.id;
}

/** Fault rates of `randomFaults`: each a probability per call, from 0 to 1. */
export interface FaultRates {
  /** The process dies before the call reaches the store. */
  crashBefore?: number;
  /** The process dies after the store applied the call. */
  crashAfter?: number;
  /** Unexpected non-retryable failure, not applied. */
  fail?: number;
  /** Retryable StoreUnavailableError, not applied. */
  throttle?: number;
  /** Applied, then reported as a timeout. Writes only (create, append, writeInbox and optional methods). */
  ambiguous?: number;
  /** Real delay before the call, up to `maxDelayMs` (default 5). */
  delay?: number;
  maxDelayMs?: number;
  /** Only calls of these methods are faulted. Default: every method. */
  methods?: readonly string[];
}

/**
 * A plan that draws each call's fault from `rates` with the store's seeded generator.
 *
 * @example
 * ```ts
 * const faults = new FaultStore(store, { seed, plan: randomFaults({ crashBefore: 0.02, crashAfter: 0.02, throttle: 0.1 }) });
 * ```
 */
export function randomFaults(rates: FaultRates): FaultPlan {
  const reads = new Set(["get", "load", "listDue", "list"]);
  return (call, random) => {
    if (rates.methods && !rates.methods.includes(call.method)) return undefined;
    let draw = random();
    const pick = (rate: number | undefined) => {
      if (!rate) return false;
      if (draw < rate) return true;
      draw -= rate;
      return false;
    };
    if (pick(rates.crashBefore)) return { kind: "crash", when: "before" };
    if (pick(rates.crashAfter)) return { kind: "crash", when: "after" };
    if (pick(rates.fail)) return { kind: "fail" };
    if (pick(rates.throttle)) return { kind: "throttle" };
    if (!reads.has(call.method) && pick(rates.ambiguous)) return { kind: "ambiguous" };
    if (pick(rates.delay)) return { kind: "delay", ms: Math.floor(random() * (rates.maxDelayMs ?? 5)) };
    return undefined;
  };
}

/**
 * A plan with one fault at call `index` (counting every call from 0), e.g. to crash at each store call in turn.
 *
 * @example
 * ```ts
 * for (let i = 0; i < callsOfACleanRun; i++) {
 *   const faults = new FaultStore(new MemoryStore(), { plan: faultAt(i, { kind: "crash", when: "after" }) });
 *   // drive the workflow to its end through faults.spawn() processes, then check the invariants
 * }
 * ```
 */
export function faultAt(index: number, fault: Fault): FaultPlan {
  return (call) => (call.index === index ? fault : undefined);
}

