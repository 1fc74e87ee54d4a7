// Leases: a turn's exclusive claim on an execution, held in the record item (`leaseOwner`, `leaseUntil`) and taken
// with one conditional PutItem of that item, pinned by its `rev` like an append. Taking a lease also moves the due time
// to the lease's end, so the due index does not hand the execution out while its turn runs, and a turn that dies is
// picked up once its lease runs out.
//
// Taking over from another owner (whose lease ran out) also puts a marker at the run's next position (positions.ts),
// in one transaction with the record: that owner's turn may still be writing steps without the record, and its next
// put finds the marker.
import type { LeaseRequest, LeaseResult } from "spindle/store";
import { ExecutionNotFoundError } from "spindle";
import { leaseRefused, recordLeased } from "spindle/store";
import type { Placement, RecordState } from "./codec.js";
import type { Io, RecordCache } from "./io.js";
import { markerAction } from "./positions.js";
import { rewriteRecord } from "./record-write.js";

/** What taking a lease needs from the store. */
export interface LeaseDeps {
  io: Io;
  cache: RecordCache;
  placement: Placement;
  readRecord(id: string): Promise<RecordState | undefined>;
}

/**
 * Leases the execution to `owner` until `until` unless another owner holds a lease unexpired at `now`.
 * @throws ExecutionNotFoundError, StoreUnavailableError.
 */
function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(`Execution '${id}' does not exist; it cannot be leased. Start it first.`, { executionId: id });
}

export async function acquireLease(
  deps: LeaseDeps,
  id: string,
  request: LeaseRequest,
): Promise<LeaseResult> {
  let prior = deps.cache.get(id);
  // A claimant that loaded another version than this store last saw reads the record (and its run's tail) afresh.
  if (!prior || (request.expect && (prior.record.runId !== request.expect.runId || prior.record.version !== request.expect.version))) {
    prior = await deps.readRecord(id);
  }
  const { written, record } = await rewriteRecord(deps, id, prior, {
    what: "lease",
    notFound: () => notFound(id),
    refused: (record) => leaseRefused(record, request) !== undefined,
    change: (record) => recordLeased(record, request),
    // Taking over from another owner: that owner's turn may still put steps without reading the record.
    with: (before, writer) =>
      before.record.lease !== undefined && before.record.lease.owner !== request.owner
        ? markerAction(deps.io, id, before.record.runs, before.record.version + 1, writer)
        : undefined,
  });
  return { acquired: written, record };
}
