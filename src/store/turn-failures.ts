// Turns that keep failing (poison executions): what the record carries about them, the one conditional write that
// records or clears them (`HistoryStore.updateTurnFailures`), and the rules every store applies to it. The engine
// decides the backoff and when an execution is `stuck` (engine/turn-failures.ts); a store only applies the write.
import type { ExecutionRecord } from "./history-store.js";
import { CLOSED_STATUSES, leaseHeldByOther } from "./history-store.js";
import { copyRecord } from "./record-rules.js";

/**
 * Turns of the current version that failed in a row for a reason a retry with the same code cannot fix (a
 * NonDeterminismError, an unregistered workflow, a corrupted history). Any append clears it.
 *
 * @example
 * ```ts
 * const failures: TurnFailures = { count: 3, nextAttemptAt: now + 4_000, reason: "NonDeterminismError: ...", code: "NON_DETERMINISM" };
 * ```
 */
export interface TurnFailures {
  /** Failed turns in a row. */
  count: number;
  /** When the next turn may try (epoch ms); the record is due then. Absent once the execution is `stuck`. */
  nextAttemptAt?: number;
  /** The last failure: `name: message`, at most MAX_TURN_FAILURE_REASON characters. */
  reason: string;
  /** The last failure's code, when it had one. */
  code?: string;
}

/**
 * Longest `TurnFailures.reason` kept on a record.
 * @example
 * ```ts
 * const reason = `${error.name}: ${error.message}`.slice(0, MAX_TURN_FAILURE_REASON);
 * ```
 */
export const MAX_TURN_FAILURE_REASON = 1000;

/**
 * A conditional write of `turnFailures`, status and due time, with no event (see `HistoryStore.updateTurnFailures`).
 *
 * @example
 * ```ts
 * const update: TurnFailuresUpdate = {
 *   expect: { runId: record.runId, version: record.version, status: record.status, failures: 0 },
 *   now, owner: "engine-1", status: record.status, wakeAt: now + 1_000,
 *   turnFailures: { count: 1, nextAttemptAt: now + 1_000, reason: "WorkflowNotFoundError: ..." },
 * };
 * ```
 */
export interface TurnFailuresUpdate {
  /** Refused unless the record is still at this run, version and status, with this many failures recorded. */
  expect: { runId: string; version: number; status: ExecutionRecord["status"]; failures: number };
  /** The current time (epoch ms): the write is refused while another owner's lease is unexpired. */
  now: number;
  /** The failing turn's lease owner: a lease it holds is released. */
  owner?: string;
  /** The new failures, or `null` to clear them (a redrive). */
  turnFailures: TurnFailures | null;
  /** The new status: the same as before, `stuck`, or `running` (a redrive of a stuck execution). */
  status: ExecutionRecord["status"];
  /** The new due time; `null` takes the execution out of the due index. */
  wakeAt: number | null;
}

/**
 * What `updateTurnFailures` did: written, or refused because the record moved on (returned as it is now).
 *
 * @example
 * ```ts
 * const { updated, record }: TurnFailuresResult = await store.updateTurnFailures!(id, update);
 * ```
 */
export type TurnFailuresResult = { updated: boolean; record: ExecutionRecord };

/**
 * Why a store must refuse `update` on `record` (closed, moved on, leased by another turn), or undefined to apply it.
 *
 * @example
 * ```ts
 * if (turnFailuresRefused(record, update)) return { updated: false, record: copyRecord(record) };
 * ```
 */
export function turnFailuresRefused(record: ExecutionRecord, update: TurnFailuresUpdate): "closed" | "moved" | "held" | undefined {
  if (CLOSED_STATUSES.has(record.status)) return "closed";
  const { expect } = update;
  if (record.runId !== expect.runId || record.version !== expect.version || record.status !== expect.status) return "moved";
  if ((record.turnFailures?.count ?? 0) !== expect.failures) return "moved";
  return leaseHeldByOther(record, update.owner ?? "", update.now) ? "held" : undefined;
}

/**
 * The record after an accepted `updateTurnFailures` (a copy; the input is left alone). Every store applies it this way.
 *
 * @example
 * ```ts
 * entry.record = recordWithTurnFailures(entry.record, update);
 * ```
 */
export function recordWithTurnFailures(record: ExecutionRecord, update: TurnFailuresUpdate): ExecutionRecord {
  const next = copyRecord(record);
  next.status = update.status;
  next.wakeAt = update.wakeAt ?? undefined;
  next.turnFailures = update.turnFailures === null ? undefined : { ...update.turnFailures };
  // The failing turn's own lease goes with it; another owner's (expired) lease is left as it is.
  if (next.lease && next.lease.owner === update.owner) next.lease = undefined;
  next.updatedAt = Math.max(record.updatedAt, update.now);
  return next;
}
