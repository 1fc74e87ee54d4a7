// DynamoDBStore: the HistoryStore on one DynamoDB table (layout in table.ts, appends in append.ts). Reads are strongly
// consistent and follow LastEvaluatedKey; a load is one Query per 1 MB that returns the run's events, the record and
// the unread inbox together. Writes are transactions; nothing is ever half-written.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BatchWriteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ListQuery, Logger } from "spindle";
import type {
  AppendRequest,
  CreateResult,
  ExecutionRecord,
  HistoryStore,
  InboxItem,
  InboxWriteResult,
  LeaseRequest,
  LeaseResult,
  TurnFailuresResult,
  TurnFailuresUpdate,
  ListPage,
  LoadedPage,
  LoadOptions,
  NewExecution,
  StoreLimits,
} from "spindle/store";
import { ConcurrencyError, consoleLogger, ExecutionNotFoundError, ValidationError } from "spindle";
import type { AppendDeps } from "./append.js";
import { appendEvents } from "./append.js";
import { acquireLease } from "./lease.js";
import { updateTurnFailures } from "./turn-failures.js";
import type { Placement, RecordState } from "./codec.js";
import { bytes, copyRecord, eventItem, recordItems } from "./codec.js";
import { inboxItemAttributes, unreadInboxItem } from "./inbox-items.js";
import type { InboxDeps } from "./inbox-write.js";
import { inboxTransaction } from "./inbox-write.js";
import { ConditionFailed, documentClient, Io, newToken, RecordCache } from "./io.js";
import { checkEventSize, checkSize } from "./limits.js";
import { listDue, listExecutions } from "./listing.js";
import { MAX_REBASES } from "./next-state.js";
import { loadCold, loadFromRecord, loadRun, MAX_READ_ATTEMPTS, readRecord } from "./reads.js";
import type { RetryInfo, RetryOptions } from "./retry.js";
import { finishStamps } from "./retention.js";
import { Retrier, withDeadline } from "./retry.js";
import {
  ATTR,
  CATALOG_PK,
  CATALOG_PREFIX,
  dedupeKey,
  INBOX_PREFIX,
  MAX_ID_BYTES,
  MAX_TRANSACTION_ACTIONS,
  RECORD_SK,
} from "./table.js";

/** Options of `DynamoDBStore`. */
export interface DynamoDBStoreOptions {
  /** Your client (the store never creates one or reads credentials). A document client must not wrap numbers. */
  client: DynamoDBClient | DynamoDBDocumentClient;
  /** The table, as `createTable` or the CloudFormation snippet makes it. */
  tableName: string;
  /** Partitions of the due-wake-up index. Default 16. Changing it later strands entries: choose once per table. */
  dueShards?: number;
  /** Partitions per workflow and status of the listing index. Default 4. Choose once per table. */
  listShards?: number;
  /** Keep closed executions this long (ms), then let DynamoDB's TTL delete them. Default: keep them. */
  retentionMs?: number;
  /**
   * Retries of throttled, failed and timed-out calls (backoff with full jitter), each attempt aborted after
   * `attemptTimeoutMs` and none past the deadline a turn passes with its store calls. The store is the only retry
   * layer: create the client with `maxAttempts: 1`.
   */
  retry?: RetryOptions;
  /** Called before each retry (e.g. to count a `StoreRetries` metric); must not throw. */
  onRetry?: (info: RetryInfo) => void;
  /** Largest value an event may carry. Default 399 KB: the item limit minus room for the event's other fields. */
  maxValueBytes?: number;
  /** Records remembered for single-request loads and read-free appends (at most 64 MB of their values). Default 10,000; 0 turns it off. */
  cacheSize?: number;
  /** How long a large (split) append may hold an execution before another large append may take over. Default 60 s. */
  lockMs?: number;
  /** Where housekeeping failures after a successful append are reported. Default: spindle's consoleLogger. */
  logger?: Pick<Logger, "warn">;
}

