// A turn too large for one transaction (100 items or 4 MB), written in several and still atomic; see append.ts for
// the protocol (claim with a lock, chunks conditional on the lock, commit with the record).
import type { AppendRequest, ExecutionRecord } from "spindle/store";
import { ConcurrencyError } from "spindle";
import type { AppendDeps } from "./append.js";
import type { RecordState } from "./codec.js";
import { copyRecord, decodeRecord, itemSize, RECORD_FIELDS, recordItems } from "./codec.js";
import type { Io, TransactAction } from "./io.js";
import { ConditionFailed } from "./io.js";
import { REPLACEABLE, SPLIT_ATTR } from "./positions.js";
import { markClosing } from "./retention.js";
import { checkSize } from "./limits.js";
import type { Pending } from "./next-state.js";
import { conflict, copyField, DELETE_BYTES, deleteAction, MAX_REBASES, nextState, notFound } from "./next-state.js";
import { ATTR, MAX_TRANSACTION_ACTIONS, MAX_TRANSACTION_BYTES, RECORD_SK } from "./table.js";

/** Steps 1-3 of the header: claim with the first chunk, write the middle chunks, commit with the last. */
export async function splitAppend(
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
        ...(chunks[0] ?? []).map((event) => leftover(io, event, writer)),
      ], `${writer}-c${attempt}`);
      claimed = claim;
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      if (!error.failed(0)) throw conflict(id, request, undefined); // an event stands at one of the positions
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
      await io.transact("append (chunk)", id, [{ ConditionCheck: lockHeld }, ...chunks[i]!.map((event) => leftover(io, event, writer))], `${writer}-p${i}`);
    } catch (error) {
      if (error instanceof ConditionFailed) throw conflict(id, request, undefined);
      throw error;
    }
  }

  // 3. Commit: the record (lock removed) with the remaining events.
  base = claimed;
  for (let attempt = 0; attempt < MAX_REBASES; attempt++) {
    const state = nextState(base, request, writer);
    state.lock = undefined;
    state.consumed = [...base.consumed, ...carried];
    // A continued run whose first events went out in chunks may hold garbage from a failed attempt: re-read it all.
    if (request.continueAsNew) state.splitFrom = tailStart > firstNewRunIndex ? 1 : undefined;
    const { item, parts } = recordItems(state, base, deps.placement);
    markClosing(item, base, state, deps.placement);
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
        ...pending.slice(tailStart).map((event) => leftover(io, event, writer)),
      ], `${writer}-f${attempt}`);
      return state;
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      if (!error.failed(0)) throw conflict(id, request, undefined); // an event stands at one of the positions
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

/**
 * The put of a split write's event: tagged as its leftover until the commit counts it (positions.ts), and never over
 * another writer's event.
 */
function leftover(io: Io, event: Pending, writer: string): TransactAction {
  return io.put({ ...event.item, [SPLIT_ATTR]: writer }, REPLACEABLE);
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
