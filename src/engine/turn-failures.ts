// Poison executions: a turn that fails for a reason a retry with the same code cannot fix (a NonDeterminismError, an
// unregistered workflow, a corrupted or unreadable history, an engine bug) is recorded on the execution's record with
// `HistoryStore.updateTurnFailures`, and the execution is due again only after a backoff: 1 s, doubling, at most
// 15 min. After `maxTurnFailures` failed turns in a row it becomes `stuck`: out of the due index until
// `engine.redrive`, so poisoned executions never hold the wake-ups of the others. Transient failures (the store
// unavailable, a lost race, a busy lease) never count; any append (a turn that made progress) clears the count.
import { ConcurrencyError, ExecutionNotFoundError, StoreUnavailableError } from "../errors.js";
import type { ExecutionRecord, HistoryStore } from "../store/history-store.js";
import type { TurnFailures } from "../store/turn-failures.js";
import { MAX_TURN_FAILURE_REASON } from "../store/turn-failures.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";
import type { TurnDeps } from "./turn-types.js";

/** Failed turns in a row after which an execution is `stuck`, unless createEngine's `maxTurnFailures` says otherwise. */
export const DEFAULT_MAX_TURN_FAILURES = 10;
/** Backoff after the first failed turn; it doubles with each one after. */
export const TURN_FAILURE_BASE_MS = 1000;
/** Longest backoff between two failed turns. */
export const TURN_FAILURE_CAP_MS = 15 * 60 * 1000;

/** What recording a failed turn needs from the engine. */
export interface TurnFailureDeps {
  store: HistoryStore;
  clock: Clock;
  logger: Logger;
  leaseOwner?: string;
  /** Failed turns in a row after which the execution is `stuck`. */
  maxTurnFailures: number;
}

/** True when a failed turn counts toward `stuck`: anything but a transient store failure or a lost race. */
export function countsAsTurnFailure(error: unknown): boolean {
  return !(
    error instanceof StoreUnavailableError ||
    error instanceof ConcurrencyError ||
    error instanceof ExecutionNotFoundError
  );
}

/** How long the execution waits after its `count`-th failed turn in a row. */
export function turnFailureBackoffMs(count: number): number {
  return Math.min(TURN_FAILURE_BASE_MS * 2 ** Math.max(0, count - 1), TURN_FAILURE_CAP_MS);
}

/** The errors of failed turns that left their execution stuck: the turn's report says so (TurnReport.stuck). */
export const madeStuck = new WeakSet<object>();

/**
 * Records a failed turn on `record` (as the turn loaded it): the next try after a backoff, or `stuck` after the bound.
 * Refused without harm when the record moved on meanwhile (another turn's progress is never overwritten). Never
 * throws: the turn's own error is what the caller sees.
 */
export async function noteTurnFailure(deps: TurnFailureDeps, record: ExecutionRecord, error: unknown): Promise<void> {
  const store = deps.store;
  if (!store.updateTurnFailures || !countsAsTurnFailure(error) || record.status === "stuck") return;
  const before = record.turnFailures?.count ?? 0;
  const count = before + 1;
  const now = deps.clock.now();
  const stuck = count >= deps.maxTurnFailures;
  const failures: TurnFailures = { count, reason: reasonOf(error) };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") failures.code = code.slice(0, 100);
  const nextAttemptAt = now + turnFailureBackoffMs(count);
  if (!stuck) failures.nextAttemptAt = nextAttemptAt;
  try {
    const { updated } = await store.updateTurnFailures(record.id, {
      expect: { runId: record.runId, version: record.version, status: record.status, failures: before },
      now,
      ...(deps.leaseOwner === undefined ? {} : { owner: deps.leaseOwner }),
      turnFailures: failures,
      status: stuck ? "stuck" : record.status,
      wakeAt: stuck ? null : nextAttemptAt,
    });
    if (!updated) return;
    if (stuck && typeof error === "object" && error !== null) madeStuck.add(error);
    const what = stuck
      ? `it is now stuck (out of the due index) after ${count} failed turns in a row; fix the cause, then call engine.redrive('${record.id}')`
      : `failed turn ${count} of ${deps.maxTurnFailures}; next try at ${new Date(nextAttemptAt).toISOString()}`;
    deps.logger[stuck ? "error" : "warn"](`Execution '${record.id}': ${what}. Last failure: ${failures.reason}`, {
      executionId: record.id,
      code: failures.code,
      turnFailures: count,
    });
  } catch (failure) {
    deps.logger.error(`Execution '${record.id}': its failed turn could not be recorded: ${reasonOf(failure)}`, {
      executionId: record.id,
    });
  }
}

/**
 * A turn of `id` failed with `error`: records it (on `record` as the turn loaded it, or as stored now when the load
 * itself failed), then throws `error` on.
 */
export async function turnFailed(deps: TurnDeps, id: string, error: unknown, record?: ExecutionRecord): Promise<never> {
  const maxTurnFailures = deps.maxTurnFailures;
  if (maxTurnFailures !== undefined && deps.store.updateTurnFailures && countsAsTurnFailure(error)) {
    const loaded = record ?? (await deps.store.get(id).catch(() => undefined));
    if (loaded) await noteTurnFailure({ ...deps, maxTurnFailures }, loaded, error);
  }
  throw error;
}

/** `name: message` of a thrown value, capped and made well-formed (it is stored on the record). */
function reasonOf(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : `a non-Error value was thrown: ${String(error)}`;
  } catch {
    text = "an unreadable value was thrown";
  }
  if (text.length > MAX_TURN_FAILURE_REASON) text = `${text.slice(0, MAX_TURN_FAILURE_REASON - 3)}...`;
  return (text as unknown as { toWellFormed(): string }).toWellFormed();
}
