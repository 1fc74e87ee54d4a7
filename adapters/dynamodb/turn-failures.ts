// Failed turns (poison executions): `updateTurnFailures` records or clears them, with the status and due time, in one
// conditional write of the record item pinned by its `rev`, like a lease. The rules (refused when closed, moved on or
// leased by another turn) are the store contract's own (`turnFailuresRefused`), so both stores agree.
import type { TurnFailuresResult, TurnFailuresUpdate } from "spindle/store";
import { ExecutionNotFoundError } from "spindle";
import { recordWithTurnFailures, turnFailuresRefused } from "spindle/store";
import type { LeaseDeps } from "./lease.js";
import { rewriteRecord } from "./record-write.js";

function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(`Execution '${id}' does not exist; its failed turns cannot be recorded.`, { executionId: id });
}

/**
 * Applies `update` to the execution's record unless the contract's rules refuse it; rebases when only the item's rev
 * moved (an inbox write landed meanwhile).
 * @throws ExecutionNotFoundError, StoreUnavailableError.
 */
export async function updateTurnFailures(deps: LeaseDeps, id: string, update: TurnFailuresUpdate): Promise<TurnFailuresResult> {
  const { written, record } = await rewriteRecord(deps, id, await deps.readRecord(id), {
    what: "turn failures",
    notFound: () => notFound(id),
    refused: (record) => turnFailuresRefused(record, update) !== undefined,
    change: (record) => recordWithTurnFailures(record, update),
  });
  return { updated: written, record };
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
