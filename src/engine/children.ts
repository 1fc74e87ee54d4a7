// Child executions: creating them for a parent (idempotently), reporting their end to the parent's inbox, and
// reaching the ones a parent waits for when it is cancelled or terminated.
import { decodeValue, encodeValue } from "../core/codec.js";
import { ExecutionClosedError, ExecutionNotFoundError, IdempotencyConflictError, ValidationError } from "../errors.js";
import type { ExecutionRecord } from "../store/history-store.js";
import { CLOSED_STATUSES, newExecution } from "../store/history-store.js";
import type { EngineContext } from "./context.js";
import type { ChildStart } from "./turn.js";

/** Ids of the children this execution started and still waits for. */
export async function openChildren(engine: EngineContext, id: string): Promise<string[]> {
  const history = await engine.history(id);
  const finished = new Set(history.filter((event) => event.type === "ChildCompleted").map((event) => event.opId));
  return history
    .filter((event) => event.type === "ChildStarted" && !event.detached && !finished.has(event.opId))
    .map((event) => (event as { childId: string }).childId);
}

/** Applies cancel or terminate to the children an execution waits for; children already ended are skipped. */
export async function forChildren(
  engine: EngineContext,
  id: string,
  action: (childId: string) => Promise<unknown>,
): Promise<void> {
  for (const childId of await openChildren(engine, id)) {
    try {
      await action(childId);
    } catch (error) {
      if (!(error instanceof ExecutionClosedError) && !(error instanceof ExecutionNotFoundError)) throw error;
    }
  }
}

/** Creates a child execution for a parent's turn, idempotently by id, and gets it going. */
export async function createChild(engine: EngineContext, request: ChildStart): Promise<void> {
  const definition = engine.lookup(request.workflow, request.childId);
  let input = request.input;
  if (definition.inputSchema) {
    const parsed = definition.inputSchema.safeParse(decodeValue(input));
    if (!parsed.success) {
      throw new ValidationError(
        `Execution '${request.parentId}': the input of child workflow '${request.workflow}' (#${request.opId}) ` +
          `does not match its input schema: ${JSON.stringify(parsed.error.issues)}. Fix the input passed to child().`,
        { executionId: request.parentId, operation: `child '${request.workflow}' (#${request.opId})`, issues: parsed.error.issues },
      );
    }
    input = encodeValue(parsed.data, {
      executionId: request.parentId,
      operation: `the input of child '${request.workflow}' (#${request.opId})`,
      limit: engine.store.limits.maxValueBytes,
    });
  }
  const execution = newExecution({
    id: request.childId,
    workflow: request.workflow,
    runId: engine.ulid(),
    at: engine.clock.now(),
    ...(input === undefined ? {} : { input }),
    ...(request.wait ? { parent: { executionId: request.parentId, opId: request.opId } } : {}),
    ...(request.traceparent === undefined ? {} : { traceparent: request.traceparent }),
  });
  const outcome = await engine.store.create(execution);
  const existing = outcome.record;
  const operation = `child '${request.workflow}' (#${request.opId})`;
  if (!outcome.created && (existing.workflow !== request.workflow || existing.input !== input)) {
    throw new IdempotencyConflictError(
      `Execution '${request.parentId}': child id '${request.childId}' (#${request.opId}) is taken by another ` +
        `execution (workflow '${existing.workflow}'). Give the child a unique id.`,
      { executionId: request.parentId, operation },
    );
  }
  const ours = existing.parent?.executionId === request.parentId && existing.parent.opId === request.opId;
  if (!CLOSED_STATUSES.has(existing.status)) {
    if (request.wait && !outcome.created && !ours) {
      // Its end is reported to the execution that started it, never to this one: waiting would never end.
      throw new IdempotencyConflictError(
        `Execution '${request.parentId}': child id '${request.childId}' (#${request.opId}) belongs to a running ` +
          `execution started by ${existing.parent ? `'${existing.parent.executionId}'` : "someone else"}. ` +
          `Give the child a unique id.`,
        { executionId: request.parentId, operation },
      );
    }
    engine.kick(request.childId);
  } else if (request.wait) {
    // Already ended (a retry after a crash, or an id reused by a later run): report to the execution that asks now.
    await report(engine, existing, request.parentId, `child:${existing.id}:${request.parentRunId}:${request.opId}`);
  }
}

/** Reports a closed child's outcome to its parent's inbox (idempotent by key). */
export async function notifyParent(engine: EngineContext, record: ExecutionRecord): Promise<void> {
  if (record.parent) await report(engine, record, record.parent.executionId, `child:${record.id}`);
}

/** Writes a closed child's outcome to an execution's inbox under `key` (idempotent by key). */
async function report(engine: EngineContext, record: ExecutionRecord, parentId: string, key: string): Promise<void> {
  const outcome = { status: record.status, result: record.result, error: record.error };
  const written = await engine.store.writeInbox(parentId, {
    id: engine.ulid(),
    key,
    type: "child",
    name: `child:${record.id}`,
    payload: JSON.stringify(outcome),
    at: engine.clock.now(),
  });
  if (written.status === "written") engine.inboxChanged(parentId);
}
