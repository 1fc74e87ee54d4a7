// Rewrites of the record item alone (a lease, a failed turn's bookkeeping): one conditional PutItem pinned by the
// item's `rev`, with a companion action in one transaction when the change needs one (a takeover's marker). When the
// rev moved (an inbox write, an append) the record is read again, with its run's tail, and the change rebased on it.
import type { ExecutionRecord } from "spindle/store";
import type { RecordState } from "./codec.js";
import { copyRecord, decodeRecord, recordItems } from "./codec.js";
import type { TransactAction } from "./io.js";
import { ConditionFailed, newToken } from "./io.js";
import type { LeaseDeps } from "./lease.js";
import { MAX_REBASES } from "./next-state.js";

/** What a rewrite of the record item does. */
export interface RecordRewrite {
  /** The store operation, for retries and errors ("lease", "turn failures"). */
  what: string;
  /** The error when the execution does not exist. */
  notFound(): Error;
  /** True when the store contract refuses the change on this record: nothing is written. */
  refused(record: ExecutionRecord): boolean;
  /** The record after the change. */
  change(record: ExecutionRecord): ExecutionRecord;
  /** An action that must commit with the record, given the record before and the write's token. */
  with?(prior: RecordState, writer: string): TransactAction | undefined;
}

/**
 * Applies `rewrite` on top of `prior` (read again on every rebase).
 * @returns whether it was written, and the record as written or as found when refused.
 * @throws the rewrite's notFound error, StoreUnavailableError.
 */
export async function rewriteRecord(
  deps: LeaseDeps,
  id: string,
  prior: RecordState | undefined,
  rewrite: RecordRewrite,
): Promise<{ written: boolean; record: ExecutionRecord }> {
  const writer = newToken();
  for (let rebase = 0; ; rebase++) {
    if (!prior) throw rewrite.notFound();
    if (rewrite.refused(prior.record)) return { written: false, record: copyRecord(prior.record) };
    const next: RecordState = { ...prior, record: rewrite.change(prior.record), rev: prior.rev + 1, writer };
    const { item } = recordItems(next, prior, deps.placement);
    const companion = rewrite.with?.(prior, writer);
    try {
      const put = deps.io.put(item, { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": prior.rev } });
      if (!companion) await deps.io.putOne(rewrite.what, id, put);
      else await deps.io.transact(rewrite.what, id, [put, companion], `${writer}-${rebase}`); // each rebase: another token
      deps.cache.set(next);
      return { written: true, record: copyRecord(next.record) };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      if (!error.failed(0)) {
        // Only the companion's condition failed (the run moved past the version read): read it again.
        if (rebase >= MAX_REBASES) return { written: false, record: copyRecord(prior.record) };
        prior = await deps.readRecord(id);
        continue;
      }
      const old = error.reasons[0]?.item;
      if (!old) throw rewrite.notFound();
      const current = decodeRecord(old, new Map());
      if (current.state.writer === writer) {
        deps.cache.invalidate(id); // our own write, applied before its response was lost
        return { written: true, record: copyRecord(current.state.record) };
      }
      if (rebase >= MAX_REBASES) return { written: false, record: copyRecord(current.state.record) };
      // Read again rather than decode the old item: its stored version may lag the run (step puts leave the record
      // alone), and only a read adds the run's tail.
      prior = await deps.readRecord(id);
    }
  }
}