/** 400 KB minus 1 KB for the event's key, writer token and other fields. */
export const DEFAULT_MAX_VALUE_BYTES = 399 * 1024;

/**
 * A HistoryStore on one DynamoDB table.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
 * import { createEngine } from "spindle";
 * import { createTable, DynamoDBStore } from "spindle/dynamodb";
 *
 * const client = new DynamoDBClient({});
 * await createTable(client, "spindle");                       // once, or deploy the CloudFormation snippet
 * const engine = createEngine({ store: new DynamoDBStore({ client, tableName: "spindle" }), workflows: [order] });
 * ```
 */
export class DynamoDBStore implements HistoryStore {
  readonly limits: StoreLimits;
  /** The table's name. */
  readonly tableName: string;
  private readonly io: Io;
  private readonly cache: RecordCache;
  private readonly placement: Placement;
  private readonly lockMs: number;
  private readonly catalogued = new Set<string>();
  private readonly appendDeps: AppendDeps;
  private readonly inboxDeps: InboxDeps;

  constructor(options: DynamoDBStoreOptions) {
    if (!options.tableName) throw new TypeError("DynamoDBStore: tableName is required.");
    this.tableName = options.tableName;
    this.io = new Io(documentClient(options.client), options.tableName, new Retrier(options.retry, options.onRetry));
    this.cache = new RecordCache(options.cacheSize ?? 10_000);
    this.placement = {
      dueShards: Math.max(1, Math.floor(options.dueShards ?? 16)),
      listShards: Math.max(1, Math.floor(options.listShards ?? 4)),
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    };
    this.lockMs = options.lockMs ?? 60_000;
    this.limits = { maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES };
    this.inboxDeps = { io: this.io, cache: this.cache, placement: this.placement, readRecord: (id) => this.readRecord(id) };
    this.appendDeps = {
      io: this.io,
      cache: this.cache,
      placement: this.placement,
      lockMs: this.lockMs,
      readRecord: (id) => this.readRecord(id),
      cleanUpConsumed: (id, itemIds) => this.cleanUpConsumed(id, itemIds),
      logger: options.logger ?? consoleLogger,
    };
  }

  async create(execution: NewExecution): Promise<CreateResult> {
    const id = execution.record.id;
    if (!validId(id)) {
      throw new ValidationError(
        `Execution id ${JSON.stringify(id.slice(0, 80))} cannot be stored in DynamoDB: ids must be 1 to ${MAX_ID_BYTES} ` +
          `bytes of well-formed Unicode (no lone surrogate).`,
        { executionId: id },
      );
    }
    const writer = newToken();
    const state: RecordState = { record: copyRecord(execution.record), rev: 1, writer, consumed: [], unread: 0, parts: {} };
    const { item, parts } = recordItems(state, undefined, this.placement);
    const events = execution.events.map((event) => {
      const stored = eventItem(id, state.record.runs, event, writer);
      checkEventSize(id, event, stored);
      return stored;
    });
    checkSize(id, item, "the execution record");
    for (const part of parts) checkSize(id, part, `the ${String(part[ATTR.sk]).slice(2)} of the execution record`);
    if (1 + parts.length + events.length > MAX_TRANSACTION_ACTIONS) {
      throw new ValidationError(`Execution '${id}': a new execution may start with at most 90 events.`, { executionId: id });
    }
    await this.catalog(state.record.workflow);
    try {
      await this.io.transact("create", id, [
        this.io.put(item, { expression: "attribute_not_exists(pk)" }),
        ...parts.map((part) => this.io.put(part)),
        ...events.map((event) => this.io.put(event)),
      ], writer);
    } catch (error) {
      if (!(error instanceof ConditionFailed) || !error.failed(0)) throw error;
      const old = error.reasons[0]?.item;
      if (old?.w === writer) {
        this.cache.set(state);
        return { created: true, record: copyRecord(state.record) };
      }
      const existing = await this.readRecord(id);
      if (!existing) return this.create(execution); // deleted in between (TTL): try again
      return { created: false, record: copyRecord(existing.record) };
    }
    this.cache.set(state);
    return { created: true, record: copyRecord(state.record) };
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const state = await this.readRecord(id);
    return state && copyRecord(state.record);
  }

