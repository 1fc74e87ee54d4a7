// now(), random(), uuid() and setStatus(): values recorded the first time (ValueRecorded, StatusSet) so every replay
// sees the same ones.
import { decodeValue, encodeValue } from "../codec.js";
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { SetStatusCommand, ValueCommand } from "../yieldable.js";
import { cancelledOrUnexpected, site } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** now(), random(), uuid(): the recorded value, or a new one recorded. */
export function value(r: Replayer, command: ValueCommand, op: OpRecord | undefined, position: Position): Decision {
  const recorded = op?.events[0];
  if (recorded) {
    if (recorded.type !== "ValueRecorded") return cancelledOrUnexpected(r, position, recorded);
    return { type: "resume", value: decodeValue(recorded.value) };
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  const value = command.kind === "now" ? r.env.now() : command.kind === "random" ? r.env.random() : r.env.uuid();
  r.record({ type: "ValueRecorded", ...r.tag(position), value: JSON.stringify(value) });
  return { type: "resume", value };
}

/** setStatus(): the custom status, recorded once. */
export function setStatus(r: Replayer, command: SetStatusCommand, op: OpRecord | undefined, position: Position): Decision {
  const recorded = op?.events[0];
  if (recorded) {
    if (recorded.type !== "StatusSet") return cancelledOrUnexpected(r, position, recorded);
    return { type: "resume", value: undefined };
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  let text: string;
  try {
    // undefined clears the status (recorded as null).
    text = encodeValue(command.value, site(r, position, "value")) ?? "null";
  } catch (error) {
    return { type: "throw", error: error as Error };
  }
  r.customStatus = text;
  r.record({ type: "StatusSet", ...r.tag(position), value: text });
  return { type: "resume", value: undefined };
}
