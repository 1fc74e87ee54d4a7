// waitForEvent(): takes the next event of its name from the inbox. Recorded: WaitStarted (with its deadline),
// EventReceived, or TimerFired on timeout. An event that arrived after the deadline does not satisfy the wait: it stays
// in the inbox for a later one.
import { decodeValue } from "../codec.js";
import type { Position } from "../position.js";
import type { Decision, Replayer, WaitInfo } from "../replayer.js";
import type { WaitForEventCommand } from "../yieldable.js";
import { NO_EVENTS, cancelledOrUnexpected, delivered, timedOut } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** waitForEvent(): from the history, or at the frontier: take the next event that arrived in time, or wait. */
export function waitForEvent(r: Replayer, command: WaitForEventCommand, op: OpRecord | undefined, position: Position): Decision {
  let started = false;
  let deadline: number | undefined;
  for (const event of op ? op.events : NO_EVENTS) {
    switch (event.type) {
      case "EventReceived":
        return delivered(r, position, command.schema, decodeValue(event.payload), `event '${command.name}'`);
      case "WaitStarted":
        started = true;
        deadline = event.deadline;
        break;
      case "TimerFired":
        return { type: "throw", error: timedOut(r, position, command.timeoutMs) };
      default:
        return cancelledOrUnexpected(r, position, event);
    }
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  // An event that arrived at or after the wait's deadline does not satisfy it, whenever the turn runs.
  const item = r.take("event", command.name, deadline);
  if (item) {
    r.record({
      type: "EventReceived",
      ...r.tag(position),
      inboxId: item.id,
      ...(item.payload === undefined ? {} : { payload: item.payload }),
      ...(item.traceparent === undefined ? {} : { link: item.traceparent }),
    });
    // Only a branch of a group can be dropped after taking it (the body's own waits keep what they take).
    if (position.scope.prefix !== "") (r.takenNow ??= new Map()).set(position.opId, { item, event: r.buffer[r.buffer.length - 1]! });
    return delivered(r, position, command.schema, decodeValue(item.payload), `event '${command.name}'`);
  }
  return waitForEventOrDeadline(r, position, command, started, deadline);
}

/** Records the wait's start (with its deadline) once, and times it out when the deadline has come. */
export function waitForEventOrDeadline(r: Replayer, 
  position: Position,
  command: WaitForEventCommand,
  started: boolean,
  recordedDeadline: number | undefined,
): Decision {
  let deadline = recordedDeadline;
  if (!started) {
    // Recorded even without a timeout, so a later change of the code at this position is caught on replay.
    if (command.timeoutMs !== undefined) deadline = r.env.now() + command.timeoutMs;
    r.record({ type: "WaitStarted", ...r.tag(position), ...(deadline === undefined ? {} : { deadline }) });
  }
  if (deadline !== undefined && r.env.now() >= deadline) {
    r.record({ type: "TimerFired", ...r.tag(position) });
    return { type: "throw", error: timedOut(r, position, command.timeoutMs) };
  }
  const wait: WaitInfo = { kind: "event", opId: position.opId, name: command.name };
  if (deadline !== undefined) wait.until = deadline;
  return { type: "wait", wait };
}

/**
 * Gives back an event a dropped branch took but never used (its race was won by a sibling in the same turn): the
 * unwritten EventReceived is removed and the item goes back to the front of the inbox for the next wait.
 */
export function giveBack(r: Replayer, opId: string): void {
  const taken = r.takenNow?.get(opId);
  if (!taken) return;
  r.takenNow!.delete(opId);
  const index = r.buffer.indexOf(taken.event);
  if (index < 0) return;
  r.buffer.splice(index, 1);
  for (let i = index; i < r.buffer.length; i++) (r.buffer[i] as { seq: number }).seq -= 1;
  r.lastSeq -= 1;
  r.ops.remove(taken.event);
  r.unconsume(taken.item);
}
