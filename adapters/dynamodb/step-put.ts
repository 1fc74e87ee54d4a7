// A step inside a turn that holds the lease: one conditional PutItem of its event at the run's next position, and no
// rewrite of the record. The position is free only for the first writer, so the history never forks; what other
// processes do reaches the turn through markers at that position (positions.ts), which send the append back to the
// full path (append.ts), where it reads the record: its inbox counter, its lease, its status.
//
// Taken only when the append would change nothing in the record but its version: same run, same lease (owner and
// end, both live), status running before and after, no waits, the same wake-up and custom status, no inbox consumed,
// no closing condition, one event. Anything else (a renewal of the lease, a suspension, the end) goes the full way.
import type { AppendRequest, ExecutionRecord } from "spindle/store";
import type { Item, RecordState } from "./codec.js";
import { copyRecord } from "./codec.js";
import type { Io, RecordCache } from "./io.js";
import { ConditionFailed } from "./io.js";
import { conflict } from "./next-state.js";
import { MARKER_ATTR, SPLIT_ATTR } from "./positions.js";
import { ATTR } from "./table.js";

/** Whether the append may be a step put on top of `prior` (the record as this store last wrote or read it). */
export function isStepPut(prior: RecordState, request: AppendRequest): boolean {
  const { record } = prior;
  const { update, lease } = request;
  return (
    request.events.length === 1 &&
    lease !== undefined &&
    lease.until !== null &&
    record.lease !== undefined &&
    record.lease.owner === lease.owner &&
    record.lease.until === lease.until &&
    lease.until > update.updatedAt &&
    record.status === "running" &&
    update.status === "running" &&
    request.consumeInbox.length === 0 &&
    request.continueAsNew === undefined &&
    request.expectInboxSeq === undefined &&
    update.result === undefined &&
    update.error === undefined &&
    update.waitingFor.length === 0 &&
    record.waitingFor.length === 0 &&
    (update.wakeAt ?? undefined) === record.wakeAt &&
    (update.customStatus === undefined || update.customStatus === record.customStatus) &&
    update.inboxSeen <= record.inboxSeen &&
    prior.lock === undefined
  );
}

/**
 * Puts the event at its position unless something stands there.
 * @returns the record (version moved on); "full" when a marker or a split write's leftovers stand there (the append
 * must read the record and go the full way).
 * @throws ConcurrencyError when another writer's event stands there; StoreUnavailableError.
 */
export async function stepPut(
  io: Io,
  cache: RecordCache,
  id: string,
  request: AppendRequest,
  prior: RecordState,
  item: Item,
  writer: string,
): Promise<ExecutionRecord | "full"> {
  try {
    await io.putOne("append (step)", id, io.put(item, { expression: "attribute_not_exists(#sk)", names: { "#sk": ATTR.sk } }));
  } catch (error) {
    if (!(error instanceof ConditionFailed)) throw error;
    const found = error.reasons[0]?.item;
    if (found?.w !== writer) {
      cache.invalidate(id);
      if (found === undefined || found[MARKER_ATTR] !== undefined || found[SPLIT_ATTR] !== undefined) return "full";
      throw conflict(id, request, undefined);
    }
    // Our own put, applied before its response was lost.
  }
  const next: RecordState = { ...prior, record: copyRecord(prior.record) };
  next.record.version = request.expectedVersion + 1;
  cache.set(next);
  return copyRecord(next.record);
}
