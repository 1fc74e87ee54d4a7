// MemoryStore: the HistoryStore for examples, tests and single-process use. It keeps the same rules as a durable
// store (atomic versioned appends, idempotent inbox, paged loads, the 400 KB value limit of DynamoDB by default, ids of
// 1 to MAX_ID_BYTES bytes of well-formed Unicode as DynamoDB keys hold them) so what works against it works in
// production.
import type { HistoryEvent } from "../core/history.js";
import type { InboxItem } from "../core/replayer.js";
import { isWellFormedText, MAX_ID_BYTES, utf8Length } from "../core/codec.js";
import { ConcurrencyError, ExecutionNotFoundError, ValidationError } from "../errors.js";
import type {
  AppendRequest,
  CreateResult,
  ExecutionRecord,
  HistoryStore,
  InboxWriteResult,
  LeaseRequest,
  LeaseResult,
  ListPage,
  ListQuery,
  LoadedPage,
  LoadOptions,
  NewExecution,
  StoreLimits,
} from "./history-store.js";
import { CLOSED_STATUSES, leaseHeldByOther } from "./history-store.js";
import { decodeListCursor, encodeListCursor } from "./list-cursor.js";
import { applyAppend, copyRecord, inboxMoved, leaseConflict, leaseRefused, recordLeased } from "./record-rules.js";
import type { TurnFailuresResult, TurnFailuresUpdate } from "./turn-failures.js";
import { recordWithTurnFailures, turnFailuresRefused } from "./turn-failures.js";

/**
 * Options of `MemoryStore`.
 *
 * @example
 * ```ts
 * const options: MemoryStoreOptions = { maxValueBytes: 64 * 1024, pageSize: 100 };
 * const store = new MemoryStore(options);
 * ```
 */
export interface MemoryStoreOptions {
  /** Largest encoded value in bytes. Default 400 KB minus room for the event's own fields, as in DynamoDB. */
  maxValueBytes?: number;
  /** Events per page of `load`. Default 1,000. */
  pageSize?: number;
}

interface Entry {
  record: ExecutionRecord;
  events: HistoryEvent[];
  inbox: InboxItem[];
  /** Made by the first inbox write and the first consumption: most executions never have either. */
  inboxKeys?: Map<string, InboxItem>;
  consumed?: Set<string>;
}

/** DynamoDB's item limit is 400 KB; keep 1 KB for the event's other attributes. */
export const DEFAULT_MAX_VALUE_BYTES = 399 * 1024;

/**
 * An in-memory HistoryStore. Fast, and strict in the same ways as a durable store.
 *
 * @example
 * ```ts
 * import { createEngine, MemoryStore } from "spindle";
 * const engine = createEngine({ store: new MemoryStore(), workflows: [order] });
 * ```
 */
export class MemoryStore implements HistoryStore {
  readonly limits: StoreLimits;
  private readonly pageSize: number;
  private readonly executions = new Map<string, Entry>();

