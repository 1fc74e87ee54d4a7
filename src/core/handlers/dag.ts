// dag: a group whose children are named tasks with dependencies. It records GroupStarted with its number of tasks and
// its shape (tasks and edges, `shape`), and every replay compares both: a task added, removed, renamed or rewired on a
// recorded execution is a NonDeterminismError before anything new runs. An invalid DAG (a cycle, an unknown
// dependency) is thrown at the yield, naming the execution, with nothing recorded. Scheduling lives in dag-run.ts.
import { ValidationError } from "../../errors.js";
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { DagCommand } from "../yieldable.js";
import { NO_EVENTS, mismatch, side, unexpected } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** dag: check the recorded shape (or record it at the frontier), then run the tasks as a group. */
export function dag(r: Replayer, command: DagCommand, op: OpRecord | undefined, position: Position): Decision {
  if (command.problem !== undefined) {
    const error = new ValidationError(`Execution '${r.executionId}': ${position.describe()}: ${command.problem}`, {
      executionId: r.executionId,
      operation: position.describe(),
    });
    return { type: "throw", error };
  }
  let started = false;
  for (const event of op ? op.events : NO_EVENTS) {
    if (event.type !== "GroupStarted") throw unexpected(r, event);
    started = true;
    if (event.size !== command.size || event.shape !== command.shape) {
      throw mismatch(r, position.opId, side("dag", command.name, `with tasks ${describeShape(event.shape)}`),
        side("dag", command.name, `with tasks ${describeShape(command.shape)}`));
    }
  }
  if (!started) {
    r.atFrontier();
    r.record({ type: "GroupStarted", ...r.tag(position), size: command.size, shape: command.shape });
  }
  return { type: "group", position };
}

/** A recorded shape as text: `extract, clean <- [extract], ...`. */
export function describeShape(shape: string | undefined): string {
  if (shape === undefined) return "(no shape recorded)";
  try {
    const tasks = JSON.parse(shape) as [string, string[]][];
    return tasks.map(([name, deps]) => (deps.length === 0 ? `'${name}'` : `'${name}' <- [${deps.map((d) => `'${d}'`).join(", ")}]`)).join(", ");
  } catch {
    return shape;
  }
}
