// What reaches an execution from outside: events and cancellations go to its inbox (idempotently, checked first so
// bad input stores nothing) for its next turn to take; terminate closes it at once with one append. Cancel and
// terminate then reach the children it waits for.
import { encodeValue } from "../core/codec.js";
import type { HistoryEvent } from "../core/history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "../core/history-check.js";
import type { InboxItem } from "../core/replayer.js";
import { ConcurrencyError, ExecutionClosedError, IdempotencyConflictError, ValidationError } from "../errors.js";
import type { ExecutionRecord } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { SendEventOptions, StopResult } from "./api-types.js";
import { checkReason } from "./checks.js";
import { forChildren, notifyParent } from "./children.js";
import type { EngineContext } from "./context.js";
import { notFound } from "./turn.js";
import { callerTraceparent, traceparentField, traceTerminated } from "./tracing.js";
import { checkSendEvent, checkStop } from "./validate.js";

/** The engine as its inbox commands see it. */
export interface InboxHost extends EngineContext {
  /** @throws ExecutionNotFoundError */
  getRecord(id: string): Promise<ExecutionRecord>;
  /** Forgets the execution's warm session. */
  dropWarm(id: string): void;
  /** The execution ended: its waiting callers get the record. */
  settled(record: ExecutionRecord): void;
}

const RETRIES_ON_CONFLICT = 8;

/**
 * Sends an event to an execution's inbox (see `Engine.sendEvent`).
 * @throws ExecutionNotFoundError, ExecutionClosedError, ValidationError, IdempotencyConflictError.
 */
export async function sendEvent(
  engine: InboxHost,
  id: string,
  name: string,
  payload: unknown,
  options: SendEventOptions,
): Promise<{ duplicate: boolean }> {
  checkSendEvent(id, name, options);
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(`sendEvent('${id}'): the event name must be a non-empty string.`, { executionId: id });
  }
  const key = (options ?? {}).idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key === "" || key.length > 512)) {
    throw new ValidationError(
      `sendEvent('${id}', '${name}'): idempotencyKey must be a non-empty string of at most 512 characters.`,
      { executionId: id, operation: `event '${name}'` },
    );
  }
  // A closed execution is refused by the store's inbox write, after its duplicate check: a retried delivery of an
  // event accepted earlier is answered as a duplicate even once the execution has finished.
  const record = await engine.getRecord(id);
  const definition = engine.lookup(record.workflow, id);
  let value = payload;
  const schemas = definition.eventSchemas;
  if (schemas) {
    const schema = Object.hasOwn(schemas, name) ? schemas[name] : undefined;
    if (!schema) {
      throw new ValidationError(
        `sendEvent('${id}', '${name}'): workflow '${definition.name}' declares no event '${name}' ` +
          `(it declares: ${Object.keys(schemas).join(", ") || "none"}). Nothing was stored; check the name.`,
        { executionId: id, operation: `event '${name}'` },
      );
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      throw new ValidationError(
        `sendEvent('${id}', '${name}'): the payload does not match the event's schema: ` +
          `${JSON.stringify(parsed.error.issues)}. Nothing was stored; fix the payload and send again.`,
        { executionId: id, operation: `event '${name}'`, issues: parsed.error.issues },
      );
    }
    value = parsed.data;
  }
  const encoded = encodeValue(value, {
    executionId: id,
    operation: `the payload of event '${name}'`,
    limit: engine.store.limits.maxValueBytes,
  });
  const item: InboxItem = {
    id: engine.ulid(),
    key: `event:${key ?? engine.ulid()}`,
    type: "event",
    name,
    at: engine.clock.now(),
    ...(encoded === undefined ? {} : { payload: encoded }),
    ...traceparentField(callerTraceparent(engine.tracing)),
  };
  const written = await engine.store.writeInbox(id, item);
  switch (written.status) {
    case "not-found":
      throw notFound(id);
    case "closed":
      throw closedError(written.record, `event '${name}'`);
    case "duplicate":
      if (written.existing.name !== name || written.existing.payload !== encoded) {
        throw new IdempotencyConflictError(
          `sendEvent('${id}', '${name}'): idempotency key '${key}' was already used for ` +
            `${written.existing.name === name ? "another payload" : `event '${written.existing.name}'`}. ` +
            `Nothing was stored; use a new key for a new event.`,
          { executionId: id, operation: `event '${name}'` },
        );
      }
      return { duplicate: true };
    case "written":
      engine.inboxChanged(id);
      return { duplicate: false };
  }
}

