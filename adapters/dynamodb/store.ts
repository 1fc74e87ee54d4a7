// DynamoDBStore: the HistoryStore on one DynamoDB table (layout in table.ts, appends in append.ts). Reads are strongly
// consistent and follow LastEvaluatedKey; a load is one Query per 1 MB that returns the run's events, the record and
// the unread inbox together. Writes are transactions; nothing is ever half-written.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BatchGetCommand, BatchWriteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type {
  AppendRequest,
  CreateResult,
  ExecutionRecord,
  ExecutionStatus,
  HistoryStore,
  InboxItem,
  InboxWriteResult,
  ListPage,
  ListQuery,
  LoadedPage,
  LoadOptions,
  NewExecution,
  StoreLimits,
} from "spindle";
import { ValidationError } from "spindle";
import type { AppendDeps } from "./append.js";
import { appendEvents, checkSize } from "./append.js";
import type { Item, Placement, RecordState } from "./codec.js";
import {
  bytes,
  copyRecord,
  decodeEvent,
  decodeInboxItem,
  decodeRecord,
  eventItem,
  inboxItemAttributes,
  indexNumber,
  recordItems,
  unreadInboxItem,
} from "./codec.js";
import { ConditionFailed, documentClient, Io, newToken, RecordCache } from "./io.js";
import type { RetryOptions } from "./retry.js";
import { Retrier } from "./retry.js";
import {
  ATTR,
  CATALOG_PK,
  CATALOG_PREFIX,
  DEDUPE_PREFIX,
  dedupeKey,
  DUE_INDEX,
  dueShardKey,
  eventKey,
  INBOX_PREFIX,
  LIST_INDEX,
  listPartitionKey,
  MAX_ID_BYTES,
  MAX_TRANSACTION_ACTIONS,
  parseEventKey,
  RECORD_PART_PREFIX,
  RECORD_SK,
  shardOf,
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
  /** Retries of throttled and failed calls (backoff with full jitter). */
  retry?: RetryOptions;
  /** Largest value an event may carry. Default 399 KB: the item limit minus room for the event's other fields. */
  maxValueBytes?: number;
  /** Records remembered for single-request loads and read-free appends. Default 10,000; 0 turns it off. */
  cacheSize?: number;
  /** How long a large (split) append may hold an execution before another large append may take over. Default 60 s. */
  lockMs?: number;
}

