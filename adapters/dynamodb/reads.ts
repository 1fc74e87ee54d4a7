// Strongly consistent reads of one execution: its record (with the large fields stored on their own), and a load page
// (the run's events, the record, the unread inbox) in one Query per 1 MB.
//
// A Query is not a snapshot: each item is read committed, in sort-key order (events, then the record, then the
// inbox). So a page checks what it read against the record: events past the record's version are dropped (a failed
// split write's leftovers), events the record counts but the query did not see yet are read again after it, and so are
// events at or after `splitFrom` (one of them may have been replaced since it was read). The inbox is read after the
// record, so no item the record counts can be missed.
//
// The record's `version` may lag behind its run: steps inside a turn are written without it (positions.ts). Each read
// adds the run's tail, the events contiguous after the stored version, read with the record or after it.
import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import type { ExecutionRecord, InboxItem } from "spindle/store";
import type { Item, RecordState } from "./codec.js";
import { copyRecord, decodeEvent, decodeRecord, RECORD_FIELDS } from "./codec.js";
import { decodeInboxItem } from "./inbox-items.js";
import type { Io } from "./io.js";
import { holdsEvents, isEvent, tailEnd } from "./positions.js";
import { Collected, readRecord } from "./read-record.js";
import { pendingStamps } from "./retention.js";

export { MAX_READ_ATTEMPTS, readRecord } from "./read-record.js";
import {
  ATTR,
  DEDUPE_PREFIX,
  EVENT_PREFIX,
  eventKey,
  INBOX_PREFIX,
  parseEventKey,
  RECORD_SK,
  recordPartKey,
} from "./table.js";

/** The largest sequence number a sort key holds: `eventKey(run, LAST_SEQ)` ends a run's range. */
const LAST_SEQ = 9_999_999_999;

/** A page as read: the record item decoded, the run's events and the unread inbox. */
export interface RunPage {
  state: RecordState;
  events: unknown[];
  inbox: InboxItem[];
  more: boolean;
  /** The TTL a closed execution's items still wait for (retention.ts), when its close left stamps pending. */
  pendingStamps?: number;
}

/**
 * Events of run `run` after `afterSeq` (at most `limit`), the record and the unread inbox. Undefined when there is no
 * execution; "retry" when the record and its parts disagreed. The record's run may differ from `run` (a wrong guess):
 * then no events are returned.
 */
