// Items <-> Spindle values. Events, records and inbox items round-trip exactly: strings are stored as strings (values
// are JSON text already, so a value of N bytes costs N bytes, never re-escaped), safe integers and booleans natively,
// and anything else (objects, floats, null, text with a lone surrogate, which DynamoDB's UTF-8 would change) as JSON
// text. An inbox payload that is a JSON object of such texts (a callback's value, a child's result) is stored field by
// field for the same reason (payloadAttributes, in inbox-items.ts). Item sizes (sizes.ts) are computed the way DynamoDB counts them, so
// an item that cannot fit is refused before any write.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { ErrorRecord, ExecutionStatus, HistoryEvent } from "spindle";
import type { ExecutionRecord, WaitInfo } from "spindle/store";
import { CLOSED_STATUSES, copyRecord } from "spindle/store";
import {
  ATTR,
  dueShardKey,
  eventKey,
  listPartitionKey,
  listSortKey,
  RECORD_SK,
  recordPartKey,
  shardOf,
} from "./table.js";
import { bytes } from "./sizes.js";

export { bytes, itemSize } from "./sizes.js";

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** Record fields that move to their own item (`R#<field>`) when larger than `INLINE_FIELD_BYTES`. */
export const RECORD_FIELDS = ["input", "result", "error", "customStatus", "waitingFor"] as const;
export type RecordField = (typeof RECORD_FIELDS)[number];

/**
 * Largest record field kept inside the record item. Every append rewrites the record item, and DynamoDB charges a
 * write by the item's whole size, so larger fields (an input, a result, a custom status) live in their own items,
 * written once and rewritten only when they change.
 */
export const INLINE_FIELD_BYTES = 1024;

/** The record item: the execution record plus the store's own bookkeeping. */
export interface RecordState {
  record: ExecutionRecord;
  /** Incremented by every write of the record item (appends and inbox writes): a condition on it pins the item. */
  rev: number;
  /** Token of the append (or create) that wrote the record last: recognises an ambiguous write as our own. */
  writer: string;
  /** Smallest seq of the current run at which a split write may have left uncommitted items (see append.ts). */
  splitFrom?: number;
  /** A split write in progress: `key` is `<run>:<version>`. */
  lock?: { key: string; token: string; at: number };
  /** Inbox items consumed by a split write whose deletion is still pending; hidden from loads. */
  consumed: string[];
  /** Unread inbox items (not consumed, not hidden): lets a load that read the inbox before the record check it. */
  unread: number;
  /** rev of the `R#<field>` item of each field stored on its own. */
  parts: Partial<Record<RecordField, number>>;
}

/** How records are placed in the indexes and how long closed ones are kept. */
export interface Placement {
  dueShards: number;
  listShards: number;
  /** Keep closed executions this long (ms), then let TTL delete them. Undefined: keep them. */
  retentionMs?: number;
}

/** A number as stored: natively when DynamoDB gives the same number back, as text otherwise (-0, 1e300, NaN). */
export function encodeNumber(value: number): number | string {
  if (Object.is(value, -0)) return "-0";
  if (Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER && !String(value).includes("e")) return value;
  return String(value);
}

export function decodeNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

// ---- events ----------------------------------------------------------------------------------------------------

/** The item of one event: strings, safe integers and booleans in the map `e`, anything else as JSON text in `j`. */
export function eventItem(id: string, run: number, event: HistoryEvent, writer: string): Item {
  const native: Record<string, unknown> = {};
  let rest: Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(event)) {
    if (value === undefined) continue;
    if (typeof value === "string" ? isWellFormed(value) : typeof value === "boolean" || Number.isSafeInteger(value)) {
      native[name] = value;
    } else (rest ??= {})[name] = value;
  }
  const item: Item = { [ATTR.pk]: id, [ATTR.sk]: eventKey(run, event.seq), w: writer, e: native };
  if (rest) item.j = JSON.stringify(rest);
  return item;
}

/** The event an item holds, as stored (the engine validates it). */
export function decodeEvent(item: Item): unknown {
  const native = item.e;
  if (typeof native !== "object" || native === null) return { ...item };
  const event: Record<string, unknown> = { ...(native as Record<string, unknown>) };
  if (typeof item.j === "string") Object.assign(event, JSON.parse(item.j) as Record<string, unknown>);
  return event;
}

/** True when a string is well-formed Unicode (it survives DynamoDB's UTF-8 as it is). */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

// ---- records ---------------------------------------------------------------------------------------------------

function fieldText(record: ExecutionRecord, field: RecordField): string | undefined {
  switch (field) {
    case "input":
      return record.input;
    case "result":
      return record.result;
    case "customStatus":
      return record.customStatus;
    case "error":
      return record.error === undefined ? undefined : JSON.stringify(record.error);
    case "waitingFor":
      return JSON.stringify(record.waitingFor);
  }
}

