// The record as an append leaves it, and the pieces every append step shares: the delete of a consumed inbox item,
// the conflict and not-found errors, and the check that the record is still at the expected run and version.
import type { AppendRequest, ExecutionRecord } from "spindle/store";
import { ConcurrencyError, ExecutionNotFoundError } from "spindle";
import { recordAfter } from "spindle/store";
import type { Item, RecordState } from "./codec.js";
import { RECORD_FIELDS } from "./codec.js";
import type { Io, TransactAction } from "./io.js";
import { ATTR, inboxKey } from "./table.js";

/** Internal retries when only the record's rev moved (an inbox write or an event-less append landed meanwhile). */
export const MAX_REBASES = 25;
/** Room a Delete action takes in a transaction (its key, at most). */
export const DELETE_BYTES = 1100;

/** An event item with its size, in write order. */
export interface Pending {
  item: Item;
  size: number;
}

/** The record after the append: the update applied to `prior`, as MemoryStore applies it. */
export function nextState(prior: RecordState, request: AppendRequest, writer: string): RecordState {
  const record = recordAfter(prior.record, request);
  const next = request.continueAsNew;
  const state: RecordState = {
    record,
    rev: prior.rev + 1,
    writer,
    consumed: [...prior.consumed],
    unread: Math.max(0, prior.unread - request.consumeInbox.length),
    parts: { ...prior.parts },
  };
  if (!next && prior.splitFrom !== undefined) state.splitFrom = prior.splitFrom;
  // A lock names a version; it stays meaningful only while the version does.
  if (!next && request.events.length === 0 && prior.lock) state.lock = { ...prior.lock };
  return state;
}

export function copyField(target: ExecutionRecord, source: ExecutionRecord, field: (typeof RECORD_FIELDS)[number]): void {
  if (field === "waitingFor") target.waitingFor = source.waitingFor.map((wait) => ({ ...wait }));
  else if (field === "error") target.error = source.error;
  else target[field] = source[field];
}

export function deleteAction(io: Io, id: string, itemId: string): TransactAction {
  return { Delete: { TableName: io.table, Key: { [ATTR.pk]: id, [ATTR.sk]: inboxKey(itemId) } } };
}

export function checkCurrent(id: string, state: RecordState, request: AppendRequest): void {
  if (state.record.runId !== request.runId || state.record.version !== request.expectedVersion) {
    throw conflict(id, request, state);
  }
}

export function conflict(id: string, request: AppendRequest, found: RecordState | undefined): ConcurrencyError {
  const where = found ? `found run ${found.record.runId} at version ${found.record.version}` : "another writer took it over";
  return new ConcurrencyError(
    `Execution '${id}' moved on: expected run ${request.runId} at version ${request.expectedVersion}, ${where}. ` +
      `Another turn won; resume again to continue from it.`,
    { executionId: id },
  );
}

export function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(`Execution '${id}' does not exist; it cannot be appended to.`, { executionId: id });
}
