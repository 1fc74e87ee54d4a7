// engine.start() in two halves: checking a start and building its new execution, before the store's create; and
// reading what the create found (a new execution, the same start again, or another one under that id). They live
// outside start() so that while the create is in flight a start holds only the few strings the second half needs:
// thousands of starts may wait on their creates at once.
import { encodeValue } from "../core/codec.js";
import { IdempotencyConflictError, ValidationError, WorkflowNotFoundError } from "../errors.js";
import type { CreateResult, NewExecution } from "../store/history-store.js";
import { newExecution } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { StartOptions } from "./api-types.js";
import type { EngineContext } from "./context.js";
import { callerTraceparent } from "./tracing.js";
import { checkStart } from "./validate.js";

/** What a start needs from the engine (its context, as the inbox's calls have it). */
export type StartDeps = Pick<EngineContext, "lookup" | "ulid" | "clock" | "store" | "tracing">;

/**
 * The execution a start creates: its record and ExecutionStarted event, the input checked and encoded.
 * @throws ValidationError (a malformed call, an id, an input its schema refuses or that cannot be stored),
 * WorkflowNotFoundError (an unregistered workflow, or another definition under its name).
 */
export function newExecutionFor(deps: StartDeps, workflow: unknown, input: unknown, options: StartOptions): NewExecution {
  checkStart(workflow, options);
  const name = typeof workflow === "string" ? workflow : (workflow as AnyWorkflow)?.name;
  if (typeof name !== "string") {
    throw new ValidationError("start(workflow, input, options): pass a workflow() definition or its registered name.");
  }
  const id = (options ?? {}).id ?? deps.ulid();
  if (typeof id !== "string" || id === "") {
    throw new ValidationError(`start: the execution id must be a non-empty string, got ${JSON.stringify(id)}.`);
  }
  const definition = deps.lookup(name, id);
  if (typeof workflow !== "string" && workflow !== definition) {
    throw new WorkflowNotFoundError(
      `start('${name}', id '${id}'): this workflow object is not the one registered under '${name}'. ` +
        `Pass the definition given to createEngine({ workflows }).`,
      { executionId: id },
    );
  }
  let value: unknown = input;
  if (definition.inputSchema) {
    const parsed = definition.inputSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        `start('${name}', id '${id}'): the input does not match the workflow's input schema: ` +
          `${JSON.stringify(parsed.error.issues)}. Nothing was recorded; fix the input and start again.`,
        { executionId: id, operation: "start", issues: parsed.error.issues },
      );
    }
    value = parsed.data;
  }
  const encoded = encodeValue(value, { executionId: id, operation: `the input of workflow '${name}'`, limit: deps.store.limits.maxValueBytes });
  // newExecution leaves out an input or trace context that is undefined: no spread objects to build per start.
  return newExecution({
    id,
    workflow: name,
    runId: deps.ulid(),
    at: deps.clock.now(),
    input: encoded,
    traceparent: callerTraceparent(deps.tracing),
  });
}

/**
 * Checks what the store's create found: the new execution, or one created before with the same workflow and input.
 * @throws IdempotencyConflictError when the id is taken by another workflow or another input.
 */
export function checkCreated(outcome: CreateResult, id: string, name: string, encoded: string | undefined): void {
  if (outcome.created || (outcome.record.workflow === name && outcome.record.input === encoded)) return;
  throw new IdempotencyConflictError(
    `start('${name}', id '${id}'): an execution with this id already exists with ` +
      `${outcome.record.workflow !== name ? `workflow '${outcome.record.workflow}'` : "another input"}. ` +
      `Use a new id for a new execution, or the same input to get the existing one.`,
    { executionId: id, operation: "start" },
  );
}
