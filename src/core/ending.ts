// How a run ends: the body returned (checked against the output schema, encoded within the store's limit), threw,
// or rethrew the cancellation it was given. The end event is recorded after checking the body reached every
// recorded operation.
import { ValidationError } from "../errors.js";
import { encodeValue } from "./codec.js";
import type { ErrorRecord } from "./error-record.js";
import { isCancellation, toErrorRecord } from "./error-record.js";
import type { Settlement } from "./fibers.js";
import type { NewEvent } from "./history.js";
import { EXECUTION_OP } from "./history-check.js";
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
  const atEnd = cancelAtEnd(replayer, options.workflowName);
  if (atEnd) {
    event = { type: "ExecutionCancelled", ...tag, ...(atEnd.reason === undefined ? {} : { reason: atEnd.reason }) };
    ending = { status: "cancelled" };
  } else if (outcome.ok) {
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
  } else if (isCancellation(outcome.error) && replayer.cancelWasDelivered) {
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

/**
 * The run's end was refused because commands arrived after the turn read its inbox: a cancellation among them ends
 * the run cancelled instead (the end event is taken back and the run ends again).
 */
export function reconsiderEnding<E extends Ending>(
  replayer: Replayer,
  options: EndingOptions,
  outcome: Settlement,
  ending: E,
): E | { status: "cancelled" } {
  if (ending.status === "cancelled" || ending.status === "continueAsNew") return ending;
  if (!replayer.inbox.cancel || replayer.cancelState !== "none") return ending;
  replayer.dropLast();
  return endRun(replayer, options, outcome) as { status: "cancelled" };
}

/**
 * A cancellation that reached no operation before the body ended (it arrived while the last step ran, or after the
 * turn read its inbox): `cancel` acknowledged it, so it is honoured at the end and recorded there. Replays find the
 * one recorded there.
 */
function cancelAtEnd(replayer: Replayer, workflowName: string): { reason?: string } | undefined {
  if (replayer.cancelledAtEnd) return replayer.cancelledAtEnd;
  const item = replayer.inbox.cancel;
  if (replayer.cancelState !== "none" || !item) return undefined;
  replayer.inbox.cancel = undefined;
  replayer.consume(item);
  replayer.cancelState = "delivering";
  const reason = item.payload === undefined ? {} : { reason: item.payload };
  replayer.record({ type: "CancelRequested", opId: EXECUTION_OP, kind: "execution", name: workflowName, at: replayer.env.now(), inboxId: item.id, ...reason });
  return replayer.cancelledAtEnd;
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
