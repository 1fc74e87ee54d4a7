// callback(): a one-time token completed from outside. Recorded: CallbackCreated (the token, its deadline), the token's
// send step at <id>.0, CallbackCompleted or TimerFired. Only a completion addressed to the token, arrived before the
// deadline, is taken.
import { decodeValue } from "../codec.js";
import type { ErrorRecord } from "../error-record.js";
import { reviveError } from "../error-record.js";
import { Position } from "../position.js";
import type { Decision, Replayer, WaitInfo } from "../replayer.js";
import { encodeToken } from "../token.js";
import type { CallbackCommand, StepCommand } from "../yieldable.js";
import { NO_EVENTS, cancelledOrUnexpected, delivered, timedOut } from "./prelude.js";
import { step } from "./step.js";
import type { OpRecord } from "./prelude.js";

/** callback(): from the history, or at the frontier: create the token, send it through its step, take its completion. */
export function callback(r: Replayer, command: CallbackCommand, op: OpRecord | undefined, position: Position): Decision {
  let token: string | undefined;
  let deadline: number | undefined;
  for (const event of op ? op.events : NO_EVENTS) {
    switch (event.type) {
      case "CallbackCreated":
        token = event.token;
        deadline = event.deadline;
        break;
      case "CallbackCompleted":
        if (event.error) return { type: "throw", error: reviveError(event.error) };
        return delivered(r, position, command.schema, decodeValue(event.value), `callback '${command.name}'`);
      case "TimerFired":
        return { type: "throw", error: timedOut(r, position, command.timeoutMs) };
      default:
        return cancelledOrUnexpected(r, position, event);
    }
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  let created = false;
  if (token === undefined) {
    token = encodeToken(r.executionId, r.runId, position.opId, r.env.uuid());
    if (command.timeoutMs !== undefined) deadline = r.env.now() + command.timeoutMs;
    r.record({ type: "CallbackCreated", ...r.tag(position), token, ...(deadline === undefined ? {} : { deadline }) });
    created = true;
  }
  // The token goes out through a step of its own, operation <id>.0, with the usual retries.
  const sendToken = token;
  const send = new Position(r.openScope(position.opId, position.scope), 0, {
    kind: "step",
    name: `${command.name}:send`,
    run: () => command.send(sendToken),
    retry: command.retry,
    atMostOnce: false,
  });
  const sent = step(r, send.command as StepCommand, r.opAt(send.opId), send);
  // A new token is saved before it goes out: a completion may arrive at once, and a crash must not mint another.
  if (sent.type === "run" && created) return { ...sent, flushFirst: true };
  if (sent.type !== "resume") return sent;
  const item = r.take("callback", `callback:${token}`, deadline);
  if (item) {
    const outcome = (decodeValue(item.payload) ?? {}) as { value?: string; error?: ErrorRecord };
    r.record({
      type: "CallbackCompleted",
      ...r.tag(position),
      inboxId: item.id,
      ...(outcome.value === undefined ? {} : { value: outcome.value }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    });
    if (outcome.error) return { type: "throw", error: reviveError(outcome.error) };
    return delivered(r, position, command.schema, decodeValue(outcome.value), `callback '${command.name}'`);
  }
  if (deadline !== undefined && r.env.now() >= deadline) {
    r.record({ type: "TimerFired", ...r.tag(position) });
    return { type: "throw", error: timedOut(r, position, command.timeoutMs) };
  }
  const wait: WaitInfo = { kind: "callback", opId: position.opId, name: command.name, token };
  if (deadline !== undefined) wait.until = deadline;
  return { type: "wait", wait };
}
