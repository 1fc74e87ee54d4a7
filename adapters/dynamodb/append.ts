// Appends: a turn's events and the record update written atomically, conditional on the record's `rev` (which pins
// the whole record item: run, version, inbox counters), so two writers never both win a version.
//
// One transaction when the turn fits (100 actions, 4 MB). A larger turn is split, and stays atomic:
//   1. The first chunk claims the version: it rewrites the record with a lock (`<run>:<version>`, our token) and
//      `splitFrom` (the first seq that may hold uncommitted items), together with the first events.
//   2. Each further chunk writes events with a ConditionCheck that the lock is still ours at that version.
//   3. The last transaction writes the record (new version, lock removed) with the remaining events, conditional on
//      the lock and rev. Only this step makes the events visible: loads return events up to the record's version.
// Events past the record's version are garbage a failed split left behind; any later commit overwrites them (event
// puts are guarded by the record's condition, not by item existence), and loads re-read events at or after
// `splitFrom` once they have read the record, so a garbage item read before a commit is never returned. A writer
// that dies holding the lock blocks other split writers for `lockMs`, never normal ones.
//
// An ambiguous write (applied, the response lost, the retry failing its condition) is recognised by the writer token
// left on the record (and on the first event) and reported as success.
import type { AppendRequest, ExecutionRecord, HistoryEvent, Logger } from "spindle";
import { ConcurrencyError, ExecutionNotFoundError, PayloadTooLargeError } from "spindle";
import type { Item, Placement, RecordState } from "./codec.js";
import { copyRecord, decodeRecord, eventItem, expiryOf, itemSize, RECORD_FIELDS, RECORD_GRACE_MS, recordItems } from "./codec.js";
import type { Io, RecordCache, TransactAction } from "./io.js";
import { ConditionFailed, newToken } from "./io.js";
import {
  ATTR,
  eventKey,
  inboxKey,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_ACTIONS,
  MAX_TRANSACTION_BYTES,
  RECORD_SK,
  recordPartKey,
} from "./table.js";

/** What an append needs from the store. */
export interface AppendDeps {
  io: Io;
  cache: RecordCache;
  placement: Placement;
  lockMs: number;
  /** Reads the record item (and its parts) afresh. */
  readRecord(id: string): Promise<RecordState | undefined>;
  /** Stamps TTL on these items (and, with `inbox`, on the execution's inbox items and dedupe markers). */
  expire(id: string, keys: string[], expiresAt: number, inbox: boolean): Promise<void>;
  /** Removes inbox items a split write could not delete in its last transaction. */
  cleanUpConsumed(id: string, itemIds: string[]): Promise<void>;
  /** Where failures after a commit are reported. */
  logger: Pick<Logger, "warn">;
}

/** Internal retries when only the record's rev moved (an inbox write or an event-less append landed meanwhile). */
const MAX_REBASES = 25;
const DELETE_BYTES = 1100;

/** An event item with its size, in write order. */
interface Pending {
  item: Item;
  size: number;
}

/**
 * Appends events and updates the record atomically.
 * @throws ConcurrencyError, ExecutionNotFoundError, PayloadTooLargeError (before any write), StoreUnavailableError.
 */
