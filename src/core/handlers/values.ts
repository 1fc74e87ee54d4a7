// now(), random(), uuid() and setStatus(): values recorded the first time (ValueRecorded, StatusSet) so every replay
// sees the same ones.
import { decodeValue, encodeValue } from "../codec.js";
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { SetStatusCommand, ValueCommand } from "../yieldable.js";
import { cancelled, unexpected } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

export function value(r: Replayer, command: ValueCommand, op: OpRecord | undefined, position: Position): Decision {
  const recorded = op?.events[0];
  if (recorded) {
    if (recorded.type === "CancelRequested") return { type: "throw", error: cancelled(r, position, recorded.reason) };
    if (recorded.type !== "ValueRecorded") throw unexpected(r, recorded);
    return { type: "resume", value: decodeValue(recorded.value) };
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  const value = command.kind === "now" ? r.env.now() : command.kind === "random" ? r.env.random() : r.env.uuid();
  r.record({ type: "ValueRecorded", ...r.tag(position), value: JSON.stringify(value) });
  return { type: "resume", value };
}

export function setStatus(r: Replayer, command: SetStatusCommand, op: OpRecord | undefined, position: Position): Decision {
  const recorded = op?.events[0];
  if (recorded) {
    if (recorded.type === "CancelRequested") return { type: "throw", error: cancelled(r, position, recorded.reason) };
    if (recorded.type !== "StatusSet") throw unexpected(r, recorded);
    return { type: "resume", value: undefined };
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  let text: string;
  try {
    // undefined clears the status (recorded as null).
    text = encodeValue(command.value, r.site(position, "value")) ?? "null";
  } catch (error) {
    return { type: "throw", error: error as Error };
  }
  r.customStatus = text;
  r.record({ type: "StatusSet", ...r.tag(position), value: text });
  return { type: "resume", value: undefined };
}
