// What a retried or redelivered request is answered with. A client's retry (an HTTP Idempotency-Key) and an SQS
// redelivery (the same messageId) carry a key; a start without an id gets an execution id derived from that key, so
// the retry finds the execution the first delivery made. A callback's token is its own key: a second delivery of a
// completion the token already took is a duplicate, not a failure.
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { Engine, HistoryEvent } from "spindle";

/**
 * The execution id a start without an id gets from an idempotency key: `idem-` and 32 hex digits of the SHA-256 of
 * the workflow and the key. The same workflow and key always give the same id; the key itself (any characters) never
 * appears in it. The key is scoped to the workflow: the same key for another workflow names another execution.
 *
 * @example
 * ```ts
 * executionIdFromKey("shipment", "order-17"); // "idem-..." (the same on every call)
 * ```
 */
export function executionIdFromKey(workflow: string, key: string): string {
  return `idem-${createHash("sha256").update(JSON.stringify([workflow, key])).digest("hex").slice(0, 32)}`;
}

/** What a completeCallback (`value`) or failCallback (`error`) delivers. */
export type CallbackOutcome = { value: unknown } | { error: string | { name?: string; message: string; code?: string } };

/**
 * Whether the callback of `token` in `executionId`'s history was completed with this very outcome: the same value
 * (as JSON, in any key order) or the same error name, message and code. Then a second delivery of it is a duplicate.
 * A token used with another outcome, expired, cancelled, or whose completion no turn has taken yet, is not.
 *
 * @example
 * ```ts
 * const duplicate = await settledAlike(engine, "ship-o-1", token, { value: { ok: true } });
 * ```
 */
export async function settledAlike(engine: Engine, executionId: string, token: string, outcome: CallbackOutcome): Promise<boolean> {
  let history: HistoryEvent[];
  try {
    history = await engine.history(executionId);
  } catch {
    return false;
  }
  const created = history.find((event) => event.type === "CallbackCreated" && event.token === token);
  if (created === undefined) return false;
  const completed = history.find((event) => event.type === "CallbackCompleted" && event.opId === created.opId);
  if (completed === undefined || completed.type !== "CallbackCompleted") return false;
  if ("value" in outcome) {
    if (completed.error !== undefined) return false;
    try {
      const recorded: unknown = completed.value === undefined ? undefined : JSON.parse(completed.value);
      const delivered: unknown = outcome.value === undefined ? undefined : JSON.parse(JSON.stringify(outcome.value));
      return isDeepStrictEqual(recorded, delivered);
    } catch {
      return false; // not JSON: it cannot be what was recorded
    }
  }
  if (completed.error === undefined) return false;
  const error = typeof outcome.error === "string" ? { message: outcome.error } : outcome.error;
  return (
    completed.error.name === (error.name ?? "Error") &&
    completed.error.message === error.message &&
    completed.error.code === error.code
  );
}
