// Completing and failing callbacks from outside: the token names the execution and the operation; the completion
// goes to the execution's inbox once, checked against the workflow's declared schema first.
import { encodeValue } from "../core/codec.js";
import type { ErrorRecord } from "../core/error-record.js";
import { copyData, toErrorRecord } from "../core/error-record.js";
import type { EventOf } from "../core/history.js";
import { decodeToken } from "../core/replayer.js";
import { CallbackNotFoundError, ValidationError } from "../errors.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { EngineContext } from "./context.js";
import { checkCallbackToken } from "./validate.js";

/**
 * Delivers a callback's value or error to its execution's inbox.
 * @throws CallbackNotFoundError (unknown, used or expired token), ValidationError (value fails the declared schema).
 */
export async function settleCallback(
  engine: EngineContext,
  token: string,
  outcome: { value?: unknown; error?: unknown },
): Promise<{ executionId: string }> {
  checkCallbackToken(token, outcome);
  const unknownToken = (why: string, executionId?: string) =>
    new CallbackNotFoundError(
      `Callback token ${JSON.stringify(String(token).slice(0, 40))}${String(token).length > 40 ? "..." : ""} ${why}. ` +
        `Nothing was stored. Use the token the workflow's callback() sent, once, before it times out.`,
      executionId === undefined ? {} : { executionId },
    );
  const target = typeof token === "string" ? decodeToken(token) : undefined;
  if (!target) throw unknownToken("is not a callback token");
  const failure = "error" in outcome ? failureRecord(outcome.error, target.executionId) : undefined;
  const record = await engine.store.get(target.executionId);
  if (!record) throw unknownToken("names an execution that does not exist");
  if (CLOSED_STATUSES.has(record.status)) throw unknownToken(`belongs to execution '${record.id}', which is ${record.status}`, record.id);
  if (target.runId !== record.runId) throw unknownToken(`belongs to an earlier run of execution '${record.id}'`, record.id);
  // The usual case costs no history read: the execution is waiting at that callback right now, and the record keeps
  // its token. The whole token must match (its secret part too): a forged, truncated or padded one is unknown.
  const waiting = record.waitingFor.find(
    (wait) => wait.kind === "callback" && wait.opId === target.opId && (wait.token === undefined || wait.token === token),
  );
  let created: { opId: string; name: string; deadline?: number } | undefined = waiting && {
    opId: waiting.opId,
    name: waiting.name,
    ...(waiting.until === undefined ? {} : { deadline: waiting.until }),
  };
  if (!created) {
    const history = await engine.history(record.id);
    const event = history.find(
      (item): item is EventOf<"CallbackCreated"> => item.type === "CallbackCreated" && item.token === token,
    );
    if (!event) throw unknownToken(`is unknown to execution '${record.id}' (its current run)`, record.id);
    const settledBy = history.find(
      (item) =>
        item.opId === event.opId &&
        (item.type === "CallbackCompleted" || item.type === "TimerFired" || item.type === "CancelRequested"),
    );
    if (settledBy) {
      const why = settledBy.type === "CallbackCompleted" ? "was already used" : settledBy.type === "TimerFired" ? "has expired" : "was cancelled";
      throw unknownToken(why, record.id);
    }
    created = { opId: event.opId, name: event.name, ...(event.deadline === undefined ? {} : { deadline: event.deadline }) };
  }
  // Recorded time decides: a completion that arrives at or after the deadline would lose to the timeout in any turn.
  if (created.deadline !== undefined && engine.clock.now() >= created.deadline) throw unknownToken("has expired", record.id);
  const operation = `callback '${created.name}' (#${created.opId})`;
  let payload: { value?: string; error?: ErrorRecord };
  if (failure) {
    payload = { error: failure };
  } else {
    let value = outcome.value;
    const schemas = engine.lookup(record.workflow, record.id).callbackSchemas;
    const schema = schemas && Object.hasOwn(schemas, created.name) ? schemas[created.name] : undefined;
    if (schema) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new ValidationError(
          `completeCallback: the value for ${operation} of execution '${record.id}' does not match its declared ` +
            `schema: ${JSON.stringify(parsed.error.issues)}. Nothing was stored; the token is still valid.`,
          { executionId: record.id, operation, issues: parsed.error.issues },
        );
      }
      value = parsed.data;
    }
    const text = encodeValue(value, { executionId: record.id, operation: `the value of ${operation}`, limit: engine.store.limits.maxValueBytes });
    payload = text === undefined ? {} : { value: text };
  }
  const written = await engine.store.writeInbox(record.id, {
    id: engine.ulid(),
    key: `callback:${token}`,
    type: "callback",
    name: `callback:${token}`,
    payload: JSON.stringify(payload),
    at: engine.clock.now(),
  });
  if (written.status === "duplicate") throw unknownToken("was already used", record.id);
  if (written.status === "closed") throw unknownToken(`belongs to execution '${record.id}', which has ended`, record.id);
  if (written.status === "not-found") throw unknownToken("names an execution that does not exist");
  engine.inboxChanged(record.id);
  return { executionId: record.id };
}

/**
 * The error a failCallback delivers: an Error, a non-empty string, or `{ name?, message, code? }`.
 * @throws ValidationError for anything else (undefined, null, a number...): nothing is stored, the token stays valid.
 */
function failureRecord(error: unknown, executionId: string): ErrorRecord {
  if (typeof error === "string" && error !== "") return { name: "Error", message: error };
  if (error instanceof Error) return toErrorRecord(error);
  const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof message === "string") {
    // The stack would be this call's, not the failure's: a plain object records only what it carries.
    const built = new Error(message);
    delete (built as { stack?: string }).stack;
    return toErrorRecord(copyData(built, error as object));
  }
  const got = error === null ? "null" : typeof error === "string" ? "an empty string" : typeof error === "object" ? "an object without a message" : typeof error;
  throw new ValidationError(
    `failCallback (execution '${executionId}'): the error must be an Error, a non-empty string or ` +
      `{ name?, message, code? }, got ${got}. Nothing was stored; the token is still valid.`,
    { executionId, operation: "failCallback" },
  );
}
