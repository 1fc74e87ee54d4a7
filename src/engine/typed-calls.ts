// The typed forms of sendEvent, completeCallback, result and handle name the workflow first
// (`engine.sendEvent(order, id, "paid", payload)`), so the compiler types names, payloads and results from its
// declarations. These checks keep that true at run time before the untyped form runs: the workflow object is the
// definition registered under its name (as `start` requires), the execution runs it, and a callback token is the
// named callback's. They store nothing.
import type { EventOf } from "../core/history.js";
import { decodeToken } from "../core/replayer.js";
import { ValidationError, WorkflowNotFoundError } from "../errors.js";
import type { ExecutionRecord } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { EngineContext } from "./context.js";

/** True for the typed forms' first argument (a workflow object); the untyped forms start with a string. */
export function namesWorkflow(first: unknown): first is AnyWorkflow {
  return typeof first === "object" && first !== null;
}

/**
 * Checks that `workflow` is the registered definition and that execution `id` runs it; returns its record.
 * @throws ValidationError (not a workflow, or the execution runs another one), WorkflowNotFoundError,
 * ExecutionNotFoundError (from `getRecord`).
 */
export async function recordOfWorkflow(
  engine: EngineContext & { getRecord(id: string): Promise<ExecutionRecord> },
  workflow: AnyWorkflow,
  id: string,
  method: string,
): Promise<ExecutionRecord> {
  checkRegistered(engine, workflow, id, method);
  const record = await engine.getRecord(id);
  checkRuns(workflow, record, method);
  return record;
}

/**
 * Checks that `token` is callback `name`'s in an execution of `workflow`. A string that is no live token of the
 * execution it names (the whole token, as `completeCallback` checks it) is left to `completeCallback`, which answers
 * CallbackNotFoundError, so nothing is said about an execution to a caller without its token.
 * @throws ValidationError (the token is another workflow's or another callback's), WorkflowNotFoundError.
 */
export async function checkCallbackOf(engine: EngineContext, workflow: AnyWorkflow, token: string, name: string): Promise<void> {
  const target = typeof token === "string" ? decodeToken(token) : undefined;
  checkRegistered(engine, workflow, target?.executionId ?? "(no execution)", "completeCallback");
  if (!target) return;
  const record = await engine.store.get(target.executionId);
  if (!record || record.runId !== target.runId || CLOSED_STATUSES.has(record.status)) return;
  // Usually the execution waits at the callback right now, and its record names it; otherwise its history does.
  const waiting = record.waitingFor.find(
    (wait) => wait.kind === "callback" && wait.opId === target.opId && (wait.token === undefined || wait.token === token),
  );
  const actual =
    waiting?.name ??
    (await engine.history(record.id)).find(
      (event): event is EventOf<"CallbackCreated"> => event.type === "CallbackCreated" && event.token === token,
    )?.name;
  if (actual === undefined) return;
  checkRuns(workflow, record, "completeCallback");
  if (actual !== name) {
    throw new ValidationError(
      `completeCallback('${workflow.name}', '${name}'): the token is callback '${actual}''s of execution ` +
        `'${record.id}', not '${name}''s. Nothing was stored; the token is still valid. Name the callback it was sent by.`,
      { executionId: record.id, operation: `callback '${actual}'` },
    );
  }
}

function checkRegistered(engine: EngineContext, workflow: AnyWorkflow, id: string, method: string): void {
  const name = workflow?.name;
  if (typeof name !== "string") {
    throw new ValidationError(`${method}(workflow, ...): pass a workflow() definition registered with the engine.`, { executionId: id });
  }
  if (engine.lookup(name, id) !== workflow) {
    throw new WorkflowNotFoundError(
      `${method}('${name}', id '${id}'): this workflow object is not the one registered under '${name}'. ` +
        `Pass the definition given to createEngine({ workflows }).`,
      { executionId: id },
    );
  }
}

function checkRuns(workflow: AnyWorkflow, record: ExecutionRecord, method: string): void {
  if (record.workflow === workflow.name) return;
  throw new ValidationError(
    `${method}('${workflow.name}', id '${record.id}'): execution '${record.id}' runs workflow '${record.workflow}', ` +
      `not '${workflow.name}'. Nothing was stored; name the workflow the execution runs, or use the form without one.`,
    { executionId: record.id, operation: method },
  );
}
