// What callers hand the engine's commands, checked before any store call: execution ids, workflow and event names,
// idempotency keys and reasons are well-formed Unicode (no lone surrogate), and ids and names fit MAX_ID_BYTES. A
// store that keeps text as UTF-8 (DynamoDB) would turn "a\ud800b" and "a\udbffb" into one key, so two executions or
// two idempotency keys would alias there and not in memory; refused here, they get the same answer on every store.
import { isWellFormedText, MAX_ID_BYTES, utf8Length } from "../core/codec.js";
import { ValidationError } from "../errors.js";
import { SCHEDULE_ID_PREFIX } from "../schedules/state.js";

/** What a check is about, for its message: e.g. `sendEvent('order-1', 'paid')`. */
type Call = string;

/** Quotes a string for a message: JSON escapes show a lone surrogate as \ud800 instead of a replacement sign. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

function refuse(call: Call, what: string, text: string, problem: string, executionId: string | undefined): never {
  throw new ValidationError(`${call}: ${what} ${quote(text)} ${problem}. Nothing was stored.`, {
    ...(executionId === undefined ? {} : { executionId }),
    operation: call,
  });
}

const ILL_FORMED = "is not well-formed Unicode (it has a lone surrogate); use text that encodes as UTF-8";

/** What is wrong with `text` as text a store keys by: undefined when nothing is (other types are left to the caller). */
function wellFormedProblem(text: unknown): string | undefined {
  return typeof text === "string" && !isWellFormedText(text) ? ILL_FORMED : undefined;
}

/** What is wrong with `text` as an id or a name: ill-formed, or over MAX_ID_BYTES; undefined when nothing is. */
function idLikeProblem(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  if (!isWellFormedText(text)) return ILL_FORMED;
  if (text.length * 3 <= MAX_ID_BYTES) return undefined;
  const bytes = utf8Length(text);
  return bytes > MAX_ID_BYTES ? `is ${bytes} bytes in UTF-8; the limit is ${MAX_ID_BYTES} bytes` : undefined;
}

/** @throws ValidationError when `text` is a string that is not well-formed Unicode. Other types are left to the caller. */
function checkWellFormed(call: Call, what: string, text: unknown, executionId: string | undefined): void {
  const problem = wellFormedProblem(text);
  if (problem !== undefined) refuse(call, what, text as string, problem, executionId);
}

/** @throws ValidationError when `text` is a string that is ill-formed or over MAX_ID_BYTES. */
function checkIdLike(call: Call, what: string, text: unknown, executionId: string | undefined): void {
  const problem = idLikeProblem(text);
  if (problem !== undefined) refuse(call, what, text as string, problem, executionId);
}

/**
 * The id and workflow name of `start`.
 * @throws ValidationError for an ill-formed or too long id or name.
 */
export function checkStart(workflow: unknown, options: { id?: unknown } | undefined): void {
  const name = typeof workflow === "string" ? workflow : (workflow as { name?: unknown } | null | undefined)?.name;
  const id = options?.id;
  const nameProblem = idLikeProblem(name);
  const idProblem =
    idLikeProblem(id) ??
    (typeof id === "string" && id.startsWith(SCHEDULE_ID_PREFIX)
      ? `starts with '${SCHEDULE_ID_PREFIX}', which schedules keep for their state; use another id`
      : undefined);
  // Every start passes here: the message's call text is made only for a start that is refused.
  if (nameProblem === undefined && idProblem === undefined) return;
  const call = `start(${typeof name === "string" ? quote(name) : "workflow"}${typeof id === "string" ? `, id ${quote(id)}` : ""})`;
  const executionId = typeof id === "string" ? id : undefined;
  if (nameProblem !== undefined) refuse(call, "the workflow name", name as string, nameProblem, executionId);
  refuse(call, "the execution id", id as string, idProblem!, executionId);
}

/**
 * The execution id, event name and idempotency key of `sendEvent`.
 * @throws ValidationError for an ill-formed or too long id or name, or an ill-formed key.
 */
export function checkSendEvent(id: unknown, name: unknown, options: { idempotencyKey?: unknown } | undefined): void {
  const call = `sendEvent(${typeof id === "string" ? quote(id) : "id"}, ${typeof name === "string" ? quote(name) : "name"})`;
  const executionId = typeof id === "string" ? id : undefined;
  checkIdLike(call, "the execution id", id, executionId);
  checkIdLike(call, "the event name", name, executionId);
  checkWellFormed(call, "the idempotency key", options?.idempotencyKey, executionId);
}

/**
 * The execution id and reason of `cancel` and `terminate`.
 * @throws ValidationError for an ill-formed or too long id, or an ill-formed reason.
 */
export function checkStop(operation: "cancel" | "terminate", id: unknown, reason: unknown): void {
  const call = `${operation}(${typeof id === "string" ? quote(id) : "id"})`;
  const executionId = typeof id === "string" ? id : undefined;
  checkIdLike(call, "the execution id", id, executionId);
  checkWellFormed(call, "the reason", reason, executionId);
}

/**
 * The token of `completeCallback` and `failCallback`. A token the engine made is always well-formed; an ill-formed
 * one is a malformed argument, not an unknown token.
 * @throws ValidationError for an ill-formed token.
 */
export function checkCallbackToken(token: unknown, outcome: object): void {
  checkWellFormed("error" in outcome ? "failCallback" : "completeCallback", "the callback token", token, undefined);
}
