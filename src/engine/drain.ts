// resumeDue's drain: reads due executions page by page (oldest first) and runs their turns, a few at a time, until
// nothing due is left, the call's cap is reached or its deadline comes. One call never takes an execution twice: an
// execution whose turn left it due (it failed, another process holds it, it ran out of time) is skipped by the pages
// after, so a few executions that fail every turn cannot hold the drain on one page while others wait behind them.
import { ValidationError } from "../errors.js";
import type { HistoryStore } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { ResumeDueOptions, ResumeDueResult } from "./api-types.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";
import { turnOptions } from "./options.js";
import type { TurnOptions, TurnResult } from "./turn-types.js";

/** Due ids read per page unless `pageSize` says otherwise. */
export const DEFAULT_PAGE_SIZE = 100;

/** What the drain needs from the engine. */
export interface DrainHost {
  store: HistoryStore;
  clock: Clock;
  logger: Logger;
  /** Runs the execution's turn (one at a time per execution). */
  turns(id: string, options: TurnOptions): Promise<TurnResult>;
}

/**
 * Resumes due executions until none is left, `limit` of them were taken, or the deadline came.
 * @throws ValidationError for a malformed option; the store's error when the first page cannot be read.
 */
export async function drainDue(host: DrainHost, options: ResumeDueOptions): Promise<ResumeDueResult> {
  const { limit, pageSize: page, concurrency = 10 } = options;
  for (const [what, value] of [["limit", limit], ["pageSize", page], ["concurrency", concurrency]] as const) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new ValidationError(`resumeDue: ${what} must be a whole number of at least 1, got ${value}. Nothing was resumed.`);
    }
  }
  const cap = limit ?? Infinity;
  const pageSize = page ?? Math.min(DEFAULT_PAGE_SIZE, cap);
  const perTurn = turnOptions({ ...options, maxWait: 0 });
  const deadline = perTurn.deadline ?? Infinity;
  const result: ResumeDueResult = { resumed: 0, busy: 0, failed: [], left: 0 };
  /** Every id this call took into its queue: never taken again. */
  const seen = new Set<string>();
  /** Of `seen`, those that may still be listed as due (queued, running, or left due by their turn). */
  let lingering = 0;
  const queue: string[] = [];
  let exhausted = false;
  let pages = 0;
  let fetching: Promise<void> | undefined;

  const readPage = async (): Promise<void> => {
    const want = Math.min(pageSize, cap - seen.size);
    if (want <= 0) {
      exhausted = true;
      return;
    }
    const fresh = (ids: string[]) => ids.filter((id) => !seen.has(id));
    // The page's front may hold executions this call already took: ask for that many more.
    let asked = want + lingering;
    let ids = await host.store.listDue(host.clock.now(), { limit: asked });
    let found = fresh(ids);
    if (found.length === 0 && ids.length >= asked && lingering < seen.size) {
      // Executions whose turns moved them on can still be listed for a moment (an index read lags its table).
      asked = want + seen.size;
      ids = await host.store.listDue(host.clock.now(), { limit: asked });
      found = fresh(ids);
    }
    pages++;
    // A short page read everything due (all of it is taken, up to the cap); a page of nothing new means the rest is
    // what this call already took.
    if (ids.length < asked || found.length === 0) exhausted = true;
    for (const id of found.slice(0, exhausted ? cap - seen.size : want)) {
      seen.add(id);
      lingering++;
      queue.push(id);
    }
  };

  /** Reads the next page once at a time; a failure after the first page ends the drain with what it did. */
  const fetchMore = (): Promise<void> => {
    fetching ??= readPage()
      .catch((error: unknown) => {
        exhausted = true;
        if (pages === 0) throw error;
        host.logger.warn(`resumeDue stopped reading due executions: ${(error as Error)?.message ?? String(error)}`);
      })
      .finally(() => {
        fetching = undefined;
      });
    return fetching;
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (host.clock.now() >= deadline) return;
      // Read ahead while the queue runs low, so the workers do not wait for a page.
      if (queue.length <= concurrency && !exhausted) void fetchMore().catch(() => {});
      if (queue.length === 0) {
        if (fetching) await fetching;
        else return;
        continue;
      }
      const id = queue.shift()!;
      try {
        const turn = await host.turns(id, perTurn);
        if (turn.busyUntil === undefined) result.resumed++;
        else result.busy++;
        if (leftDue(turn, host.clock.now())) continue;
        lingering--;
      } catch (error) {
        result.failed.push({ id, error });
      }
    }
  };

  await fetchMore();
  await Promise.all(Array.from({ length: concurrency }, worker));
  await fetching;
  result.left = queue.length;
  return result;
}

/** Whether the execution may still be due after this turn (and so may be listed again). */
function leftDue(turn: TurnResult, now: number): boolean {
  if (turn.busyUntil !== undefined || turn.outOfTime === true) return true;
  if (CLOSED_STATUSES.has(turn.status)) return false;
  if (turn.status === "running") return true;
  return turn.wakeAt !== undefined && turn.wakeAt <= now;
}
