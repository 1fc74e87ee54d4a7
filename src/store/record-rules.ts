// How every store applies the contract's rules to a record: a lease granted or refused, an append applied, a
// record copied out. MemoryStore and DynamoDBStore both use these, so the rules cannot drift between stores; a store
// of your own gets them from `spindle/store`.
import type { WaitInfo } from "../core/replayer.js";
import { ConcurrencyError } from "../errors.js";
import type { AppendRequest, ExecutionRecord, LeaseRequest } from "./history-store.js";
import { CLOSED_STATUSES, leaseHeldByOther } from "./history-store.js";

/**
 * Why `acquireLease` must refuse `request` on `record`, or undefined when it may grant it: the checks every store makes.
 *
 * @example
 * ```ts
 * if (leaseRefused(record, request)) return { acquired: false, record: copyRecord(record) };
 * ```
 */
export function leaseRefused(record: ExecutionRecord, request: LeaseRequest): "closed" | "moved" | "held" | undefined {
  if (CLOSED_STATUSES.has(record.status)) return "closed";
  const expect = request.expect;
  if (expect && (record.runId !== expect.runId || record.version !== expect.version)) return "moved";
  return leaseHeldByOther(record, request.owner, request.now) ? "held" : undefined;
}

/**
 * The record after a successful `acquireLease`: leased to `owner`, due again at `until` (a copy; the input is left
 * alone). Every store applies leases this way.
 *
 * @example
 * ```ts
 * entry.record = recordLeased(entry.record, request);
 * ```
 */
export function recordLeased(record: ExecutionRecord, request: { owner: string; until: number }): ExecutionRecord {
  const next = copyRecord(record);
  next.lease = { owner: request.owner, until: request.until };
  next.wakeAt = request.until;
  return next;
}

/**
 * The error of an append refused because another turn holds the execution's lease.
 *
 * @example
 * ```ts
 * if (request.lease && leaseHeldByOther(record, request.lease.owner, request.update.updatedAt)) throw leaseConflict(id, record);
 * ```
 */
export function leaseConflict(id: string, record: ExecutionRecord): ConcurrencyError {
  return new ConcurrencyError(
    `Execution '${id}' is leased to another turn until ${new Date(record.lease!.until).toISOString()}; this append ` +
      `was refused and nothing was written. That turn goes on; resume after it ends or its lease runs out.`,
    { executionId: id },
  );
}

/**
 * The error of a closing append refused because commands arrived in the inbox since the writer read it
 * (`AppendRequest.expectInboxSeq`): the writer reads them and ends again.
 *
 * @example
 * ```ts
 * if (request.expectInboxSeq !== undefined && record.inboxSeq !== request.expectInboxSeq) throw inboxMoved(id, record, request);
 * ```
 */
export function inboxMoved(id: string, record: ExecutionRecord, request: AppendRequest): ConcurrencyError {
  return new ConcurrencyError(
    `Execution '${id}': commands arrived in its inbox (now at ${record.inboxSeq}, the turn read up to ` +
      `${request.expectInboxSeq}) while the turn ended the run; nothing was written. The turn reads them and ends again.`,
    { executionId: id },
  );
}

/**
 * A copy of a record with every field in one fixed order (all copies share one hidden class), nothing shared with
 * the original: what a store hands out.
 *
 * @example
 * ```ts
 * return copyRecord(stored);
 * ```
 */
export function copyRecord(record: ExecutionRecord): ExecutionRecord {
  return {
    id: record.id,
    workflow: record.workflow,
    runId: record.runId,
    runs: record.runs,
    parent: record.parent && { ...record.parent },
    status: record.status,
    version: record.version,
    input: record.input,
    result: record.result,
    error: record.error && structuredClone(record.error),
    customStatus: record.customStatus,
    waitingFor: copyWaits(record.waitingFor),
    wakeAt: record.wakeAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    inboxSeq: record.inboxSeq,
    inboxSeen: record.inboxSeen,
    lease: record.lease && { ...record.lease },
    turnFailures: record.turnFailures && { ...record.turnFailures },
  };
}

/**
 * The record after a successful append: version, run (continue-as-new) and the update applied to a copy of `record`.
 * Every store applies appends this way.
 *
 * @example
 * ```ts
 * const next = recordAfter(current, request);
 * ```
 */
export function recordAfter(record: ExecutionRecord, request: AppendRequest): ExecutionRecord {
  return applyAppend(copyRecord(record), request);
}

/**
 * `recordAfter` in place: applies a successful append to `record` itself and returns it. For a store that keeps its
 * own private record (MemoryStore) and hands out only copies, so an append costs one copy instead of two. Nothing of
 * `request` is kept by reference, and nothing is changed if it throws.
 *
 * @example
 * ```ts
 * applyAppend(entry.record, request); // entry.record is never handed out
 * return copyRecord(entry.record);
 * ```
 */
export function applyAppend(record: ExecutionRecord, request: AppendRequest): ExecutionRecord {
  const update = request.update;
  // The copies (the only steps that can throw) come before any field changes.
  const waitingFor = copyWaits(update.waitingFor);
  const error = update.error === undefined ? undefined : structuredClone(update.error);
  const newRun = request.continueAsNew;
  record.version = request.expectedVersion + request.events.length;
  if (newRun) {
    record.runId = newRun.runId;
    record.runs += 1;
    record.version = newRun.events.length;
    record.input = newRun.input;
  }
  record.status = update.status;
  record.waitingFor = waitingFor;
  record.wakeAt = update.wakeAt ?? undefined;
  if (update.customStatus !== undefined) record.customStatus = update.customStatus;
  if (update.result !== undefined) record.result = update.result;
  if (error !== undefined) record.error = error;
  if (!CLOSED_STATUSES.has(update.status)) {
    // An open run has no outcome: a redriven failure's error goes.
    record.result = undefined;
    record.error = undefined;
  }
  record.inboxSeen = Math.max(record.inboxSeen, update.inboxSeen);
  record.updatedAt = update.updatedAt;
  record.turnFailures = undefined; // an append is progress: failed turns before it no longer count
  const lease = request.lease;
  if (lease) record.lease = lease.until === null ? undefined : { owner: lease.owner, until: lease.until };
  return record;
}

/** A copy of a list of waits, nothing shared (most records wait for nothing, or for one thing). */
function copyWaits(waits: readonly WaitInfo[]): WaitInfo[] {
  const copy: WaitInfo[] = [];
  for (let i = 0; i < waits.length; i++) copy.push({ ...waits[i]! });
  return copy;
}