export async function appendEvents(deps: AppendDeps, id: string, request: AppendRequest): Promise<ExecutionRecord> {
  checkSequence(id, request.events, request.expectedVersion + 1);
  const next = request.continueAsNew;
  if (next) checkSequence(id, next.events, 1);

  let prior = deps.cache.get(id);
  if (!prior || prior.record.runId !== request.runId || prior.record.version !== request.expectedVersion) {
    prior = await deps.readRecord(id);
  }
  if (!prior) throw notFound(id);
  checkCurrent(id, prior, request);

  const writer = newToken();
  const run = prior.record.runs;
  const pending: Pending[] = [
    ...request.events.map((event) => sized(id, event, eventItem(id, run, event, writer))),
    ...(next?.events ?? []).map((event) => sized(id, event, eventItem(id, run + 1, event, writer))),
  ];
  const firstNewRunIndex = request.events.length;

  const eventBytes = pending.reduce((sum, event) => sum + event.size, 0);
  let committed: RecordState | undefined;
  const base = prior;
  for (let rebase = 0; !committed; rebase++) {
    const state = nextState(prior, request, writer);
    // Inbox items a split turn could not delete in its commit go now, when they fit.
    const sweep = prior.consumed.length > 0 && 6 + pending.length + request.consumeInbox.length + prior.consumed.length <= MAX_TRANSACTION_ACTIONS
      ? prior.consumed
      : [];
    if (sweep.length > 0) state.consumed = [];
    const { item, parts } = recordItems(state, prior, deps.placement);
    checkSize(id, item, "the execution record");
    for (const part of parts) checkSize(id, part, `the ${String(part[ATTR.sk]).slice(2)} of the execution record`);
    const deletes = [...request.consumeInbox, ...sweep].map((itemId) => deleteAction(deps.io, id, itemId));
    const fixedBytes = itemSize(item) + parts.reduce((sum, part) => sum + itemSize(part), 0) + deletes.length * DELETE_BYTES;
    const actions = 1 + parts.length + deletes.length + pending.length;
    try {
      if (actions <= MAX_TRANSACTION_ACTIONS && fixedBytes + eventBytes <= MAX_TRANSACTION_BYTES) {
        await deps.io.transact("append", id, [
          deps.io.put(item, { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": prior.rev } }),
          ...parts.map((part) => deps.io.put(part)),
          ...deletes,
          ...pending.map((event) => deps.io.put(event.item)),
        ], `${writer}-${rebase}`);
        committed = state;
      } else {
        committed = await splitAppend(deps, id, request, prior, pending, firstNewRunIndex, writer);
      }
    } catch (error) {
      if (!(error instanceof ConditionFailed) || !error.failed(0)) throw error;
      const outcome = await resolveConflict(deps, id, request, prior, state, error.reasons[0]?.item, writer, pending);
      if (outcome.done) committed = outcome.state;
      else if (rebase >= MAX_REBASES) throw conflict(id, request, outcome.state);
      else prior = outcome.state;
    }
  }
  deps.cache.set(committed);
  await afterCommit(deps, id, request, base, committed);
  return copyRecord(committed.record);
}

/** The record after the append: the update applied to `prior`, as MemoryStore applies it. */
function nextState(prior: RecordState, request: AppendRequest, writer: string): RecordState {
  const record = copyRecord(prior.record);
  const update = request.update;
  const next = request.continueAsNew;
  record.version = request.expectedVersion + request.events.length;
  if (next) {
    record.runId = next.runId;
    record.runs += 1;
    record.version = next.events.length;
    record.input = next.input;
  }
  record.status = update.status;
  record.waitingFor = update.waitingFor.map((wait) => ({ ...wait }));
  record.wakeAt = update.wakeAt ?? undefined;
  if (update.customStatus !== undefined) record.customStatus = update.customStatus;
  if (update.result !== undefined) record.result = update.result;
  if (update.error !== undefined) record.error = update.error;
  record.inboxSeen = Math.max(record.inboxSeen, update.inboxSeen);
  record.updatedAt = update.updatedAt;
  const state: RecordState = { record, rev: prior.rev + 1, writer, consumed: [...prior.consumed], parts: { ...prior.parts } };
  if (!next && prior.splitFrom !== undefined) state.splitFrom = prior.splitFrom;
  // A lock names a version; it stays meaningful only while the version does.
  if (!next && request.events.length === 0 && prior.lock) state.lock = { ...prior.lock };
  return state;
}

/**
 * A condition on the record failed. Our own earlier attempt (ambiguous write) is success; a moved run or version is a
 * conflict; anything else (only rev moved) means: rebase on the current record and try again.
 */
async function resolveConflict(
  deps: AppendDeps,
  id: string,
  request: AppendRequest,
  prior: RecordState,
  intended: RecordState,
  oldItem: Item | undefined,
  writer: string,
  pending: Pending[],
): Promise<{ done: true; state: RecordState } | { done: false; state: RecordState }> {
  if (!oldItem) throw notFound(id);
  const old = decodeRecord(oldItem, new Map()).state;
  if (old.writer === writer) {
    // Our write was applied; only inbox writes can have touched the record since.
    intended.record.inboxSeq = old.record.inboxSeq;
    intended.rev = old.rev;
    return { done: true, state: intended };
  }
  if (old.record.runId !== request.runId || old.record.version !== request.expectedVersion) {
    if (pending.length > 0 && (await firstEventIsOurs(deps, id, pending[0]!.item, writer))) {
      return { done: true, state: intended };
    }
    throw conflict(id, request, old);
  }
  // Same run and version: the record changed under us (an inbox write). Fill in its large fields and rebase.
  const sameParts = RECORD_FIELDS.every((field) => old.parts[field] === prior.parts[field]);
  if (sameParts) {
    for (const field of RECORD_FIELDS) if (old.parts[field] !== undefined) copyField(old.record, prior.record, field);
    return { done: false, state: old };
  }
  const fresh = await deps.readRecord(id);
  if (!fresh) throw notFound(id);
  checkCurrent(id, fresh, request);
  return { done: false, state: fresh };
}

function copyField(target: ExecutionRecord, source: ExecutionRecord, field: (typeof RECORD_FIELDS)[number]): void {
  if (field === "waitingFor") target.waitingFor = source.waitingFor.map((wait) => ({ ...wait }));
  else if (field === "error") target.error = source.error;
  else target[field] = source[field];
}

async function firstEventIsOurs(deps: AppendDeps, id: string, first: Item, writer: string): Promise<boolean> {
  const items = await deps.io.queryAll("append check", id, {
    KeyConditionExpression: "pk = :id AND sk = :sk",
    ExpressionAttributeValues: { ":id": id, ":sk": first[ATTR.sk] },
    ConsistentRead: true,
  });
  return items[0]?.w === writer;
}

/** Steps 1-3 of the header: claim with the first chunk, write the middle chunks, commit with the last. */
async function splitAppend(
  deps: AppendDeps,
  id: string,
  request: AppendRequest,
  prior: RecordState,
  pending: Pending[],
  firstNewRunIndex: number,
  writer: string,
): Promise<RecordState> {
  const { io } = deps;
  const run = prior.record.runs;
  const lockKey = `${run}:${request.expectedVersion}`;
  const now = Date.now();
  if (prior.lock && prior.lock.key === lockKey && prior.lock.token !== writer && now - prior.lock.at < deps.lockMs) {
    throw new ConcurrencyError(
      `Execution '${id}': another writer is appending a large turn at version ${request.expectedVersion}. This ` +
        `turn stops; resume again to continue from the stored history.`,
      { executionId: id },
    );
  }
  // The last transaction: the record, its parts, the inbox deletes that fit, and as many trailing events as fit.
  let state = nextState(prior, request, writer);
  const probe = recordItems(nextState(prior, request, writer), prior, deps.placement);
  let budgetActions = MAX_TRANSACTION_ACTIONS - 1 - probe.parts.length;
  let budgetBytes = MAX_TRANSACTION_BYTES - itemSize(probe.item) - probe.parts.reduce((sum, part) => sum + itemSize(part), 0);
  budgetBytes -= request.consumeInbox.length * 40 + 2048; // the record grows by the ids it may have to carry
  const deleted: string[] = [];
  const carried: string[] = [];
  for (const itemId of request.consumeInbox) {
    if (budgetActions > 1 && budgetBytes > DELETE_BYTES) {
      deleted.push(itemId);
      budgetActions--;
      budgetBytes -= DELETE_BYTES;
    } else carried.push(itemId);
  }
  let tailStart = pending.length;
  while (tailStart > 0 && budgetActions > 0 && budgetBytes >= pending[tailStart - 1]!.size) {
    tailStart--;
    budgetActions--;
    budgetBytes -= pending[tailStart]!.size;
  }
  const chunks = chunk(pending.slice(0, tailStart), MAX_TRANSACTION_ACTIONS - 1, MAX_TRANSACTION_BYTES - 4096);

  // 1. Claim the version with the first chunk.
  let base = prior;
  let claimed: RecordState | undefined;
  for (let attempt = 0; attempt < MAX_REBASES && !claimed; attempt++) {
    const claim: RecordState = { ...base, record: copyRecord(base.record), rev: base.rev + 1, consumed: [...base.consumed], parts: { ...base.parts } };
    claim.lock = { key: lockKey, token: writer, at: now };
    claim.splitFrom = Math.min(base.splitFrom ?? Infinity, request.expectedVersion + 1);
    const { item } = recordItems(claim, base, deps.placement);
    try {
      await io.transact("append (claim)", id, [
        io.put(item, { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": base.rev } }),
        ...(chunks[0] ?? []).map((event) => io.put(event.item)),
      ], `${writer}-c${attempt}`);
      claimed = claim;
    } catch (error) {
      if (!(error instanceof ConditionFailed) || !error.failed(0)) throw error;
      const oldItem = error.reasons[0]?.item;
      if (!oldItem) throw notFound(id);
      const old = decodeRecord(oldItem, new Map()).state;
      if (old.lock?.token === writer) {
        claimed = { ...old, record: mergeFields(old, base) };
        break;
      }
      if (old.record.runId !== request.runId || old.record.version !== request.expectedVersion) throw conflict(id, request, old);
      base = { ...old, record: mergeFields(old, base) };
    }
  }
  if (!claimed) throw conflict(id, request, base);

  // 2. The middle chunks, each conditional on the lock.
  const lockHeld = {
    TableName: io.table,
    Key: { [ATTR.pk]: id, [ATTR.sk]: RECORD_SK },
    ConditionExpression: "#lock = :token AND #version = :version AND #run = :run",
    ExpressionAttributeNames: { "#lock": "lockToken", "#version": "version", "#run": "runId" },
    ExpressionAttributeValues: { ":token": writer, ":version": request.expectedVersion, ":run": request.runId },
  };
  for (let i = 1; i < chunks.length; i++) {
    try {
      await io.transact("append (chunk)", id, [{ ConditionCheck: lockHeld }, ...chunks[i]!.map((event) => io.put(event.item))], `${writer}-p${i}`);
    } catch (error) {
      if (error instanceof ConditionFailed) throw conflict(id, request, undefined);
      throw error;
    }
  }

  // 3. Commit: the record (lock removed) with the remaining events.
  base = claimed;
  for (let attempt = 0; attempt < MAX_REBASES; attempt++) {
    state = nextState(base, request, writer);
    state.lock = undefined;
    state.consumed = [...base.consumed, ...carried];
    // A continued run whose first events went out in chunks may hold garbage from a failed attempt: re-read it all.
    if (request.continueAsNew) state.splitFrom = tailStart > firstNewRunIndex ? 1 : undefined;
    const { item, parts } = recordItems(state, base, deps.placement);
    checkSize(id, item, "the execution record");
    try {
      await io.transact("append (commit)", id, [
        io.put(item, {
          expression: "#rev = :rev AND #lock = :token",
          names: { "#rev": "rev", "#lock": "lockToken" },
          values: { ":rev": base.rev, ":token": writer },
        }),
        ...parts.map((part) => io.put(part)),
        ...deleted.map((itemId) => deleteAction(io, id, itemId)),
        ...pending.slice(tailStart).map((event) => io.put(event.item)),
      ], `${writer}-f${attempt}`);
      return state;
    } catch (error) {
      if (!(error instanceof ConditionFailed) || !error.failed(0)) throw error;
      const oldItem = error.reasons[0]?.item;
      if (!oldItem) throw notFound(id);
      const old = decodeRecord(oldItem, new Map()).state;
      if (old.writer === writer) {
        state.record.inboxSeq = old.record.inboxSeq;
        state.rev = old.rev;
        return state;
      }
      if (old.lock?.token !== writer || old.record.version !== request.expectedVersion || old.record.runId !== request.runId) {
        throw conflict(id, request, old);
      }
      base = { ...old, record: mergeFields(old, base) };
    }
  }
  throw conflict(id, request, base);
}

/** `old`'s record with the large fields (not in an ALL_OLD record item) taken from `known` where their rev matches. */
function mergeFields(old: RecordState, known: RecordState): ExecutionRecord {
  const record = copyRecord(old.record);
  for (const field of RECORD_FIELDS) {
    if (old.parts[field] === undefined) continue;
    if (old.parts[field] !== known.parts[field]) {
      throw new ConcurrencyError(
        `Execution '${old.record.id}': its record changed while a large turn was being written. This turn stops; ` +
          `resume again to continue from the stored history.`,
        { executionId: old.record.id },
      );
    }
    copyField(record, known.record, field);
  }
  return record;
}

/**
 * After a commit: the clean-up of inbox items a split turn could not delete, and TTL stamps for a finished run or a
 * closed execution. The append has succeeded whatever happens here, so a failure is only logged: the next append
 * deletes leftover consumed items (they stay hidden meanwhile); items that missed their TTL stamp outlive retention.
 */
async function afterCommit(deps: AppendDeps, id: string, request: AppendRequest, prior: RecordState, committed: RecordState): Promise<void> {
  try {
    await housekeeping(deps, id, request, prior, committed);
  } catch (error) {
    deps.logger.warn(
      `DynamoDBStore: execution '${id}' was appended to, but its housekeeping failed (${(error as Error)?.message}). ` +
        `Consumed inbox items stay hidden until the next append deletes them; TTL stamps missing on some items mean ` +
        `they are kept past the retention period.`,
      { executionId: id },
    );
  }
}

async function housekeeping(deps: AppendDeps, id: string, request: AppendRequest, prior: RecordState, committed: RecordState): Promise<void> {
  const carried = committed.consumed.filter((itemId) => !prior.consumed.includes(itemId));
  if (carried.length > 0) {
    deps.cache.invalidate(id);
    await deps.cleanUpConsumed(id, carried);
  }
  if (deps.placement.retentionMs === undefined) return;
  if (request.continueAsNew) {
    const ended = request.expectedVersion + request.events.length;
    const expiresAt = Math.ceil((request.update.updatedAt + deps.placement.retentionMs) / 1000);
    await deps.expire(id, eventKeys(prior.record.runs, ended), expiresAt, false);
  }
  const expiresAt = expiryOf(committed.record, deps.placement);
  if (expiresAt !== undefined && expiryOf(prior.record, deps.placement) === undefined) {
    await deps.expire(id, eventKeys(committed.record.runs, committed.record.version), expiresAt, true);
    // The record's own large fields go with the record, a day after the rest.
    const parts = RECORD_FIELDS.filter((field) => committed.parts[field] !== undefined).map(recordPartKey);
    if (parts.length > 0) await deps.expire(id, parts, expiryOf(committed.record, deps.placement, RECORD_GRACE_MS)!, false);
  }
}

function eventKeys(run: number, last: number): string[] {
  return Array.from({ length: last }, (_, i) => eventKey(run, i + 1));
}

function deleteAction(io: Io, id: string, itemId: string): TransactAction {
  return { Delete: { TableName: io.table, Key: { [ATTR.pk]: id, [ATTR.sk]: inboxKey(itemId) } } };
}

function chunk(events: Pending[], maxActions: number, maxBytes: number): Pending[][] {
  const chunks: Pending[][] = [];
  let current: Pending[] = [];
  let size = 0;
  for (const event of events) {
    if (current.length > 0 && (current.length >= maxActions || size + event.size > maxBytes)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(event);
    size += event.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function sized(id: string, event: HistoryEvent, item: Item): Pending {
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) {
    const operation = `${event.kind} '${event.name}' (#${event.opId})`;
    throw new PayloadTooLargeError(
      `Execution '${id}': the ${event.type} event of ${operation} would be a DynamoDB item of ` +
        `${size.toLocaleString("en-US")} bytes; the limit is ${MAX_ITEM_BYTES.toLocaleString("en-US")} bytes (400 KB, ` +
        `attribute names included). Nothing was written. Make the value smaller, or keep it elsewhere (S3) and pass a ` +
        `reference.`,
      { executionId: id, operation, size, limit: MAX_ITEM_BYTES },
    );
  }
  return { item, size };
}

/** @throws PayloadTooLargeError when an item other than an event cannot fit. */
export function checkSize(id: string, item: Item, what: string): void {
  const size = itemSize(item);
  if (size <= MAX_ITEM_BYTES) return;
  throw new PayloadTooLargeError(
    `Execution '${id}': ${what} would be a DynamoDB item of ${size.toLocaleString("en-US")} bytes; the limit is ` +
      `${MAX_ITEM_BYTES.toLocaleString("en-US")} bytes (400 KB, attribute names included). Nothing was written. ` +
      `Make the value smaller, or keep it elsewhere (S3) and pass a reference.`,
    { executionId: id, operation: what, size, limit: MAX_ITEM_BYTES },
  );
}

function checkCurrent(id: string, state: RecordState, request: AppendRequest): void {
  if (state.record.runId !== request.runId || state.record.version !== request.expectedVersion) {
    throw conflict(id, request, state);
  }
}

function conflict(id: string, request: AppendRequest, found: RecordState | undefined): ConcurrencyError {
  const where = found ? `found run ${found.record.runId} at version ${found.record.version}` : "another writer took it over";
  return new ConcurrencyError(
    `Execution '${id}' moved on: expected run ${request.runId} at version ${request.expectedVersion}, ${where}. ` +
      `Another turn won; resume again to continue from it.`,
    { executionId: id },
  );
}

function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(`Execution '${id}' does not exist; it cannot be appended to.`, { executionId: id });
}

function checkSequence(id: string, events: readonly HistoryEvent[], first: number): void {
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.seq !== first + i) {
      throw new RangeError(`append to '${id}': event ${i} has seq ${events[i]!.seq}, expected ${first + i}`);
    }
  }
}
