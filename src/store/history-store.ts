// The HistoryStore port: everything the engine needs from durable storage, and the records and requests that cross
// it. Public (`spindle/store`) so anyone can write a store; `spindle/testing` exports the conformance suite every
// store must pass. How a store applies leases and appends to a record is in record-rules.ts.
import type { ErrorRecord } from "../core/error-record.js";
import type { HistoryEvent } from "../core/history.js";
import type { InboxItem, WaitInfo } from "../core/replayer.js";
import type { TurnFailures, TurnFailuresResult, TurnFailuresUpdate } from "./turn-failures.js";

export { newExecution } from "./new-execution.js";

/**
 * Lifecycle of an execution. `running` means it has work to do now; `suspended` that it waits; `stuck` that its
 * turns kept failing (a poison execution): it is out of the due index until `engine.redrive`, and not closed.
 *
 * @example
 * ```ts
 * const open: ExecutionStatus[] = ["running", "suspended"];
 * const { executions } = await engine.list({ status: open });
 * ```
 */
export type ExecutionStatus = "running" | "suspended" | "stuck" | "completed" | "failed" | "cancelled" | "terminated";

/**
 * Every status, in lifecycle order: what a filter on status may name (the CLI, the console, `spindle check`).
 *
 * @example
 * ```ts
 * if (!EXECUTION_STATUSES.includes(value as ExecutionStatus)) throw new Error(`${value} is not a status`);
 * ```
 */
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ["running", "suspended", "stuck", "completed", "failed", "cancelled", "terminated"];

/**
 * Statuses after which an execution never changes again.
 * @example
 * ```ts
 * if (CLOSED_STATUSES.has(record.status)) return;
 * ```
 */
export const CLOSED_STATUSES: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled", "terminated"]);

/**
 * The execution's record: one per execution, updated atomically with every append.
 *
 * @example
 * ```ts
 * const record: ExecutionRecord | undefined = await store.get("order-o-1");
 * if (record && record.inboxSeq > record.inboxSeen) console.log("unread inbox items");
 * ```
 */
export interface ExecutionRecord {
  id: string;
  workflow: string;
  /** Id of the current run. */
  runId: string;
  /** Runs that came before the current one (each `continueAsNew` starts a new run). */
  runs: number;
  /** The execution and operation that started this one as a child, if any. */
  parent?: { executionId: string; opId: string };
  status: ExecutionStatus;
  /** Sequence number of the last event of the current run (0 before the first). */
  version: number;
  /** Workflow input as JSON text. */
  input?: string;
  /** Result as JSON text, once completed. */
  result?: string;
  /** The error, once failed. */
  error?: ErrorRecord;
  /** Custom status (setStatus) as JSON text. */
  customStatus?: string;
  /** What the execution waits for while suspended. */
  waitingFor: WaitInfo[];
  /** When it is due to run next (epoch ms): its earliest timer, retry or timeout, or a stale turn's recovery. */
  wakeAt?: number;
  createdAt: number;
  updatedAt: number;
  /** Incremented by every inbox write; the store's own bookkeeping. */
  inboxSeq: number;
  /** The inbox sequence the last append had seen; inboxSeq > inboxSeen means unread inbox items. */
  inboxSeen: number;
  /** The turn running the execution now, and until when its claim holds (epoch ms). See `HistoryStore.acquireLease`. */
  lease?: Lease;
  /** Turns that failed in a row at this version (see `HistoryStore.updateTurnFailures`); any append clears it. */
  turnFailures?: TurnFailures;
}

/**
 * A turn's exclusive claim on an execution.
 *
 * @example
 * ```ts
 * const lease: Lease | undefined = record.lease;
 * if (lease && lease.until > now) console.log(`held by ${lease.owner}`);
 * ```
 */
export interface Lease {
  /** Who holds it (a turn's id). */
  owner: string;
  /** Epoch ms after which anyone may take it. */
  until: number;
}

/**
 * A claim on an execution: see `HistoryStore.acquireLease`.
 *
 * @example
 * ```ts
 * const request: LeaseRequest = { owner: "engine-1", until: now + 300_000, now, expect: { runId, version } };
 * const { acquired } = await store.acquireLease!("order-o-1", request);
 * ```
 */
export interface LeaseRequest {
  /** Who claims it: a name unique to the claiming process (an engine). */
  owner: string;
  /** Epoch ms the lease lasts until. */
  until: number;
  /** The current time (epoch ms): leases that ended by then are free. */
  now: number;
  /** Refuse unless the execution is still at this run and version. */
  expect?: { runId: string; version: number };
  /**
   * When the caller's time is up (epoch ms, wall clock): a store that retries stops retrying by then and fails with
   * StoreUnavailableError. Turns pass their deadline; optional.
   */
  deadline?: number;
}