  /**
   * One Query per 1 MB, strongly consistent. When this store has seen the execution (so knows its run): forwards from
   * the first wanted event, meeting the rest of the run's events, then the record, its parts and the unread inbox.
   * Otherwise: backwards from the top of the partition (inbox, record, then the run's events newest first). See
   * reads.ts for how each checks what it read.
   */
  load(id: string, options: LoadOptions = {}): Promise<LoadedPage | undefined> {
    return withDeadline(options.deadline, () => this.loadPage(id, options));
  }

  private async loadPage(id: string, options: LoadOptions): Promise<LoadedPage | undefined> {
    if (!validId(id)) return undefined;
    const afterSeq = Math.max(0, Math.floor(options.afterSeq ?? 0));
    const limit = options.limit === undefined ? Infinity : Math.max(1, Math.floor(options.limit));
    let run = this.cache.runOf(id);
    for (let attempt = 1; ; attempt++) {
      const page =
        run !== undefined
          ? await loadRun(this.io, id, run, afterSeq, limit, this.cache.versionOf(id, run))
          : limit === Infinity
            ? await loadCold(this.io, id, afterSeq)
            : await loadFromRecord(this.io, id, afterSeq, limit);
      if (page === undefined) return undefined;
      if (page !== "retry" && (run === undefined || page.state.record.runs === run)) {
        if (page.pendingStamps !== undefined) await this.finishStamps(id, page.pendingStamps);
        this.cache.set(page.state);
        return { record: copyRecord(page.state.record), events: page.events, inbox: page.inbox, more: page.more };
      }
      // The run moved on since this store saw it (continueAsNew elsewhere): read the current one.
      if (page !== "retry") run = page.state.record.runs;
      if (attempt >= MAX_READ_ATTEMPTS) {
        throw new Error(`DynamoDBStore: execution '${id}' kept changing while it was read; try again.`);
      }
    }
  }

  append(id: string, request: AppendRequest): Promise<ExecutionRecord> {
    return withDeadline(request.deadline, () => appendEvents(this.appendDeps, id, request));
  }

  /** One conditional write of the record item (see lease.ts). */
  acquireLease(id: string, request: LeaseRequest): Promise<LeaseResult> {
    if (!validId(id)) return Promise.reject(new ExecutionNotFoundError(`Execution '${id.slice(0, 80)}' does not exist; it cannot be leased.`, { executionId: id }));
    const deps = { io: this.io, cache: this.cache, placement: this.placement, readRecord: (key: string) => this.readRecord(key) };
    return withDeadline(request.deadline, () => acquireLease(deps, id, request));
  }

  /** One conditional write of the record item (see turn-failures.ts). */
  updateTurnFailures(id: string, update: TurnFailuresUpdate): Promise<TurnFailuresResult> {
    if (!validId(id)) return Promise.reject(new ExecutionNotFoundError(`Execution '${id.slice(0, 80)}' does not exist.`, { executionId: id }));
    return updateTurnFailures({ io: this.io, cache: this.cache, placement: this.placement, readRecord: (key) => this.readRecord(key) }, id, update);
  }

  /**
   * One transaction: the dedupe marker (only if the key is new), the unread item, and the record's inbox counter and
   * due time (only if the execution exists and is open). While the record shows a lease, a turn may be writing steps
   * without reading the record, so the transaction also puts a marker at the run's next position (positions.ts): the
   * turn's next write finds it and reads the inbox. Without a lease, the record must still have none when it commits.
   * The record (with its run's tail) is read first: one Query.
   */
  async writeInbox(id: string, item: InboxItem): Promise<InboxWriteResult> {
    if (!validId(id)) return { status: "not-found" };
    const marker = inboxItemAttributes(id, dedupeKey(item.key), item);
    const unread = unreadInboxItem(id, item);
    checkSize(id, unread, `inbox item '${item.name}'`);
    checkSize(id, marker, `the dedupe marker of inbox item '${item.name}'`);
    for (let attempt = 1; ; attempt++) {
      const state = await this.readRecord(id);
      const written = await inboxTransaction(this.inboxDeps, id, item, marker, unread, state);
      if (written !== "again") return written;
      if (attempt >= MAX_REBASES) {
        throw new ConcurrencyError(
          `Execution '${id}': its run kept moving while inbox item '${item.name}' was written; nothing was written. ` +
            `Send it again (its key makes the retry safe).`,
          { executionId: id },
        );
      }
    }
  }

