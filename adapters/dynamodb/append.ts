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
//
// A step inside a turn that holds the lease skips all this: one conditional put of its event (step-put.ts). So the
// record's version may lag behind its run (positions.ts), and every event put here is conditional too: it may replace
// a marker or a split write's leftovers, never an event. An event found in the way means the run moved on.
import type { HistoryEvent, Logger } from "spindle";
import type { AppendRequest, ExecutionRecord } from "spindle/store";
import { inboxMoved, leaseConflict, leaseHeldByOther } from "spindle/store";
import type { Item, Placement, RecordState } from "./codec.js";
import { copyRecord, decodeRecord, eventItem, expiryOf, itemSize, RECORD_FIELDS, recordItems } from "./codec.js";
import type { Io, RecordCache } from "./io.js";
import { ConditionFailed, newToken } from "./io.js";
import { checkEventSize, checkSize } from "./limits.js";
import type { Pending } from "./next-state.js";
import { checkCurrent, conflict, copyField, DELETE_BYTES, deleteAction, MAX_REBASES, nextState, notFound } from "./next-state.js";
import { markerAction, REPLACEABLE } from "./positions.js";
import { finishStamps, markClosing, stampRun, unstamp } from "./retention.js";
import { splitAppend } from "./split.js";
import { isStepPut, stepPut } from "./step-put.js";
import { ATTR, MAX_TRANSACTION_ACTIONS, MAX_TRANSACTION_BYTES } from "./table.js";

/** What an append needs from the store. */
export interface AppendDeps {
  io: Io;
  cache: RecordCache;
  placement: Placement;
  lockMs: number;
  /** Reads the record item (and its parts) afresh. */
  readRecord(id: string): Promise<RecordState | undefined>;
  /** Removes inbox items a split write could not delete in its last transaction. */
  cleanUpConsumed(id: string, itemIds: string[]): Promise<void>;
  /** Where failures after a commit are reported. */
  logger: Pick<Logger, "warn">;
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
  if (isStepPut(prior, request)) {
    const put = await stepPut(deps.io, deps.cache, id, request, prior, pending[0]!.item, writer);
    if (put !== "full") return put;
    // A marker stands at the position: something happened that only the record tells. Read it and go the full way.
    prior = await deps.readRecord(id);
    if (!prior) throw notFound(id);
    checkCurrent(id, prior, request);
  }
  const firstNewRunIndex = request.events.length;