/** 400 KB minus 1 KB for the event's key, writer token and other fields. */
export const DEFAULT_MAX_VALUE_BYTES = 399 * 1024;
const ALL_STATUSES: readonly ExecutionStatus[] = ["running", "suspended", "completed", "failed", "cancelled", "terminated"];
const CLOSED = ["completed", "failed", "cancelled", "terminated"] as const;
const RECORD_RANGE_END = "R$"; // just past "R#..." and before "U#"
const MAX_READ_ATTEMPTS = 5;

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

  constructor(options: DynamoDBStoreOptions) {
    if (!options.tableName) throw new TypeError("DynamoDBStore: tableName is required.");
    this.tableName = options.tableName;
    this.io = new Io(documentClient(options.client), options.tableName, new Retrier(options.retry));
    this.cache = new RecordCache(options.cacheSize ?? 10_000);
    this.placement = {
      dueShards: Math.max(1, Math.floor(options.dueShards ?? 16)),
      listShards: Math.max(1, Math.floor(options.listShards ?? 4)),
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    };
    this.lockMs = options.lockMs ?? 60_000;
    this.limits = { maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES };
    this.appendDeps = {
      io: this.io,
      cache: this.cache,
      placement: this.placement,
      lockMs: this.lockMs,
      readRecord: (id) => this.readRecord(id),
      expire: (id, keys, expiresAt, inbox) => this.expire(id, keys, expiresAt, inbox),
      cleanUpConsumed: (id, itemIds) => this.cleanUpConsumed(id, itemIds),
    };
  }

  async create(execution: NewExecution): Promise<CreateResult> {
    const id = execution.record.id;
    if (!validId(id)) {
      throw new ValidationError(
        `Execution id '${id.slice(0, 80)}' cannot be stored in DynamoDB: ids must be 1 to ${MAX_ID_BYTES} bytes.`,
        { executionId: id },
      );
    }
    const writer = newToken();
    const state: RecordState = { record: copyRecord(execution.record), rev: 1, writer, consumed: [], parts: {} };
    const { item, parts } = recordItems(state, undefined, this.placement);
    const events = execution.events.map((event) => eventItem(id, state.record.runs, event, writer));
    checkSize(id, item, "the execution record");
    for (const part of [...parts, ...events]) checkSize(id, part, `item ${String(part[ATTR.sk])}`);
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
   * One Query from the first wanted event to the end of the partition: the run's events, then the record, its parts
   * and the unread inbox, following LastEvaluatedKey (one request per 1 MB). The run comes from the last record seen
   * (0 for an execution not seen yet); a wrong guess costs one more query.
   */
  async load(id: string, options: LoadOptions = {}): Promise<LoadedPage | undefined> {
    if (!validId(id)) return undefined;
    const afterSeq = Math.max(0, Math.floor(options.afterSeq ?? 0));
    const limit = options.limit === undefined ? Infinity : Math.max(1, Math.floor(options.limit));
    let run = this.cache.get(id)?.record.runs ?? 0;
    for (let attempt = 1; ; attempt++) {
      const page = await this.loadRun(id, run, afterSeq, limit);
      if (page === undefined) return undefined;
      if (page === "retry" || page.state.record.runs !== run) {
        if (page !== "retry") run = page.state.record.runs;
        if (attempt < MAX_READ_ATTEMPTS) continue;
        throw new Error(`DynamoDBStore: execution '${id}' kept changing while it was read; try again.`);
      }
      this.cache.set(page.state);
      return { record: copyRecord(page.state.record), events: page.events, inbox: page.inbox, more: page.more };
    }
  }

  private async loadRun(id: string, run: number, afterSeq: number, limit: number) {
    const from = eventKey(run, afterSeq + 1);
    const events: { seq: number; item: Item }[] = [];
    let record: Item | undefined;
    const parts = new Map<string, Item>();
    let inbox: Item[] = [];
    let cut = false;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.io.queryPage("load", id, {
        KeyConditionExpression: "pk = :id AND sk >= :from",
        ExpressionAttributeValues: { ":id": id, ":from": from },
        ConsistentRead: true,
        ...(limit === Infinity ? {} : { Limit: limit + 64 }),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of page.items) {
        const sk = String(item[ATTR.sk]);
        if (sk === RECORD_SK) record = item;
        else if (sk.startsWith(RECORD_PART_PREFIX)) parts.set(sk.slice(RECORD_PART_PREFIX.length), item);
        else if (sk.startsWith(INBOX_PREFIX)) inbox.push(item);
        else {
          const key = parseEventKey(sk);
          if (key?.run !== run) continue;
          if (events.length < limit) events.push({ seq: key.seq, item });
          else cut = true;
        }
      }
      startKey = page.lastKey;
      if (record === undefined && events.length >= limit && startKey) {
        cut = true;
        break;
      }
    } while (startKey);
    if (record === undefined) {
      if (!cut) return undefined;
      // Stopped at the limit before the record: read the record and the inbox on their own.
      const top = await this.io.queryAll("load", id, {
        KeyConditionExpression: "pk = :id AND sk >= :record",
        ExpressionAttributeValues: { ":id": id, ":record": RECORD_SK },
        ConsistentRead: true,
      });
      inbox = [];
      for (const item of top) {
        const sk = String(item[ATTR.sk]);
        if (sk === RECORD_SK) record = item;
        else if (sk.startsWith(RECORD_PART_PREFIX)) parts.set(sk.slice(RECORD_PART_PREFIX.length), item);
        else if (sk.startsWith(INBOX_PREFIX)) inbox.push(item);
      }
      if (record === undefined) return undefined;
    }
    const decoded = decodeRecord(record, parts);
    if (decoded.missing.length > 0) return "retry" as const;
    const state = decoded.state;
    if (state.record.runs !== run) return { state, events: [], inbox: [], more: false };
    const version = state.record.version;
    let kept = events.filter((event) => event.seq <= version);
    // Events at or after splitFrom were read before the record: one of them may have been a failed split write's
    // garbage that a commit replaced since. Read them again now that the record is known.
    if (state.splitFrom !== undefined && kept.some((event) => event.seq >= state.splitFrom!)) {
      const first = Math.max(afterSeq + 1, state.splitFrom);
      kept = kept.filter((event) => event.seq < first);
      const again = await this.io.queryAll("load", id, {
        KeyConditionExpression: "pk = :id AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: { ":id": id, ":from": eventKey(run, first), ":to": eventKey(run, version) },
        ConsistentRead: true,
      });
      for (const item of again) {
        const key = parseEventKey(String(item[ATTR.sk]));
        if (key && kept.length < limit) kept.push({ seq: key.seq, item });
      }
    }
    const hidden = new Set(state.consumed);
    const last = kept.length > 0 ? kept[kept.length - 1]!.seq : afterSeq;
    return {
      state,
      events: kept.map((event) => decodeEvent(event.item)),
      inbox: inbox.map(decodeInboxItem).filter((item) => !hidden.has(item.id)),
      more: cut && last < version,
    };
  }

  append(id: string, request: AppendRequest): Promise<ExecutionRecord> {
    return appendEvents(this.appendDeps, id, request);
  }

  /**
   * One transaction: the dedupe marker (only if the key is new), the unread item, and the record's inbox counter and
   * due time (only if the execution exists and is open).
   */
  async writeInbox(id: string, item: InboxItem): Promise<InboxWriteResult> {
    if (!validId(id)) return { status: "not-found" };
    const marker = inboxItemAttributes(id, dedupeKey(item.key), item);
    const unread = unreadInboxItem(id, item);
    checkSize(id, unread, `inbox item '${item.name}'`);
    checkSize(id, marker, `the dedupe marker of inbox item '${item.name}'`);
    try {
      await this.io.transact("inbox write", id, [
        this.io.put(marker, { expression: "attribute_not_exists(pk)" }),
        this.io.put(unread, { expression: "attribute_not_exists(pk)" }),
        {
          Update: {
            TableName: this.tableName,
            Key: { [ATTR.pk]: id, [ATTR.sk]: RECORD_SK },
            UpdateExpression: "SET #seq = #seq + :one, #rev = #rev + :one, #shard = :shard, #due = :due",
            ConditionExpression: "attribute_exists(pk) AND NOT (#status IN (:c0, :c1, :c2, :c3))",
            ExpressionAttributeNames: {
              "#seq": "inboxSeq",
              "#rev": "rev",
              "#shard": ATTR.dueShard,
              "#due": ATTR.dueAt,
              "#status": "status",
            },
            ExpressionAttributeValues: {
              ":one": 1,
              ":shard": dueShardKey(shardOf(id, this.placement.dueShards)),
              ":due": indexNumber(item.at),
              ":c0": CLOSED[0],
              ":c1": CLOSED[1],
              ":c2": CLOSED[2],
              ":c3": CLOSED[3],
            },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
      ], newToken());
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      const recordFailed = error.failed(2);
      if (recordFailed && !error.reasons[2]?.item) return { status: "not-found" };
      if (error.failed(0)) {
        const existing = error.reasons[0]?.item ?? (await this.readItem(id, String(marker[ATTR.sk])));
        if (existing && existing.id !== item.id) return { status: "duplicate", existing: decodeInboxItem(existing) };
        if (existing) return { status: "written" }; // our own earlier attempt
      }
      if (error.failed(1) && !recordFailed) return { status: "written" };
      if (recordFailed) {
        const state = await this.readRecord(id);
        return state ? { status: "closed", record: copyRecord(state.record) } : { status: "not-found" };
      }
      throw error;
    }
    this.cache.delete(id);
    return { status: "written" };
  }

  /** Queries every shard of the due index (eventually consistent) and merges them, oldest first. */
  async listDue(now: number, options: { limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? Infinity;
    const shards = Array.from({ length: this.placement.dueShards }, (_, shard) => shard);
    const perShard = await Promise.all(
      shards.map(async (shard) => {
        const found: { id: string; at: number }[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.io.queryPage("listDue", undefined, {
            IndexName: DUE_INDEX,
            KeyConditionExpression: "#shard = :shard AND #due <= :now",
            ExpressionAttributeNames: { "#shard": ATTR.dueShard, "#due": ATTR.dueAt },
            ExpressionAttributeValues: { ":shard": dueShardKey(shard), ":now": now },
            ...(limit === Infinity ? {} : { Limit: limit }),
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          });
          for (const item of page.items) found.push({ id: String(item[ATTR.pk]), at: Number(item[ATTR.dueAt]) });
          startKey = page.lastKey;
        } while (startKey && found.length < limit);
        return found;
      }),
    );
    const merged = perShard.flat().sort((a, b) => a.at - b.at);
    const ids: string[] = [];
    const seen = new Set<string>();
    for (const { id } of merged) {
      if (ids.length >= limit) break;
      if (!seen.has(id)) ids.push(id), seen.add(id);
    }
    return ids;
  }

  /**
   * Queries the list index for each workflow, status and shard (newest first from each), merges them, and reads the
   * records themselves (strongly consistent) for the page. Without a workflow, the workflows come from the catalog.
   */
  async list(query: ListQuery): Promise<ListPage> {
    const statuses = query.status === undefined ? ALL_STATUSES : [query.status].flat();
    const workflows = query.workflow !== undefined ? [query.workflow] : await this.workflows();
    const limit = Math.max(1, query.limit ?? 100);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const partitions: string[] = [];
    for (const workflow of workflows) {
      for (const status of statuses) {
        for (let shard = 0; shard < this.placement.listShards; shard++) partitions.push(listPartitionKey(workflow, status, shard));
      }
    }
    let more = false;
    const candidates = (
      await Promise.all(
        partitions.map(async (partition) => {
          const page = await this.io.queryPage("list", undefined, {
            IndexName: LIST_INDEX,
            KeyConditionExpression: after === undefined ? "#pk = :pk" : "#pk = :pk AND #sk < :after",
            ExpressionAttributeNames: { "#pk": ATTR.listPk, ...(after === undefined ? {} : { "#sk": ATTR.listSk }) },
            ExpressionAttributeValues: { ":pk": partition, ...(after === undefined ? {} : { ":after": after }) },
            ScanIndexForward: false,
            Limit: limit,
          });
          if (page.lastKey) more = true;
          return page.items.map((item) => ({ id: String(item[ATTR.pk]), key: String(item[ATTR.listSk]) }));
        }),
      )
    )
      .flat()
      .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    if (candidates.length > limit) more = true;
    const taken = candidates.slice(0, limit);
    const records = await this.readRecords(taken.map((candidate) => candidate.id));
    const wanted = new Set<string>(statuses);
    const page: ListPage = {
      records: records.filter(
        (record) => wanted.has(record.status) && (query.workflow === undefined || record.workflow === query.workflow),
      ),
    };
    if (more && taken.length > 0) page.cursor = encodeCursor(taken[taken.length - 1]!.key);
    return page;
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  /** The record item and its parts, strongly consistent; retried when a part and the record disagree (a write landed between). */
  private async readRecord(id: string): Promise<RecordState | undefined> {
    if (!validId(id)) return undefined;
    for (let attempt = 1; ; attempt++) {
      const items = await this.io.queryAll("get", id, {
        KeyConditionExpression: "pk = :id AND sk BETWEEN :record AND :end",
        ExpressionAttributeValues: { ":id": id, ":record": RECORD_SK, ":end": RECORD_RANGE_END },
        ConsistentRead: true,
      });
      const record = items.find((item) => item[ATTR.sk] === RECORD_SK);
      if (!record) return undefined;
      const parts = new Map<string, Item>();
      for (const item of items) {
        const sk = String(item[ATTR.sk]);
        if (sk.startsWith(RECORD_PART_PREFIX)) parts.set(sk.slice(RECORD_PART_PREFIX.length), item);
      }
      const decoded = decodeRecord(record, parts);
      if (decoded.missing.length === 0) {
        this.cache.set(decoded.state);
        return decoded.state;
      }
      if (attempt >= MAX_READ_ATTEMPTS) {
        throw new Error(`DynamoDBStore: the record of execution '${id}' names parts that are missing (${decoded.missing.join(", ")}).`);
      }
    }
  }

  /** Records by id, in that order (missing ones left out); BatchGetItem, strongly consistent. */
  private async readRecords(ids: string[]): Promise<ExecutionRecord[]> {
    const found = new Map<string, Item>();
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => ({ [ATTR.pk]: id, [ATTR.sk]: RECORD_SK }));
      for (let round = 0; keys.length > 0; round++) {
        const output = await this.io.retrier.run("list", undefined, () =>
          this.io.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } })),
        );
        for (const item of output.Responses?.[this.tableName] ?? []) found.set(String(item[ATTR.pk]), item as Item);
        keys = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
        if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** Math.min(round, 6)));
      }
    }
    const records: ExecutionRecord[] = [];
    for (const id of ids) {
      const item = found.get(id);
      if (!item) continue;
      const decoded = decodeRecord(item, new Map());
      if (decoded.missing.length === 0) records.push(decoded.state.record);
      else {
        const full = await this.readRecord(id);
        if (full) records.push(full.record);
      }
    }
    return records.map(copyRecord);
  }

  private async readItem(id: string, sk: string): Promise<Item | undefined> {
    const items = await this.io.queryAll("read", id, {
      KeyConditionExpression: "pk = :id AND sk = :sk",
      ExpressionAttributeValues: { ":id": id, ":sk": sk },
      ConsistentRead: true,
    });
    return items[0];
  }

  /** Adds a workflow to the catalog (once per store instance). */
  private async catalog(workflow: string): Promise<void> {
    if (this.catalogued.has(workflow)) return;
    await this.io.retrier.run("catalog", undefined, () =>
      this.io.doc.send(new PutCommand({ TableName: this.tableName, Item: { [ATTR.pk]: CATALOG_PK, [ATTR.sk]: CATALOG_PREFIX + workflow } })),
    );
    this.catalogued.add(workflow);
  }

  private async workflows(): Promise<string[]> {
    const items = await this.io.queryAll("list", undefined, {
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": CATALOG_PK, ":prefix": CATALOG_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => String(item[ATTR.sk]).slice(CATALOG_PREFIX.length));
  }

  /** Sets the TTL attribute on items (events by key; with `inbox`, also the inbox items and dedupe markers). */
  private async expire(id: string, keys: string[], expiresAt: number, inbox: boolean): Promise<void> {
    const all = [...keys];
    if (inbox) {
      for (const prefix of [DEDUPE_PREFIX, INBOX_PREFIX]) {
        const items = await this.io.queryAll("expire", id, {
          KeyConditionExpression: "pk = :id AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":id": id, ":prefix": prefix },
          ProjectionExpression: "pk, sk",
          ConsistentRead: true,
        });
        for (const item of items) all.push(String(item[ATTR.sk]));
      }
    }
    for (let i = 0; i < all.length; i += MAX_TRANSACTION_ACTIONS) {
      const actions = all.slice(i, i + MAX_TRANSACTION_ACTIONS).map((sk) => ({
        Update: {
          TableName: this.tableName,
          Key: { [ATTR.pk]: id, [ATTR.sk]: sk },
          UpdateExpression: "SET #ttl = :ttl",
          ExpressionAttributeNames: { "#ttl": ATTR.expiresAt },
          ExpressionAttributeValues: { ":ttl": expiresAt },
        },
      }));
      await this.io.transact("expire", id, actions, newToken());
    }
  }

  /** Deletes inbox items a split append marked consumed, then drops their ids from the record. */
  private async cleanUpConsumed(id: string, itemIds: string[]): Promise<void> {
    for (let i = 0; i < itemIds.length; i += 25) {
      let requests: Record<string, unknown>[] = itemIds.slice(i, i + 25).map((itemId) => ({
        DeleteRequest: { Key: { [ATTR.pk]: id, [ATTR.sk]: INBOX_PREFIX + itemId } },
      }));
      while (requests.length > 0) {
        const output = await this.io.retrier.run("inbox clean-up", id, () =>
          this.io.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests as never } })),
        );
        requests = (output.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    }
    await this.io.retrier.run("inbox clean-up", id, () =>
      this.io.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [ATTR.pk]: id, [ATTR.sk]: RECORD_SK },
          UpdateExpression: "DELETE #consumed :ids ADD #rev :one",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#consumed": "consumed", "#rev": "rev" },
          ExpressionAttributeValues: { ":ids": new Set(itemIds), ":one": 1 },
        }),
      ),
    );
  }
}

function validId(id: string): boolean {
  return typeof id === "string" && id.length > 0 && bytes(id) <= MAX_ID_BYTES;
}

function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, "base64url").toString("utf8");
}
