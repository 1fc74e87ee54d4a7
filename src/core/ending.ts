// How a run ends: the body returned (checked against the output schema, encoded within the store's limit), threw,
// or rethrew the cancellation it was given. The end event is recorded after checking the body reached every
// recorded operation.
import { CancelledError, ValidationError } from "../errors.js";
import { encodeValue } from "./codec.js";
import type { ErrorRecord } from "./error-record.js";
import { toErrorRecord } from "./error-record.js";
import type { Settlement } from "./fibers.js";
import type { NewEvent } from "./history.js";
import { EXECUTION_OP } from "./history.js";
import type { Replayer } from "./replayer.js";
import type { SchemaLike } from "./yieldable.js";

/** How the run ends. The end event is already recorded in the buffer, except for continue-as-new. */
export type Ending =
  | { status: "completed"; result?: string }
  | { status: "failed"; error: ErrorRecord }
  | { status: "cancelled" }
  | { status: "continueAsNew"; input?: string };

/** What ending a run needs to know of the workflow. */
export interface EndingOptions {
  executionId: string;
  workflowName: string;
  outputSchema?: SchemaLike<unknown>;
  valueLimit: number;
}

/** Records how the run ended, at the recorded time reached. */
export function endRun(replayer: Replayer, options: EndingOptions, outcome: Settlement): Ending {
  const tag = { opId: EXECUTION_OP, kind: "execution", name: options.workflowName, at: replayer.env.now() };
  let event: NewEvent;
  let ending: Ending;
  if (outcome.ok) {
    let result: string | undefined;
    try {
      result = encodeValue(checkOutput(options, outcome.value), {
        executionId: options.executionId,
        operation: `the result of workflow '${options.workflowName}'`,
        limit: options.valueLimit,
      });
    } catch (error) {
      return endRun(replayer, options, { ok: false, error });
    }
    event = { type: "ExecutionCompleted", ...tag, ...(result === undefined ? {} : { result }) };
    ending = result === undefined ? { status: "completed" } : { status: "completed", result };
  } else if (outcome.error instanceof CancelledError && replayer.cancelWasDelivered) {
    const reason = outcome.error.reason;
    event = { type: "ExecutionCancelled", ...tag, ...(reason === undefined ? {} : { reason }) };
    ending = { status: "cancelled" };
  } else {
    const error = toErrorRecord(outcome.error);
    event = { type: "ExecutionFailed", ...tag, error };
    ending = { status: "failed", error };
  }
  replayer.finish(event);
  return ending;
}

function checkOutput(options: EndingOptions, value: unknown): unknown {
  const { outputSchema, executionId, workflowName } = options;
  if (!outputSchema) return value;
  const parsed = outputSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    `Execution '${executionId}': the result of workflow '${workflowName}' does not match its output schema: ` +
      `${JSON.stringify(parsed.error.issues)}. Return a value that matches, or change the schema.`,
    { executionId, operation: "workflow result", issues: parsed.error.issues },
  );
}
