// child() and startChild(): another workflow as its own execution. Recorded: ChildStarted (its id), ChildCompleted
// (its outcome, from the parent's inbox, or the refusal to create it).
import { CancelledError } from "../../errors.js";
import type { ErrorRecord } from "../error-record.js";
import { reviveError, toErrorRecord } from "../error-record.js";
import { decodeValue, encodeValue } from "../codec.js";
import type { EventOf, NewEvent } from "../history.js";
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { ChildCommand } from "../yieldable.js";
import { NO_EVENTS, cancelledOrUnexpected, site } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** child()/startChild(): from the history, or at the frontier: ask for the child, then take its outcome. */
export function child(r: Replayer, command: ChildCommand, op: OpRecord | undefined, position: Position): Decision {
  let childId: string | undefined;
  for (const event of op ? op.events : NO_EVENTS) {
    switch (event.type) {
      case "ChildStarted":
        childId = event.childId;
        if (!command.wait) return { type: "resume", value: { id: childId } };
        break;
      case "ChildCompleted":
        return childOutcome(r, position, event);
      default:
        return cancelledOrUnexpected(r, position, event);
    }
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  if (childId === undefined) {
    let input: string | undefined;
    try {
      input = encodeValue(command.input, site(r, position, "input"));
    } catch (error) {
      return { type: "throw", error: error as Error };
    }
    const id = command.id ?? `${r.executionId}:${r.runId}:${position.opId}`;
    return input === undefined ? { type: "startChild", position, childId: id } : { type: "startChild", position, childId: id, input };
  }
  const item = r.take("child", `child:${childId}`);
  if (item) {
    const outcome = decodeValue(item.payload) as { status: EventOf<"ChildCompleted">["status"]; result?: string; error?: ErrorRecord };
    const event: NewEvent = {
      type: "ChildCompleted",
      ...r.tag(position),
      inboxId: item.id,
      status: outcome.status,
      ...(outcome.result === undefined ? {} : { result: outcome.result }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    };
    r.record(event);
    return childOutcome(r, position, event as EventOf<"ChildCompleted">);
  }
  return { type: "wait", wait: { kind: "child", opId: position.opId, name: childId } };
}

/** What the parent receives for a child's recorded outcome. */
export function childOutcome(r: Replayer, position: Position, event: EventOf<"ChildCompleted">): Decision {
  switch (event.status) {
    case "completed":
      return { type: "resume", value: decodeValue(event.result) };
    case "failed":
      return { type: "throw", error: reviveError(event.error ?? { name: "Error", message: "the child execution failed" }) };
    default:
      return {
        type: "throw",
        error: new CancelledError(
          `Execution '${r.executionId}': child ${position.describe()} was ${event.status}.`,
          { executionId: r.executionId, operation: position.describe() },
        ),
      };
  }
}

/** Records that a child execution exists; a detached child's start returns its id at once. */
export function childStarted(r: Replayer, position: Position, childId: string): Decision {
  const command = position.command as ChildCommand;
  r.record({ type: "ChildStarted", ...r.tag(position), childId, ...(command.wait ? {} : { detached: true }) });
  return r.redecide(position);
}

/**
 * Records that the child could not be created (its input failed its schema, its workflow is unknown, its id is
 * taken): the child operation fails with that error, now and on every replay.
 */
export function childRefused(r: Replayer, position: Position, error: unknown): Decision {
  const event: NewEvent = { type: "ChildCompleted", ...r.tag(position), inboxId: "", status: "failed", error: toErrorRecord(error) };
  r.record(event);
  return childOutcome(r, position, event as EventOf<"ChildCompleted">);
}
