// How every store applies the contract's rules to a record: a lease granted or refused, an append applied, a
// record copied out. MemoryStore and DynamoDBStore both use these, so the rules cannot drift between stores; a store
// of your own gets them from `spindle/store`.
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
    waitingFor: record.waitingFor.map((wait) => ({ ...wait })),
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
  const next = copyRecord(record);
  const update = request.update;
  next.version = request.expectedVersion + request.events.length;
  const newRun = request.continueAsNew;
  if (newRun) {
    next.runId = newRun.runId;
    next.runs += 1;
    next.version = newRun.events.length;
    next.input = newRun.input;
  }
  next.status = update.status;
  next.waitingFor = update.waitingFor.map((wait) => ({ ...wait }));
  next.wakeAt = update.wakeAt ?? undefined;
  if (update.customStatus !== undefined) next.customStatus = update.customStatus;
  if (update.result !== undefined) next.result = update.result;
  if (update.error !== undefined) next.error = update.error;
  if (!CLOSED_STATUSES.has(update.status)) {
    // An open run has no outcome: a redriven failure's error goes.
    next.result = undefined;
    next.error = undefined;
  }
  next.inboxSeen = Math.max(next.inboxSeen, update.inboxSeen);
  next.updatedAt = update.updatedAt;
  next.turnFailures = undefined; // an append is progress: failed turns before it no longer count
  const lease = request.lease;
  if (lease) next.lease = lease.until === null ? undefined : { owner: lease.owner, until: lease.until };
  return next;
}
