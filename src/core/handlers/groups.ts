// all, race, allSettled, map and branch: a group records GroupStarted with its number of branches (its shape, checked
// on every replay) and GroupSettled when it settles early. Its children run as fibers in scopes <group id>.<index>.
import type { Position } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { BranchCommand, GroupCommand } from "../yieldable.js";
import { NO_EVENTS, mismatch, side, unexpected } from "./prelude.js";
import type { OpRecord } from "./prelude.js";

/** all, race, allSettled, map, branch: record the group's shape once and check it on every replay. */
export function group(r: Replayer, command: GroupCommand | BranchCommand, op: OpRecord | undefined, position: Position): Decision {
  let started = false;
  let settled: number | undefined;
  const size = command.kind === "branch" ? 1 : command.size;
  for (const event of op ? op.events : NO_EVENTS) {
    if (event.type === "GroupStarted") {
      started = true;
      // The group's shape is in the history: branches added or dropped are a change of code, caught before
      // anything new runs, even when the group completed long ago.
      if (event.size !== size) {
        throw mismatch(r, position.opId, side(command.kind, command.name, `of ${plural(event.size, "branch")}`),
          side(command.kind, command.name, `of ${plural(size, "branch")}`));
      }
    } else if (event.type === "GroupSettled") settled = event.index;
    else throw unexpected(r, event);
  }
  if (!started) {
    r.atFrontier();
    r.record({ type: "GroupStarted", ...r.tag(position), size });
  }
  return settled === undefined ? { type: "group", position } : { type: "group", position, settled };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "es"}`;
}

/** Records a group's early settlement on child `index` (once). */
export function groupSettled(r: Replayer, position: Position, index: number): void {
  const recorded = r.opAt(position.opId)?.events.some((event) => event.type === "GroupSettled");
  if (!recorded) r.record({ type: "GroupSettled", ...r.tag(position), index });
}