/**
 * What `acquireLease` did: the lease is now `owner`'s, or someone else holds one that has not expired.
 *
 * @example
 * ```ts
 * const result: LeaseResult = { acquired: true, record: recordLeased(record, request) };
 * ```
 */
export type LeaseResult = { acquired: true; record: ExecutionRecord } | { acquired: false; record: ExecutionRecord };

/**
 * A new execution: its record and its first event (ExecutionStarted).
 *
 * @example
 * ```ts
 * const execution: NewExecution = newExecution({ id: "e-1", workflow: "order", runId: "r-1", at: Date.now() });
 * await store.create(execution);
 * ```
 */
export interface NewExecution {
  record: ExecutionRecord;
  events: HistoryEvent[];
}

/**
 * What `create` did: a new execution, or the one already there under that id.
 *
 * @example
 * ```ts
 * const { created, record }: CreateResult = await store.create(execution);
 * ```
 */
export type CreateResult = { created: true; record: ExecutionRecord } | { created: false; record: ExecutionRecord };

/**
 * Options of `load`.
 *
 * @example
 * ```ts
 * const page = await store.load("order-o-1", { afterSeq: 1000, limit: 500 } satisfies LoadOptions);
 * ```
 */
export interface LoadOptions {
  /** Return events with seq greater than this. Default 0. */
  afterSeq?: number;
  /** Most events to return in this page (the store may return fewer). */
  limit?: number;
  /**
   * When the caller's time is up (epoch ms, wall clock): a store that retries stops retrying by then and fails with
   * StoreUnavailableError. Turns pass their deadline; optional.
   */
  deadline?: number;
}

/**
 * One page of an execution: its record, events after `afterSeq`, and its unread inbox.
 *
 * @example
 * ```ts
 * const page: LoadedPage | undefined = await store.load("order-o-1");
 * const events = page ? checkHistory("order-o-1", page.events) : [];
 * ```
 */
export interface LoadedPage {
  record: ExecutionRecord;
  /** Events of the current run, in sequence order, as stored (validated by the engine). */
  events: unknown[];
  /** Unconsumed inbox items, in arrival order. */
  inbox: InboxItem[];
  /** True when more events follow this page. */
  more: boolean;
}

/**
 * Changes to the record made together with an append.
 *
 * @example
 * ```ts
 * const update: RecordUpdate = { status: "suspended", waitingFor: [], wakeAt: now + 60_000, inboxSeen: record.inboxSeq, updatedAt: now };
 * ```
 */
export interface RecordUpdate {
  status: ExecutionStatus;
  waitingFor: WaitInfo[];
  /** `null` clears it. */
  wakeAt: number | null;
  customStatus?: string;
  result?: string;
  error?: ErrorRecord;
  /** Inbox sequence seen by the writer (becomes `inboxSeen`). */
  inboxSeen: number;
  updatedAt: number;
}

/**
 * An atomic append.
 *
 * @example
 * ```ts
 * const request: AppendRequest = { runId: record.runId, expectedVersion: record.version, events, update, consumeInbox: [] };
 * const next = await store.append("order-o-1", request); // or ConcurrencyError
 * ```
 */
export interface AppendRequest {
  runId: string;
  /** The version the writer loaded: the append fails with ConcurrencyError unless it is still current. */
  expectedVersion: number;
  /** Events numbered expectedVersion + 1, + 2, ... */
  events: HistoryEvent[];
  update: RecordUpdate;
  /** Inbox item ids consumed by these events. */
  consumeInbox: string[];
  /**
   * Ends the current run with `events` and, in the same atomic write, starts run `runId` whose history is
   * `continueAsNew.events` (numbered from 1): the record moves to the new run (`runs` + 1, `version` = their count,
   * `input` = the new input). The inbox carries over. Previous runs' events may be kept or dropped by the store.
   */
  continueAsNew?: { runId: string; input?: string; events: HistoryEvent[] };
  /**
   * The writer's lease (stores with `acquireLease`). The append fails with ConcurrencyError while another owner holds
   * a lease unexpired at `update.updatedAt`; once it succeeds the lease is `owner`'s until `until`, or released
   * (`until: null`). Without this field an append leaves the lease alone (an operator's terminate).
   */
  lease?: { owner: string; until: number | null };
  /** A closing write: refused with ConcurrencyError unless `inboxSeq` is still this (no command arrived unseen). */
  expectInboxSeq?: number;
  /**
   * When the caller's time is up (epoch ms, wall clock): a store that retries stops retrying by then and fails with
   * StoreUnavailableError. Turns pass their deadline; optional.
   */
  deadline?: number;
}

/**
 * Outcome of an inbox write.
 *
 * @example
 * ```ts
 * const written: InboxWriteResult = await store.writeInbox("order-o-1", item);
 * if (written.status === "duplicate") console.log(written.existing.key);
 * ```
 */