function setField(record: ExecutionRecord, field: RecordField, text: string): void {
  switch (field) {
    case "input":
      record.input = text;
      return;
    case "result":
      record.result = text;
      return;
    case "customStatus":
      record.customStatus = text;
      return;
    case "error":
      record.error = JSON.parse(text) as ErrorRecord;
      return;
    case "waitingFor":
      record.waitingFor = JSON.parse(text) as WaitInfo[];
      return;
  }
}

/** Granularity of a running turn's lease in the due index (see dueAt). */
export const LEASE_GRANULARITY_MS = 30_000;

/**
 * When the execution is due: its wake-up time, or now-ish when its inbox has unread items. A running turn's lease
 * (a wake-up a minute or more ahead, renewed by every append) is rounded up to LEASE_GRANULARITY_MS, so the appends of
 * one turn leave the index key alone instead of rewriting the index entry each time.
 */
export function dueAt(record: ExecutionRecord): number | undefined {
  if (CLOSED_STATUSES.has(record.status) || record.status === "stuck") return undefined;
  if (record.inboxSeq > record.inboxSeen) {
    return record.wakeAt === undefined ? record.updatedAt : Math.min(record.wakeAt, record.updatedAt);
  }
  const wakeAt = record.wakeAt;
  if (record.status === "running" && wakeAt !== undefined && wakeAt - record.updatedAt >= 60_000) {
    return Math.ceil(wakeAt / LEASE_GRANULARITY_MS) * LEASE_GRANULARITY_MS;
  }
  return wakeAt;
}

