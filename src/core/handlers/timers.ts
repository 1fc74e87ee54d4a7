// sleep() and sleepUntil(): a durable timer. Recorded: TimerScheduled (its due time), TimerFired. It fires once the
// interpreter's recorded time reaches the due time, however late the turn runs.
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { SleepCommand } from "../yieldable.js";
import { NO_EVENTS, cancelledOrUnexpected } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** sleep()/sleepUntil(): schedule the timer once; it fires when the recorded time reaches its due time. */
export function sleep(r: Replayer, command: SleepCommand, op: OpRecord | undefined, position: Position): Decision {
  let fireAt: number | undefined;
  for (const event of op ? op.events : NO_EVENTS) {
    switch (event.type) {
      case "TimerScheduled":
        fireAt = event.fireAt;
        break;
      case "TimerFired":
        return { type: "resume", value: undefined };
      default:
        return cancelledOrUnexpected(r, position, event);
    }
  }
  const cancel = r.enterFrontier(position);
  if (cancel) return cancel;
  if (fireAt === undefined) {
    fireAt = command.until ?? r.env.now() + (command.durationMs ?? 0);
    r.record({ type: "TimerScheduled", ...r.tag(position), fireAt });
  }
  if (r.env.now() >= fireAt) {
    r.record({ type: "TimerFired", ...r.tag(position) });
    return { type: "resume", value: undefined };
  }
  return { type: "wait", wait: { kind: "timer", opId: position.opId, name: command.name, until: fireAt } };
}