  constructor(options: MemoryStoreOptions = {}) {
    this.limits = { maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES };
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Number of executions held. */
  get size(): number {
    return this.executions.size;
  }

  /** @throws ValidationError for an id that is empty, over MAX_ID_BYTES or ill-formed Unicode (as DynamoDBStore). */
  async create(execution: NewExecution): Promise<CreateResult> {
    checkId(execution.record.id);
    const existing = this.executions.get(execution.record.id);
    if (existing) return { created: false, record: copyRecord(existing.record) };
    this.executions.set(execution.record.id, { record: copyRecord(execution.record), events: [...execution.events], inbox: [] });
    // The caller's own record is what was stored (the store keeps a copy of it): no second copy to hand back.
    return { created: true, record: execution.record };
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const entry = this.executions.get(id);
    return entry && copyRecord(entry.record);
  }

  async load(id: string, options: LoadOptions = {}): Promise<LoadedPage | undefined> {
    const entry = this.executions.get(id);
    if (!entry) return undefined;
    const from = Math.max(0, options.afterSeq ?? 0);
    const to = Math.min(entry.events.length, from + Math.min(options.limit ?? this.pageSize, this.pageSize));
    return {
      record: copyRecord(entry.record),
      events: entry.events.slice(from, to),
      inbox: entry.inbox.filter((item) => !entry.consumed?.has(item.id)).map((item) => ({ ...item })),
      more: to < entry.events.length,
    };
  }

  async append(id: string, request: AppendRequest): Promise<ExecutionRecord> {
    const entry = this.executions.get(id);
    if (!entry) {
      throw new ExecutionNotFoundError(`Execution '${id}' does not exist; it cannot be appended to.`, {
        executionId: id,
      });
    }
    const record = entry.record;
    if (record.runId !== request.runId || record.version !== request.expectedVersion) {
      throw new ConcurrencyError(
        `Execution '${id}' moved on: expected run ${request.runId} at version ${request.expectedVersion}, found ` +
          `run ${record.runId} at version ${record.version}. Another turn won; resume again to continue from it.`,
        { executionId: id },
      );
    }
    if (request.lease && leaseHeldByOther(record, request.lease.owner, request.update.updatedAt)) {
      throw leaseConflict(id, record);
    }
    if (request.expectInboxSeq !== undefined && record.inboxSeq !== request.expectInboxSeq) throw inboxMoved(id, record, request);
    checkSequence(id, request.events, request.expectedVersion + 1);
    const next = request.continueAsNew;
    if (next) checkSequence(id, next.events, 1);
    // The stored record is changed in place (it is never handed out; callers get copies), first: it is the only part
    // that can throw, before anything changes.
    applyAppend(record, request);
    const events = request.events;
    for (let i = 0; i < events.length; i++) entry.events.push(events[i]!);
    if (request.consumeInbox.length > 0) {
      const consumed = (entry.consumed ??= new Set());
      for (const itemId of request.consumeInbox) consumed.add(itemId);
      if (consumed.size > 64 && consumed.size * 2 > entry.inbox.length) compactInbox(entry);
    }
    if (next) entry.events = [...next.events];
    return copyRecord(record);
  }

  async acquireLease(id: string, request: LeaseRequest): Promise<LeaseResult> {
    const entry = this.executions.get(id);
    if (!entry) {
      throw new ExecutionNotFoundError(`Execution '${id}' does not exist; it cannot be leased.`, { executionId: id });
    }
    if (leaseRefused(entry.record, request)) return { acquired: false, record: copyRecord(entry.record) };
    entry.record = recordLeased(entry.record, request);
    return { acquired: true, record: copyRecord(entry.record) };
  }

  async updateTurnFailures(id: string, update: TurnFailuresUpdate): Promise<TurnFailuresResult> {
    const entry = this.executions.get(id);
    if (!entry) {
      throw new ExecutionNotFoundError(`Execution '${id}' does not exist; its failed turns cannot be recorded.`, {
        executionId: id,
      });
    }
    if (turnFailuresRefused(entry.record, update)) return { updated: false, record: copyRecord(entry.record) };
    entry.record = recordWithTurnFailures(entry.record, update);
    return { updated: true, record: copyRecord(entry.record) };
  }

  async writeInbox(id: string, item: InboxItem): Promise<InboxWriteResult> {
    const entry = this.executions.get(id);
    if (!entry) return { status: "not-found" };
    const existing = entry.inboxKeys?.get(item.key);
    if (existing) return { status: "duplicate", existing: { ...existing } };
    if (CLOSED_STATUSES.has(entry.record.status)) return { status: "closed", record: copyRecord(entry.record) };
    const stored = { ...item };
    entry.inbox.push(stored);
    (entry.inboxKeys ??= new Map()).set(item.key, stored);
    entry.record.inboxSeq++;
    return { status: "written" };
  }

  async listDue(now: number, options: { limit?: number } = {}): Promise<string[]> {
    const due: ExecutionRecord[] = [];
    for (const { record } of this.executions.values()) {
      if (CLOSED_STATUSES.has(record.status) || record.status === "stuck") continue;
      if ((record.wakeAt !== undefined && record.wakeAt <= now) || record.inboxSeq > record.inboxSeen) due.push(record);
    }
    due.sort((a, b) => (a.wakeAt ?? a.updatedAt) - (b.wakeAt ?? b.updatedAt));
    return due.slice(0, options.limit ?? due.length).map((record) => record.id);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const after = query.cursor === undefined ? undefined : decodeListCursor(query.cursor);
    const statuses = query.status === undefined ? undefined : new Set([query.status].flat());
    const limit = query.limit ?? 100;
    const matching: ExecutionRecord[] = [];
    for (const { record } of this.executions.values()) {
      if (statuses && !statuses.has(record.status)) continue;
      if (query.workflow !== undefined && record.workflow !== query.workflow) continue;
      matching.push(record);
    }
    matching.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    // The first record past the cursor's position, in the same (createdAt, id) descending order.
    let start = 0;
    if (after !== undefined) {
      start = matching.findIndex((record) => record.createdAt < after.createdAt || (record.createdAt === after.createdAt && record.id < after.id));
      if (start < 0) start = matching.length;
    }
    const page = matching.slice(start, start + limit);
    const result: ListPage = { records: page.map(copyRecord) };
    if (start + limit < matching.length && page.length > 0) result.cursor = encodeListCursor(page[page.length - 1]!);
    return result;
  }
}

function checkId(id: string): void {
  if (typeof id === "string" && id !== "" && utf8Length(id) <= MAX_ID_BYTES && isWellFormedText(id)) return;
  throw new ValidationError(
    `Execution id ${JSON.stringify(String(id).slice(0, 80))} cannot be stored: ids must be 1 to ${MAX_ID_BYTES} bytes ` +
      `of well-formed Unicode (no lone surrogate).`,
    { executionId: String(id) },
  );
}

function checkSequence(id: string, events: readonly HistoryEvent[], first: number): void {
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.seq !== first + i) {
      throw new RangeError(`append to '${id}': event ${i} has seq ${events[i]!.seq}, expected ${first + i}`);
    }
  }
}

function compactInbox(entry: Entry): void {
  entry.inbox = entry.inbox.filter((item) => !entry.consumed?.has(item.id));
  entry.consumed = undefined;
}