/** A number usable as a GSI sort key (N): finite, no exponent. */
export function indexNumber(value: number): number {
  if (!Number.isFinite(value)) return value > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  const clamped = Math.min(Math.max(value, -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  return String(clamped).includes("e") ? Math.round(clamped) : clamped;
}

/**
 * The record item of `next`, and the `R#<field>` items to write with it. A field larger than INLINE_FIELD_BYTES gets
 * its own item tagged with the record's rev; when `prior` already stored the same text that way, it is not rewritten.
 * Sets `next.parts`.
 */
export function recordItems(next: RecordState, prior: RecordState | undefined, placement: Placement): { item: Item; parts: Item[] } {
  const { record } = next;
  const id = record.id;
  const item: Item = {
    [ATTR.pk]: id,
    [ATTR.sk]: RECORD_SK,
    workflow: record.workflow,
    runId: record.runId,
    runs: record.runs,
    status: record.status,
    version: record.version,
    createdAt: encodeNumber(record.createdAt),
    updatedAt: encodeNumber(record.updatedAt),
    inboxSeq: record.inboxSeq,
    inboxSeen: record.inboxSeen,
    rev: next.rev,
    w: next.writer,
    unread: next.unread,
  };
  if (record.parent) {
    item.parentId = record.parent.executionId;
    item.parentOp = record.parent.opId;
  }
  if (record.wakeAt !== undefined) item.wakeAt = encodeNumber(record.wakeAt);
  if (record.lease) {
    item.leaseOwner = record.lease.owner;
    item.leaseUntil = encodeNumber(record.lease.until);
  }
  const failures = record.turnFailures;
  if (failures) {
    item.tfCount = failures.count;
    item.tfReason = failures.reason;
    if (failures.nextAttemptAt !== undefined) item.tfNext = encodeNumber(failures.nextAttemptAt);
    if (failures.code !== undefined) item.tfCode = failures.code;
  }
  const parts: Item[] = [];
  const partRevs: Partial<Record<RecordField, number>> = {};
  for (const field of RECORD_FIELDS) {
    const text = fieldText(record, field);
    if (text === undefined) continue;
    if (bytes(text) <= INLINE_FIELD_BYTES) {
      item[field] = text;
      continue;
    }
    const priorRev = prior?.parts[field];
    if (priorRev !== undefined && prior !== undefined && fieldText(prior.record, field) === text) {
      partRevs[field] = priorRev;
    } else {
      partRevs[field] = next.rev;
      parts.push({ [ATTR.pk]: id, [ATTR.sk]: recordPartKey(field), rev: next.rev, value: text });
    }
    item[`${field}Part`] = partRevs[field];
  }
  next.parts = partRevs;
  if (next.splitFrom !== undefined) item.splitFrom = next.splitFrom;
  if (next.lock) {
    item.lockKey = next.lock.key;
    item.lockToken = next.lock.token;
    item.lockAt = next.lock.at;
  }
  if (next.consumed.length > 0) item.consumed = new Set(next.consumed);
  const shard = shardOf(id, placement.dueShards);
  const due = dueAt(record);
  if (due !== undefined) {
    item[ATTR.dueShard] = dueShardKey(shard);
    item[ATTR.dueAt] = indexNumber(due);
  }
  item[ATTR.listPk] = listPartitionKey(record.workflow, record.status, shardOf(id, placement.listShards));
  item[ATTR.listSk] = listSortKey(record.createdAt, id);
  const expiresAt = expiryOf(record, placement, RECORD_GRACE_MS);
  if (expiresAt !== undefined) item[ATTR.expiresAt] = expiresAt;
  return { item, parts };
}

/** The record outlives the rest of its execution by a day, so an id is never reused while old items linger. */
export const RECORD_GRACE_MS = 24 * 60 * 60 * 1000;

/** TTL (epoch seconds) of a closed execution's items, or undefined while open or when retention is off. */
export function expiryOf(record: ExecutionRecord, placement: Placement, extraMs = 0): number | undefined {
  if (placement.retentionMs === undefined || !CLOSED_STATUSES.has(record.status)) return undefined;
  return Math.ceil((record.updatedAt + placement.retentionMs + extraMs) / 1000);
}

/** What a record item (and the part items read with it) decode to; `missing` names parts not found at its rev. */
export interface DecodedRecord {
  state: RecordState;
  missing: RecordField[];
}

/** Decodes a record item; `parts` are the `R#<field>` items read with it, by field. */
export function decodeRecord(item: Item, parts: ReadonlyMap<string, Item>): DecodedRecord {
  const record: ExecutionRecord = {
    id: String(item[ATTR.pk]),
    workflow: String(item.workflow),
    runId: String(item.runId),
    runs: decodeNumber(item.runs),
    parent: undefined,
    status: item.status as ExecutionStatus,
    version: decodeNumber(item.version),
    input: undefined,
    result: undefined,
    error: undefined,
    customStatus: undefined,
    waitingFor: [],
    wakeAt: item.wakeAt === undefined ? undefined : decodeNumber(item.wakeAt),
    createdAt: decodeNumber(item.createdAt),
    updatedAt: decodeNumber(item.updatedAt),
    inboxSeq: decodeNumber(item.inboxSeq),
    inboxSeen: decodeNumber(item.inboxSeen),
    lease: typeof item.leaseOwner === "string" ? { owner: item.leaseOwner, until: decodeNumber(item.leaseUntil) } : undefined,
  };
  if (typeof item.parentId === "string") record.parent = { executionId: item.parentId, opId: String(item.parentOp) };
  if (item.tfCount !== undefined) {
    record.turnFailures = { count: decodeNumber(item.tfCount), reason: String(item.tfReason ?? "") };
    if (item.tfNext !== undefined) record.turnFailures.nextAttemptAt = decodeNumber(item.tfNext);
    if (typeof item.tfCode === "string") record.turnFailures.code = item.tfCode;
  }
  const missing: RecordField[] = [];
  const partRevs: Partial<Record<RecordField, number>> = {};
  for (const field of RECORD_FIELDS) {
    const inline = item[field];
    if (typeof inline === "string") {
      setField(record, field, inline);
      continue;
    }
    const rev = item[`${field}Part`];
    if (rev === undefined) continue;
    partRevs[field] = decodeNumber(rev);
    const part = parts.get(field);
    if (part && decodeNumber(part.rev) === partRevs[field] && typeof part.value === "string") setField(record, field, part.value);
    else missing.push(field);
  }
  const state: RecordState = {
    record,
    rev: decodeNumber(item.rev),
    writer: String(item.w ?? ""),
    consumed: item.consumed instanceof Set ? [...(item.consumed as Set<string>)] : [],
    unread: item.unread === undefined ? -1 : decodeNumber(item.unread),
    parts: partRevs,
  };
  if (item.splitFrom !== undefined) state.splitFrom = decodeNumber(item.splitFrom);
  if (typeof item.lockToken === "string") {
    state.lock = { key: String(item.lockKey), token: item.lockToken, at: decodeNumber(item.lockAt) };
  }
  return { state, missing };
}

/** A copy of a record, safe to hand out (the one every store uses). */
export { copyRecord };

export function copyState(state: RecordState): RecordState {
  const copy: RecordState = {
    record: copyRecord(state.record),
    rev: state.rev,
    writer: state.writer,
    consumed: [...state.consumed],
    unread: state.unread,
    parts: { ...state.parts },
  };
  if (state.splitFrom !== undefined) copy.splitFrom = state.splitFrom;
  if (state.lock) copy.lock = { ...state.lock };
  return copy;
}

// ---- raw attribute values (cancellation reasons are not unmarshalled by the document client) --------------------

/** Converts a low-level AttributeValue map to plain values, as the document client would. */
export function fromAttributeMap(map: Record<string, AttributeValue> | undefined): Item | undefined {
  if (!map) return undefined;
  const item: Item = {};
  for (const [name, value] of Object.entries(map)) item[name] = fromAttributeValue(value);
  return item;
}

function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return fromAttributeMap(value.M);
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  if (value.B !== undefined) return value.B;
  return undefined;
}
