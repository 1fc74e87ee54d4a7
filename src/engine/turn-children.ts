// The children a turn creates: each child execution the run starts is created (idempotently) once the events before
// it are written, and the interpreter is told whether it exists or was refused.
import type { ChildRun } from "../core/interpreter.js";
import { IdempotencyConflictError, ValidationError, WorkflowNotFoundError } from "../errors.js";
import type { Session } from "./session.js";
import type { TurnDeps } from "./turn-types.js";
import type { TurnWriter } from "./turn-writes.js";

/**
 * Creates the children the run starts; true when any was asked for (the interpreter has their answers). A child
 * refused for its input, its workflow or its id is an error thrown into the body; any other failure stops the turn.
 * @throws a store or engine error from creating a child.
 */
export async function startChildren(deps: TurnDeps, session: Session, writer: TurnWriter, children: ChildRun[]): Promise<boolean> {
  const interpreter = session.interpreter;
  for (const child of children) {
    if (interpreter.replayer.hasBuffered) await writer.checkpoint();
    try {
      await deps.startChild({
        parentId: session.executionId,
        parentRunId: session.runId,
        opId: child.position.opId,
        workflow: child.workflow,
        childId: child.childId,
        wait: child.wait,
        ...(child.input === undefined ? {} : { input: child.input }),
        ...(session.trace ? { traceparent: session.trace.childTraceparent(child.position.opId) } : {}),
      });
    } catch (error) {
      if (error instanceof ValidationError || error instanceof WorkflowNotFoundError || error instanceof IdempotencyConflictError) {
        interpreter.childFailed(child, error);
        continue;
      }
      throw error;
    }
    interpreter.childStarted(child, deps.clock.now());
  }
  return children.length > 0;
}
