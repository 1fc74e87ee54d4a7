// Failed turns (poison executions): `updateTurnFailures` records or clears them, with the status and due time, in one
// conditional write of the record item pinned by its `rev`, like a lease. The rules (refused when closed, moved on or
// leased by another turn) are the store contract's own (`turnFailuresRefused`), so both stores agree.
import type { TurnFailuresResult, TurnFailuresUpdate } from "spindle/store";
import { ExecutionNotFoundError } from "spindle";
import { recordWithTurnFailures, turnFailuresRefused } from "spindle/store";
import type { RecordState } from "./codec.js";
import { copyRecord, decodeRecord, recordItems } from "./codec.js";
import { ConditionFailed, newToken } from "./io.js";
import type { LeaseDeps } from "./lease.js";
import { MAX_REBASES } from "./next-state.js";

function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(`Execution '${id}' does not exist; its failed turns cannot be recorded.`, { executionId: id });
}

/**
 * Applies `update` to the execution's record unless the contract's rules refuse it; rebases when only the item's rev
 * moved (an inbox write landed meanwhile).
 * @throws ExecutionNotFoundError, StoreUnavailableError.
 */
export async function updateTurnFailures(deps: LeaseDeps, id: string, update: TurnFailuresUpdate): Promise<TurnFailuresResult> {
  let prior: RecordState | undefined = await deps.readRecord(id);
  const writer = newToken();
  for (let rebase = 0; ; rebase++) {
    if (!prior) throw notFound(id);
    if (turnFailuresRefused(prior.record, update)) return { updated: false, record: copyRecord(prior.record) };
    const next: RecordState = { ...prior, record: recordWithTurnFailures(prior.record, update), rev: prior.rev + 1, writer };
    const { item } = recordItems(next, prior, deps.placement);
    try {
      await deps.io.transact("turn failures", id, [
        deps.io.put(item, { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": prior.rev } }),
      ], `${writer}-${rebase}`);
      deps.cache.set(next);
      return { updated: true, record: copyRecord(next.record) };
    } catch (error) {
      if (!(error instanceof ConditionFailed) || !error.failed(0)) throw error;
      const old = error.reasons[0]?.item;
      if (!old) throw notFound(id);
      const current = decodeRecord(old, new Map());
      if (current.state.writer === writer) {
        deps.cache.invalidate(id); // our own write, applied before its response was lost
        return { updated: true, record: copyRecord(current.state.record) };
      }
      if (rebase >= MAX_REBASES) return { updated: false, record: copyRecord(current.state.record) };
      // Read again rather than decode the old item: its stored version may lag the run (step puts leave the record
      // alone), and only a read adds the run's tail.
      prior = await deps.readRecord(id);
    }
  }
}

/**
 * The SET of an inbox write's record update and a guard on `stuck`, given the status the writer read: a stuck
 * execution takes the item but stays out of the due index until it is redriven (the due attributes are left out of
 * `names` and `values`); an execution that became stuck, or was redriven, meanwhile fails the guard and is read again.
 */
export function inboxRecordUpdate(
  stuck: boolean,
  names: Record<string, string>,
  values: Record<string, unknown>,
): { update: string; guard: string } {
  values[":stuck"] = "stuck";
  const counters = "SET #seq = #seq + :one, #rev = #rev + :one, #unread = #unread + :one";
  if (!stuck) return { update: `${counters}, #shard = :shard, #due = :due`, guard: " AND #status <> :stuck" };
  delete names["#shard"];
  delete names["#due"];
  delete values[":shard"];
  delete values[":due"];
  return { update: counters, guard: " AND #status = :stuck" };
}