export async function loadRun(
  io: Io,
  id: string,
  run: number,
  afterSeq: number,
  limit: number,
  known = 0,
): Promise<RunPage | "retry" | undefined> {
  const events: { seq: number; item: Item }[] = [];
  const top = new Collected();
  let cut = false;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await io.queryPage("load", id, {
      KeyConditionExpression: "pk = :id AND sk >= :from",
      ExpressionAttributeValues: { ":id": id, ":from": eventKey(run, afterSeq + 1) },
      ConsistentRead: true,
      ...(limit === Infinity ? {} : { Limit: limit + 64 }),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    for (const item of page.items) {
      if (top.take(item)) continue;
      const key = parseEventKey(String(item[ATTR.sk]));
      if (key?.run !== run) continue;
      if (events.length < limit) events.push({ seq: key.seq, item });
      else cut = true;
    }
    startKey = page.lastKey;
    if (top.record === undefined && events.length >= limit && startKey) {
      cut = true;
      break;
    }
  } while (startKey);
  if (top.record === undefined) {
    if (!cut) return undefined;
    // Stopped at the limit before the record: read the record and the inbox on their own.
    const rest = new Collected();
    for (const item of await io.queryAll("load", id, rangeFrom(id, RECORD_SK))) rest.take(item);
    if (rest.record === undefined) return undefined;
    return finish(io, id, run, afterSeq, limit, events, rest, cut, known);
  }
  return finish(io, id, run, afterSeq, limit, events, top, cut, known);
}

async function finish(
  io: Io,
  id: string,
  run: number,
  afterSeq: number,
  limit: number,
  read: { seq: number; item: Item }[],
  top: Collected,
  cut: boolean,
  known: number,
): Promise<RunPage | "retry"> {
  const decoded = decodeRecord(top.record!, top.parts);
  if (decoded.missing.length > 0) return "retry";
  const state = decoded.state;
  if (state.record.runs !== run) return { state, events: [], inbox: [], more: false };
  const stored = state.record.version;
  // The tail: events after the stored version, read before the record (they never change once written). Asked for
  // events past positions this read did not cover, it checks them first unless this store has seen them.
  const base = afterSeq <= stored || known >= afterSeq || (await holdsEvents(io, id, run, stored, afterSeq, stored)) ? Math.max(stored, afterSeq) : stored;
  const version = tailEnd(base, stored, read);
  state.record.version = version;
  let kept = read.filter((event) => event.seq <= version && (event.seq <= stored ? isEvent(event.item, event.seq, stored) : true));
  let dropped = false;
  if (state.splitFrom !== undefined) {
    const first = Math.max(afterSeq + 1, state.splitFrom);
    dropped = kept.some((event) => event.seq >= first);
    kept = kept.filter((event) => event.seq < first);
  }
  let last = kept.length > 0 ? kept[kept.length - 1]!.seq : afterSeq;
  if (last < version && kept.length < limit && (!cut || dropped)) {
    // Read after the record: every event up to its version is committed and can no longer change.
    const again = await io.queryAll("load", id, {
      KeyConditionExpression: "pk = :id AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":id": id, ":from": eventKey(run, last + 1), ":to": eventKey(run, version) },
      ConsistentRead: true,
    });
    for (const item of again) {
      const key = parseEventKey(String(item[ATTR.sk]));
      if (!key || !isEvent(item, key.seq, version)) continue;
      if (kept.length >= limit) {
        cut = true;
        break;
      }
      kept.push({ seq: key.seq, item });
    }
    last = kept.length > 0 ? kept[kept.length - 1]!.seq : afterSeq;
  }
  const hidden = new Set(state.consumed);
  return {
    ...pending(top.record),
    state,
    events: kept.map((event) => decodeEvent(event.item)),
    inbox: top.inbox.map(decodeInboxItem).filter((item) => !hidden.has(item.id)),
    // Cut at the limit: what follows may be more of the tail.
    more: cut && (last < version || last >= stored),
  };
}

/**
 * A load with no idea of the run (this store has not seen the execution): one Query backwards from the top of the
 * partition. It meets the inbox, the record's parts and the record first, then the current run's events from the
 * newest, read after the record and so committed; it follows pages until it reaches event `afterSeq + 1`. The inbox
 * was read before the record, so its count is checked against the record's and read again on a mismatch. When the
 * current run is short, the last page may run on into a previous run's events (read, not returned).
 */
export async function loadCold(io: Io, id: string, afterSeq: number): Promise<RunPage | "retry" | undefined> {
  const top = new Collected();
  let state: RecordState | undefined;
  const newestFirst: { seq: number; item: Item }[] = [];
  let reachedStart = false;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await io.queryPage("load", id, {
      KeyConditionExpression: "pk = :id",
      ExpressionAttributeValues: { ":id": id },
      ConsistentRead: true,
      ScanIndexForward: false,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    for (const item of page.items) {
      const sk = String(item[ATTR.sk]);
      if (state === undefined) {
        if (sk.startsWith(EVENT_PREFIX) || sk.startsWith(DEDUPE_PREFIX)) return undefined; // events without a record
        top.take(item);
        if (top.record !== undefined) {
          const decoded = decodeRecord(top.record, top.parts);
          if (decoded.missing.length > 0) return "retry";
          state = decoded.state;
        }
        continue;
      }
      const key = parseEventKey(sk);
      if (!key || key.run !== state.record.runs || key.seq <= afterSeq) {
        reachedStart = true;
        break;
      }
      newestFirst.push({ seq: key.seq, item });
      if (key.seq === afterSeq + 1) {
        reachedStart = true;
        break;
      }
    }
    startKey = page.lastKey;
  } while (startKey && !reachedStart);
  if (state === undefined) return undefined;
  let inbox = top.inbox.reverse(); // read newest first
  const hidden = new Set(state.consumed);
  const visible = inbox.filter((item) => !hidden.has(String(item.id)));
  if (visible.length !== state.unread) {
    // An inbox write (or a consuming append) landed between reading the inbox and the record: read it again.
    inbox = await io.queryAll("load", id, {
      KeyConditionExpression: "pk = :id AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":id": id, ":prefix": INBOX_PREFIX },
      ConsistentRead: true,
    });
  }
  const events = await withTail(io, id, state, afterSeq, newestFirst.reverse());
  return {
    ...pending(top.record),
    state,
    events: events.map((event) => decodeEvent(event.item)),
    inbox: inbox.map(decodeInboxItem).filter((item) => !hidden.has(item.id)),
    more: false,
  };
}

/**
 * The events of `read` (the run's items after `afterSeq`, ascending, all of them up to the end of the run) that the
 * record counts or that follow it as its tail; moves the record's version to the tail's end.
 */
async function withTail(io: Io, id: string, state: RecordState, afterSeq: number, read: { seq: number; item: Item }[]) {
  const stored = state.record.version;
  const run = state.record.runs;
  const base = afterSeq <= stored || (await holdsEvents(io, id, run, stored, afterSeq, stored)) ? Math.max(stored, afterSeq) : stored;
  const version = tailEnd(base, stored, read);
  state.record.version = version;
  return read.filter((event) => event.seq > afterSeq && event.seq <= version && (event.seq > stored || isEvent(event.item, event.seq, stored)));
}

/** A load with a limit and no idea of the run: the record and inbox first, then the events from `afterSeq + 1`. */
export async function loadFromRecord(io: Io, id: string, afterSeq: number, limit: number): Promise<RunPage | "retry" | undefined> {
  const top = new Collected();
  for (const item of await io.queryAll("load", id, rangeFrom(id, RECORD_SK))) top.take(item);
  if (top.record === undefined) return undefined;
  const decoded = decodeRecord(top.record, top.parts);
  if (decoded.missing.length > 0) return "retry";
  const state = decoded.state;
  const run = state.record.runs;
  const read: { seq: number; item: Item }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    // To the end of the run: the events after the record's version are its tail (see positions.ts).
    const page = await io.queryPage("load", id, {
      KeyConditionExpression: "pk = :id AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":id": id, ":from": eventKey(run, afterSeq + 1), ":to": eventKey(run, LAST_SEQ) },
      ConsistentRead: true,
      Limit: limit - read.length + 1,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    for (const item of page.items) read.push({ seq: parseEventKey(String(item[ATTR.sk]))!.seq, item });
    startKey = page.lastKey;
  } while (startKey && read.length <= limit);
  const events = await withTail(io, id, state, afterSeq, read);
  const hidden = new Set(state.consumed);
  return {
    ...pending(top.record),
    state,
    events: events.slice(0, limit).map((event) => decodeEvent(event.item)),
    inbox: top.inbox.map(decodeInboxItem).filter((item) => !hidden.has(item.id)),
    more: events.length > limit || (startKey !== undefined && events.length === limit),
  };
}

function pending(record: Item | undefined): { pendingStamps?: number } {
  const at = pendingStamps(record);
  return at === undefined ? {} : { pendingStamps: at };
}

function rangeFrom(id: string, from: string) {
  return {
    KeyConditionExpression: "pk = :id AND sk >= :from",
    ExpressionAttributeValues: { ":id": id, ":from": from },
    ConsistentRead: true,
  };
}

/**
 * Records by id, in that order (missing ones left out): BatchGetItem, strongly consistent; the large fields of the
 * records that have some in a second batch.
 */
export async function readRecords(io: Io, ids: string[]): Promise<ExecutionRecord[]> {
  const found = await batchGet(io, ids.map((id) => ({ id, sk: RECORD_SK })));
  const wanted: { id: string; sk: string }[] = [];
  for (const id of ids) {
    const item = found.get(`${id}\u0000${RECORD_SK}`);
    if (!item) continue;
    for (const field of decodeRecord(item, new Map()).missing) wanted.push({ id, sk: recordPartKey(field) });
  }
  const parts = wanted.length > 0 ? await batchGet(io, wanted) : new Map<string, Item>();
  const records: ExecutionRecord[] = [];
  for (const id of ids) {
    const item = found.get(`${id}\u0000${RECORD_SK}`);
    if (!item) continue;
    const mine = new Map<string, Item>();
    for (const field of RECORD_FIELDS) {
      const part = parts.get(`${id}\u0000${recordPartKey(field)}`);
      if (part) mine.set(field, part);
    }
    const decoded = decodeRecord(item, mine);
    // A part that does not match its record's rev was rewritten in between: read that record on its own.
    const state = decoded.missing.length === 0 ? decoded.state : await readRecord(io, id);
    if (state) records.push(copyRecord(state.record));
  }
  return records;
}

/** Items by key, 100 per BatchGetItem, unprocessed keys retried; keyed `<pk>\0<sk>`. */
async function batchGet(io: Io, keys: { id: string; sk: string }[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  for (let i = 0; i < keys.length; i += 100) {
    let batch: Record<string, unknown>[] = keys.slice(i, i + 100).map(({ id, sk }) => ({ [ATTR.pk]: id, [ATTR.sk]: sk }));
    for (let round = 0; batch.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** Math.min(round, 6)));
      const output = await io.retrier.run("list", undefined, (signal) =>
        io.doc.send(new BatchGetCommand({ RequestItems: { [io.table]: { Keys: batch, ConsistentRead: true } } }), { abortSignal: signal }),
      );
      for (const item of output.Responses?.[io.table] ?? []) found.set(`${item[ATTR.pk]}\u0000${item[ATTR.sk]}`, item as Item);
      batch = (output.UnprocessedKeys?.[io.table]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
}

/** One item by key, strongly consistent. */
export async function readItem(io: Io, id: string, sk: string): Promise<Item | undefined> {
  const items = await io.queryAll("read", id, {
    KeyConditionExpression: "pk = :id AND sk = :sk",
    ExpressionAttributeValues: { ":id": id, ":sk": sk },
    ConsistentRead: true,
  });
  return items[0];
}