  const eventBytes = pending.reduce((sum, event) => sum + event.size, 0);
  let committed: RecordState | undefined;
  const base = prior;
  for (let rebase = 0; !committed; rebase++) {
    // Checked against every record the append bases itself on: a lease taken since the last look fails the rev condition.
    if (request.lease && leaseHeldByOther(prior.record, request.lease.owner, request.update.updatedAt)) {
      throw leaseConflict(id, prior.record);
    }
    // A closing write is refused once a command arrived unseen; the rev condition catches one a stale view misses.
    if (request.expectInboxSeq !== undefined && prior.record.inboxSeq !== request.expectInboxSeq) {
      throw inboxMoved(id, prior.record, request);
    }
    const state = nextState(prior, request, writer);
    // Inbox items a split turn could not delete in its commit go now, when they fit.
    const sweep = prior.consumed.length > 0 && 6 + pending.length + request.consumeInbox.length + prior.consumed.length <= MAX_TRANSACTION_ACTIONS
      ? prior.consumed
      : [];
    if (sweep.length > 0) state.consumed = [];
    const { item, parts } = recordItems(state, prior, deps.placement);
    markClosing(item, prior, state, deps.placement);
    checkSize(id, item, "the execution record");
    for (const part of parts) checkSize(id, part, `the ${String(part[ATTR.sk]).slice(2)} of the execution record`);
    const deletes = [...request.consumeInbox, ...sweep].map((itemId) => deleteAction(deps.io, id, itemId));
    // An append without events over another owner's lease takes the next position, so that owner's turn finds it.
    const fence = pending.length === 0 && prior.record.lease !== undefined && prior.record.lease.owner !== request.lease?.owner
      ? [markerAction(deps.io, id, run, request.expectedVersion + 1, writer)]
      : [];
    const fixedBytes = itemSize(item) + parts.reduce((sum, part) => sum + itemSize(part), 0) + deletes.length * DELETE_BYTES;
    const actions = 1 + parts.length + deletes.length + pending.length;
    try {
      if (actions <= MAX_TRANSACTION_ACTIONS && fixedBytes + eventBytes <= MAX_TRANSACTION_BYTES) {
        await deps.io.transact("append", id, [
          deps.io.put(item, { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": prior.rev } }),
          ...parts.map((part) => deps.io.put(part)),
          ...deletes,
          ...pending.map((event) => deps.io.put(event.item, REPLACEABLE)),
          ...fence,
        ], `${writer}-${rebase}`);
        committed = state;
      } else {
        committed = await splitAppend(deps, id, request, prior, pending, firstNewRunIndex, writer);
      }
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      if (!error.failed(0)) {
        // Only an event's position (or the fence's) was taken: another writer's event stands there.
        deps.cache.invalidate(id);
        throw conflict(id, request, undefined);
      }
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
  // The stored version may lag behind the run (steps written without the record): only one past ours moved it on.
  if (old.record.runId !== request.runId || old.record.version > request.expectedVersion) {
    if (pending.length > 0 && (await firstEventIsOurs(deps, id, pending[0]!.item, writer))) {
      return { done: true, state: intended };
    }
    throw conflict(id, request, old);
  }
  // Same run and version: the record changed under us (an inbox write). Fill in its large fields and rebase.
  old.record.version = request.expectedVersion;
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

async function firstEventIsOurs(deps: AppendDeps, id: string, first: Item, writer: string): Promise<boolean> {
  const items = await deps.io.queryAll("append check", id, {
    KeyConditionExpression: "pk = :id AND sk = :sk",
    ExpressionAttributeValues: { ":id": id, ":sk": first[ATTR.sk] },
    ConsistentRead: true,
  });
  return items[0]?.w === writer;
}

/**
 * After a commit: the clean-up of inbox items a split turn could not delete, and TTL stamps for a finished run or a
 * closed execution (retention.ts). The append has succeeded whatever happens here, so a failure is only logged: the
 * next append deletes leftover consumed items (they stay hidden meanwhile); a closed execution whose stamps were not
 * all written stays marked and due, and the next load of it finishes them.
 */
async function afterCommit(deps: AppendDeps, id: string, request: AppendRequest, prior: RecordState, committed: RecordState): Promise<void> {
  try {
    await housekeeping(deps, id, request, prior, committed);
  } catch (error) {
    deps.logger.warn(
      `DynamoDBStore: execution '${id}' was appended to, but its housekeeping failed (${(error as Error)?.message}). ` +
        `Consumed inbox items stay hidden until the next append deletes them; TTL stamps still pending on a closed ` +
        `execution are finished by its next load (the due index hands it out a minute after the close).`,
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
    await stampRun(deps.io, id, prior.record.runs, Math.ceil((request.update.updatedAt + deps.placement.retentionMs) / 1000));
  }
  const expiresAt = expiryOf(committed.record, deps.placement);
  const before = expiryOf(prior.record, deps.placement);
  if (expiresAt !== undefined && before === undefined) await finishStamps(deps.io, id, expiresAt);
  // Reopened (engine.redrive of a failed run): its items are kept again until it closes anew.
  else if (expiresAt === undefined && before !== undefined) await unstamp(deps.io, id, committed.record.runs);
}

function sized(id: string, event: HistoryEvent, item: Item): Pending {
  return { item, size: checkEventSize(id, event, item) };
}

function checkSequence(id: string, events: readonly HistoryEvent[], first: number): void {
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.seq !== first + i) {
      throw new RangeError(`append to '${id}': event ${i} has seq ${events[i]!.seq}, expected ${first + i}`);
    }
  }
}