export type InboxWriteResult =
  | { status: "written" }
  | { status: "duplicate"; existing: InboxItem }
  | { status: "closed"; record: ExecutionRecord }
  | { status: "not-found" };

/**
 * Filter of `list` (the store's and the engine's).
 *
 * @example
 * ```ts
 * const query: ListQuery = { status: "suspended", workflow: "order", limit: 50 };
 * const { executions, cursor } = await engine.list(query);
 * ```
 */
export interface ListQuery {
  status?: ExecutionStatus | readonly ExecutionStatus[];
  workflow?: string;
  /** Page size. Default 100. */
  limit?: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

/**
 * A page of `list`.
 *
 * @example
 * ```ts
 * const page: ListPage = await store.list({ limit: 100 });
 * const next = page.cursor ? await store.list({ limit: 100, cursor: page.cursor }) : undefined;
 * ```
 */
export interface ListPage {
  records: ExecutionRecord[];
  cursor?: string;
}

/**
 * Store limits the engine honours.
 *
 * @example
 * ```ts
 * readonly limits: StoreLimits = { maxValueBytes: 256 * 1024 }; // in a class implementing HistoryStore
 * ```
 */
export interface StoreLimits {
  /** Largest encoded value (JSON, UTF-8 bytes) an event may carry. */
  maxValueBytes: number;
}

/**
 * Durable storage for executions: records, per-run event histories and inboxes.
 *
 * Rules every implementation keeps (the conformance suite in `spindle/testing` checks them):
 * `create` is idempotent by id; `append` is atomic and fails with `ConcurrencyError` unless `expectedVersion` is the
 * current version and `runId` the current run, so the history never forks; inbox writes are idempotent by key and
 * refused for closed executions; `listDue` returns executions whose `wakeAt` has come or whose inbox has unread items,
 * never a `stuck` one.
 *
 * @example
 * ```ts
 * class MyStore implements HistoryStore { ... }
 * runStoreConformance("MyStore", () => new MyStore());
 * ```
 */
export interface HistoryStore {
  readonly limits: StoreLimits;
  /** Creates the execution unless one with this id exists; then returns that one untouched. */
  create(execution: NewExecution): Promise<CreateResult>;
  /** The execution's record alone, or `undefined` when there is none. */
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Loads one page of the execution, or `undefined` when there is none. */
  load(id: string, options?: LoadOptions): Promise<LoadedPage | undefined>;
  /**
   * Appends events and updates the record atomically; returns the updated record.
   * @throws ConcurrencyError when the version or run moved on; ExecutionNotFoundError when there is no execution.
   */
  append(id: string, request: AppendRequest): Promise<ExecutionRecord>;
  /** Adds an item to the execution's inbox unless its key is there already or the execution is closed. */
  writeInbox(id: string, item: InboxItem): Promise<InboxWriteResult>;
  /** Ids of open executions due at `now`: `wakeAt <= now`, or unread inbox items; never `stuck`. Oldest first. */
  listDue(now: number, options?: { limit?: number }): Promise<string[]>;
  /** Executions by status and workflow, newest first. */
  list(query: ListQuery): Promise<ListPage>;
  /**
   * Optional. Claims the execution for `owner` until `until` unless another owner holds a lease unexpired at `now`
   * (the owner itself may renew), in one conditional write; a closed execution is never leased, nor one that moved
   * past `expect` (the run and version the claimant loaded: a turn with a stale history must not run its steps). The
   * claim also moves `wakeAt` to `until` so a claimant that dies is resumed once its lease runs out, and `listDue`
   * does not hand the execution out meanwhile. A turn takes the lease before it runs a step, so two processes never
   * run one step at once.
   * @throws ExecutionNotFoundError
   */
  acquireLease?(id: string, request: LeaseRequest): Promise<LeaseResult>;
  /**
   * Optional. Records (or clears) failed turns with status and due time in one conditional write, with no event,
   * unless the record is closed, moved past `update.expect`, or leased by another owner unexpired at `update.now`
   * (apply it with `turnFailuresRefused`/`recordWithTurnFailures`). Without it, poison executions neither back off nor
   * become `stuck`. @throws ExecutionNotFoundError
   */
  updateTurnFailures?(id: string, update: TurnFailuresUpdate): Promise<TurnFailuresResult>;
}

/**
 * True when `record` is leased to someone other than `owner` and the lease has not expired at `now`: the check every
 * store makes in `acquireLease` and in an append that carries a lease.
 *
 * @example
 * ```ts
 * if (leaseHeldByOther(record, request.owner, request.now)) return { acquired: false, record: copyRecord(record) };
 * ```
 */
export function leaseHeldByOther(record: ExecutionRecord, owner: string, now: number): boolean {
  const lease = record.lease;
  return lease !== undefined && lease.owner !== owner && lease.until > now;
}
