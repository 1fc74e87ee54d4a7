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
import { copyRecord, decodeRecord, recordItems } from "./codec.js";
import type { Io, RecordCache } from "./io.js";
import { ConditionFailed, newToken } from "./io.js";
import { MAX_REBASES } from "./next-state.js";
import { markerAction } from "./positions.js";

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
  const writer = newToken();
  for (let rebase = 0; ; rebase++) {
    if (!prior) throw notFound(id);
    if (leaseRefused(prior.record, request)) return { acquired: false, record: copyRecord(prior.record) };
    const next: RecordState = { ...prior, record: recordLeased(prior.record, request), rev: prior.rev + 1, writer };
    const { item } = recordItems(next, prior, deps.placement);
    const takeover = prior.record.lease !== undefined && prior.record.lease.owner !== request.owner;
    try {
      const put = deps.io.put(item, { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": prior.rev } });
      if (!takeover) await deps.io.putOne("lease", id, put);
      else {
        const marker = markerAction(deps.io, id, prior.record.runs, prior.record.version + 1, writer);
        await deps.io.transact("lease", id, [put, marker], `${writer}-${rebase}`); // each rebase: another request token
      }
      deps.cache.set(next);
      return { acquired: true, record: copyRecord(next.record) };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      if (!error.failed(0)) {
        // The run moved on past the version read (the other owner wrote a step): read it again.
        if (rebase >= MAX_REBASES) return { acquired: false, record: copyRecord(prior.record) };
        prior = await deps.readRecord(id);
        continue;
      }
      const old = error.reasons[0]?.item;
      if (!old) throw notFound(id);
      const current = decodeRecord(old, new Map());
      if (current.state.writer === writer) {
        // Our own write, applied before its response was lost.
        deps.cache.invalidate(id);
        return { acquired: true, record: copyRecord(current.state.record) };
      }
      if (rebase >= MAX_REBASES) return { acquired: false, record: copyRecord(current.state.record) };
      // Something else moved the record (an inbox write, an append): look again, with the run's tail.
      prior = await deps.readRecord(id);
    }
  }
}