/**
 * Cancels an execution through its inbox, then the children it waits for (see `Engine.cancel`). `recorded` is false
 * when this call stored nothing: the execution was cancelled or terminated already, or its current run was cancelled
 * already (one cancellation per run: pending, or caught by the workflow), by this process or another: the store's
 * answer decides, not an earlier read.
 * @throws ExecutionNotFoundError, ExecutionClosedError, ValidationError (a malformed reason).
 */
export async function cancel(engine: InboxHost, id: string, reason?: string): Promise<StopResult> {
  checkStop("cancel", id, reason);
  checkReason("cancel", id, reason);
  const record = await engine.getRecord(id);
  if (record.status === "cancelled" || record.status === "terminated") return { executionId: id, recorded: false };
  if (CLOSED_STATUSES.has(record.status)) throw closedError(record, "cancel");
  const item: InboxItem = {
    id: engine.ulid(),
    // One cancellation per run: a run that caught one and continued as new can be cancelled again.
    key: `cancel:${record.runId}`,
    type: "cancel",
    name: "cancel",
    at: engine.clock.now(),
    ...(reason === undefined ? {} : { payload: String(reason) }),
  };
  const written = await engine.store.writeInbox(id, item);
  if (written.status === "not-found") throw notFound(id);
  if (written.status === "closed") {
    if (written.record.status === "cancelled" || written.record.status === "terminated") return { executionId: id, recorded: false };
    throw closedError(written.record, "cancel");
  }
  if (written.status === "written") engine.inboxChanged(id);
  await forChildren(engine, id, (childId) => cancel(engine, childId, reason));
  return { executionId: id, recorded: written.status === "written" };
}

/**
 * Terminates an execution with one append (retried when another writer moved it on), then the children it waits
 * for, and tells its parent (see `Engine.terminate`). `recorded` is false when this call stored nothing: the
 * execution was cancelled or terminated already, also when another process ended it so while this call retried.
 * @throws ExecutionNotFoundError, ExecutionClosedError, ValidationError (a malformed reason), ConcurrencyError (still
 * racing other writers after several tries).
 */
export async function terminate(engine: InboxHost, id: string, reason?: string): Promise<StopResult> {
  checkStop("terminate", id, reason);
  checkReason("terminate", id, reason);
  for (let attempt = 1; ; attempt++) {
    const record = await engine.getRecord(id);
    if (record.status === "cancelled" || record.status === "terminated") return { executionId: id, recorded: false };
    if (CLOSED_STATUSES.has(record.status)) throw closedError(record, "terminate");
    const now = engine.clock.now();
    const event: HistoryEvent = {
      v: HISTORY_VERSION,
      seq: record.version + 1,
      type: "ExecutionCancelled",
      opId: EXECUTION_OP,
      kind: "execution",
      name: record.workflow,
      at: now,
      terminated: true,
      ...(reason === undefined ? {} : { reason: String(reason) }),
    };
    try {
      const updated = await engine.store.append(id, {
        runId: record.runId,
        expectedVersion: record.version,
        events: [event],
        consumeInbox: [],
        update: { status: "terminated", waitingFor: [], wakeAt: null, inboxSeen: record.inboxSeq, updatedAt: now },
      });
      engine.dropWarm(id);
      engine.settled(updated);
      await traceTerminated(engine.tracing, (run) => engine.history(run), updated, event);
      await forChildren(engine, id, (childId) => terminate(engine, childId, reason));
      if (updated.parent) await notifyParent(engine, updated);
      return { executionId: id, recorded: true };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= RETRIES_ON_CONFLICT) throw error;
    }
  }
}

function closedError(record: ExecutionRecord, what: string): ExecutionClosedError {
  return new ExecutionClosedError(
    `Execution '${record.id}' is ${record.status}; it accepts no ${what}. Nothing was stored. Start a new ` +
      `execution if there is more to do.`,
    { executionId: record.id, operation: what },
  );
}