  /** Queries every shard of the due index (eventually consistent) and merges them, oldest first. */
  listDue(now: number, options: { limit?: number } = {}): Promise<string[]> {
    return listDue(this.io, this.placement.dueShards, now, options.limit ?? Infinity);
  }

  /**
   * Queries the list index for each workflow, status and shard (newest first from each), merges them, and reads the
   * records themselves (strongly consistent) for the page. Without a workflow, the workflows come from the catalog.
   */
  list(query: ListQuery): Promise<ListPage> {
    return listExecutions(this.io, this.placement.listShards, query);
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  /** The record and its large fields, strongly consistent; remembered for the next load and append. */
  private async readRecord(id: string): Promise<RecordState | undefined> {
    if (!validId(id)) return undefined;
    const state = await readRecord(this.io, id);
    if (state) this.cache.set(state);
    return state;
  }

  /** Adds a workflow to the catalog (once per store instance). */
  private async catalog(workflow: string): Promise<void> {
    if (this.catalogued.has(workflow)) return;
    await this.io.retrier.run("catalog", undefined, (signal) =>
      this.io.doc.send(new PutCommand({ TableName: this.tableName, Item: { [ATTR.pk]: CATALOG_PK, [ATTR.sk]: CATALOG_PREFIX + workflow } }), { abortSignal: signal }),
    );
    this.catalogued.add(workflow);
  }

  /** Finishes the TTL stamps a closed execution's close left pending (its process died first); failures are logged. */
  private async finishStamps(id: string, expiresAt: number): Promise<void> {
    try {
      await finishStamps(this.io, id, expiresAt);
    } catch (error) {
      this.appendDeps.logger.warn(
        `DynamoDBStore: the TTL stamps of closed execution '${id}' are still pending (${(error as Error)?.message}); ` +
          `its next load tries again.`,
        { executionId: id },
      );
    }
  }

  /** Deletes inbox items a split append marked consumed, then drops their ids from the record. */
  private async cleanUpConsumed(id: string, itemIds: string[]): Promise<void> {
    for (let i = 0; i < itemIds.length; i += 25) {
      let requests: Record<string, unknown>[] = itemIds.slice(i, i + 25).map((itemId) => ({
        DeleteRequest: { Key: { [ATTR.pk]: id, [ATTR.sk]: INBOX_PREFIX + itemId } },
      }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** Math.min(round, 6)));
        const output = await this.io.retrier.run("inbox clean-up", id, (signal) =>
          this.io.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests as never } }), { abortSignal: signal }),
        );
        requests = (output.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    }
    await this.io.retrier.run("inbox clean-up", id, (signal) =>
      this.io.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [ATTR.pk]: id, [ATTR.sk]: RECORD_SK },
          UpdateExpression: "DELETE #consumed :ids ADD #rev :one",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#consumed": "consumed", "#rev": "rev" },
          ExpressionAttributeValues: { ":ids": new Set(itemIds), ":one": 1 },
        }), { abortSignal: signal }),
    );
  }
}

/** 1 to MAX_ID_BYTES bytes of well-formed Unicode: DynamoDB would store a lone surrogate as U+FFFD, aliasing ids. */
function validId(id: string): boolean {
  return (
    typeof id === "string" &&
    id.length > 0 &&
    bytes(id) <= MAX_ID_BYTES &&
    (id as unknown as { isWellFormed(): boolean }).isWellFormed()
  );
}
