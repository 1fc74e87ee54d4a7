// step(): how a step records and replays. Recorded: StepStarted (at-most-once), StepFailed (with the retry time, or
// final), StepCompleted. At the frontier it asks for an attempt, waits out a durable backoff, and never reruns an
// at-most-once attempt that started without an outcome.
import { StepFailedError, ValidationError } from "../../errors.js";
import { decodeEncoded, decodeValue, encodeValue } from "../codec.js";
import type { ErrorRecord } from "../error-record.js";
import { reviveError, toErrorRecord } from "../error-record.js";
import type { EventOf } from "../history.js";
import { HISTORY_VERSION } from "../history-check.js";
import { backoffMs, willRetry } from "../retry.js";
import type { Settlement } from "../fibers.js";
import type { StepRun } from "../fibers.js";
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { StepCommand } from "../yieldable.js";
import { NO_EVENTS, cancelledOrUnexpected } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** step(): from the history, or at the frontier: the next attempt, a durable backoff, or the final failure. */
export function step(r: Replayer, command: StepCommand, op: OpRecord | undefined, position: Position): Decision {
  let started = 0;
  let lastFailed: EventOf<"StepFailed"> | undefined;
  for (const event of op ? op.events : NO_EVENTS) {
    switch (event.type) {
      case "StepCompleted":
        return { type: "resume", value: decodeValue(event.result) };
      case "StepFailed":
        if (event.retryAt === undefined) return { type: "throw", error: stepFailure(r, position, event.attempt, event.error) };
        lastFailed = event;
        break;
      case "StepStarted":
        started = event.attempt;
        break;
      default:
        return cancelledOrUnexpected(r, position, event);
    }
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  const lastAttempt = lastFailed?.attempt ?? 0;
  if (started > lastAttempt) {
    // An at-most-once attempt started and never reported: it may or may not have had its effect, so it is not
    // rerun blindly. It counts as a failed attempt and the retry policy decides.
    const error = toErrorRecord(
      new Error(
        `attempt ${started} of at-most-once step '${command.name}' was interrupted before its outcome was ` +
          `recorded; it was not run again`,
      ),
    );
    error.name = "StepInterruptedError";
    delete error.stack;
    return stepFailed(r, position, started, error);
  }
  if (lastFailed) return nextAttempt(r, position, lastAttempt + 1, lastFailed.retryAt!);
  return startAttempt(r, position, 1);
}

/** Asks for an attempt; an at-most-once step records its start first. */
export function startAttempt(r: Replayer, position: Position, attempt: number): Decision {
  if ((position.command as StepCommand).atMostOnce) {
    r.record({ type: "StepStarted", ...r.tag(position), attempt });
    return { type: "run", position, attempt, flushFirst: true };
  }
  return { type: "run", position, attempt, flushFirst: false };
}

/** The next attempt once its retry time has come; a wait until then. */
export function nextAttempt(r: Replayer, position: Position, attempt: number, retryAt: number): Decision {
  if (r.env.now() >= retryAt) return startAttempt(r, position, attempt);
  return { type: "wait", wait: { kind: "retry", opId: position.opId, name: position.command.name, until: retryAt } };
}

/** The error a step fails with for good. */
export function stepFailure(r: Replayer, position: Position, attempts: number, error: ErrorRecord): StepFailedError {
  const name = position.command.name;
  const plural = attempts === 1 ? "attempt" : "attempts";
  return new StepFailedError(
    `Step '${name}' (#${position.opId}) of execution '${r.executionId}' failed after ${attempts} ${plural}: ` +
      `${error.name}: ${error.message.replace(/\.+$/, "")}. Catch StepFailedError in the workflow to handle it, or ` +
      `adjust the step's retry policy.`,
    { executionId: r.executionId, operation: position.describe(), stepName: name, attempts, cause: reviveError(error) },
  );
}

/**
 * Records a successful step attempt; returns the decoded result (`value` is what `resultText` encodes: a primitive is
 * handed back as itself, anything else parsed from the text, as a replay would).
 */
export function stepSucceeded(r: Replayer, position: Position, attempt: number, resultText: string | undefined, value: unknown): Decision {
  // Built directly (no spreads): this is the hottest path of a running workflow.
  const event: EventOf<"StepCompleted"> = {
    v: HISTORY_VERSION,
    seq: ++r.lastSeq,
    type: "StepCompleted",
    opId: position.opId,
    kind: "step",
    name: position.command.name,
    at: r.env.now(),
    attempt,
  };
  if (resultText !== undefined) event.result = resultText;
  r.bufferEvent(event);
  // A step completed here is never looked up again in this session, so a fresh root-scope operation is not
  // indexed (an operation with earlier events, or a nested one such as a callback's send, keeps its record).
  if (position.scope.prefix !== "" || r.ops.root(position.index)) r.index(event);
  return { type: "resume", value: decodeEncoded(resultText, value) };
}

/** Records a failed step attempt; decides on a retry (durable backoff) or the step's final failure. */
export function stepFailed(r: Replayer, position: Position, attempt: number, error: ErrorRecord): Decision {
  const command = position.command as StepCommand;
  if (willRetry(command.retry, attempt, error)) {
    const retryAt = r.env.now() + backoffMs(command.retry, attempt);
    r.record({ type: "StepFailed", ...r.tag(position), attempt, error, retryAt });
    return nextAttempt(r, position, attempt + 1, retryAt);
  }
  r.record({ type: "StepFailed", ...r.tag(position), attempt, error });
  return { type: "throw", error: stepFailure(r, position, attempt, error) };
}

/** Records an attempt's outcome (checked against the step's schema, encoded within the store's limit). */
export function recordAttempt(r: Replayer, run: StepRun, outcome: Settlement): Decision {
  const command = run.position.command as StepCommand;
  if (!outcome.ok) return stepFailed(r, run.position, run.attempt, toErrorRecord(outcome.error));
  try {
    let value = outcome.value;
    if (command.schema) {
      const parsed = command.schema.safeParse(value);
      if (!parsed.success) {
        throw new ValidationError(
          `Execution '${r.executionId}': the result of ${run.position.describe()} does not match the step's ` +
            `schema: ${JSON.stringify(parsed.error.issues)}. Fix the step or its schema.`,
          { executionId: r.executionId, operation: run.position.describe(), issues: parsed.error.issues },
        );
      }
      value = parsed.data;
    }
    return stepSucceeded(r, run.position, run.attempt, encodeValue(value, r.siteOfResult(run.position)), value);
  } catch (error) {
    return stepFailed(r, run.position, run.attempt, toErrorRecord(error));
  }
}
