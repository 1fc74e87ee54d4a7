// continueAsNew(), patched() and deprecatePatch(): ending a run for a fresh one, and branching on code changes.
// patched() and deprecatePatch() take no position, so adding them shifts no operation id; the PatchMarker of a change
// is recorded once per run.
import { encodeValue } from "../codec.js";
import { EXECUTION_OP } from "../history-check.js";
import type { Position, Scope } from "../position.js";
import type { Decision, Replayer } from "../replayer.js";
import type { ContinueAsNewCommand } from "../yieldable.js";
import type { OpRecord } from "./prelude.js";
import { site } from "./prelude.js";

/** continueAsNew(): ends the run with the next run's input. */
export function continueAsNew(r: Replayer, command: ContinueAsNewCommand, _op: OpRecord | undefined, position: Position): Decision {
  r.atFrontier();
  let input: string | undefined;
  try {
    input = encodeValue(command.input, site(r, position, "input"));
  } catch (error) {
    return { type: "throw", error: error as Error };
  }
  return input === undefined ? { type: "continueAsNew" } : { type: "continueAsNew", input };
}

/**
 * patched(changeId): true when the history has this change's marker, or when the code is past the recorded
 * history here (new work: the marker is recorded); false while replaying a history recorded before the change.
 * It takes no position, so adding it does not shift the ids of the operations after it.
 */
export function patched(r: Replayer, scope: Scope, changeId: string): Decision {
  r.patchesAsked.add(changeId);
  return { type: "resume", value: answer(r, scope, changeId) };
}

/**
 * deprecatePatch(changeId): the old branch is gone. Records the marker where patched() would have answered true (so
 * a worker still on the patched() build takes the new branch of this execution), answers nothing, and never checks
 * the history: with or without the marker, it replays.
 */
export function deprecatePatch(r: Replayer, scope: Scope, changeId: string): Decision {
  answer(r, scope, changeId);
  return { type: "resume", value: undefined };
}

/** The change's answer for this run: the recorded marker, an earlier answer, or decided here (recorded if true). */
function answer(r: Replayer, scope: Scope, changeId: string): boolean {
  const known = r.patches.get(changeId);
  if (known !== undefined) return known;
  // Replaying old history here: the run predates the change, and every later call for this id must agree.
  const value = r.opAt(scope.opId(scope.counter)) === undefined;
  r.patches.set(changeId, value);
  if (value) r.record({ type: "PatchMarker", opId: `patch:${changeId}`, kind: "patched", name: changeId, at: r.env.now() });
  return value;
}

/** Records the end of this run by continue-as-new. */
export function continuedAsNew(r: Replayer, nextRunId: string, input: string | undefined, workflow: string): void {
  r.record({
    type: "ContinuedAsNew",
    opId: EXECUTION_OP,
    kind: "execution",
    name: workflow,
    at: r.env.now(),
    nextRunId,
    ...(input === undefined ? {} : { input }),
  });
}
