// The commands that change an execution's course: `cancel` (a CancelledError at its current operation; compensation
// may run), `terminate` (ends it at once), `resume` (runs one turn here, now) and `redrive` (a stuck or failed
// execution back to work). Each is the engine's public call; what is refused exits 1 and changes nothing.
import { EXIT } from "../errors.js";
import { json, when } from "../output.js";
import type { Command, CommandOption } from "./types.js";

/** What `cancel` prints when the engine recorded nothing: stopped already, or its current run cancelled already. */
function nothingRecorded(id: string, status: string): string {
  return status === "cancelled" || status === "terminated"
    ? `${id} is already ${status}: nothing recorded`
    : `${id} (${status}): its current run was cancelled already (the cancellation is pending, or the workflow ` +
        `caught it; a run takes one): nothing recorded`;
}

const REASON: CommandOption = { type: "string", short: "r", value: "text", description: "Why (recorded, at most 4,096 characters)." };

/**
 * `spindle cancel <id> [--reason <text>]`: records a cancellation; the next turn runs it.
 *
 * @example
 * ```ts
 * await runCli(["cancel", "order-o-1", "--reason", "customer changed their mind"]);
 * ```
 */
export const cancelCommand: Command = {
  name: "cancel",
  summary: "Cancel an execution: CancelledError at its current operation; its catch/finally may compensate.",
  details: "The cancellation is recorded now; the execution's next turn (your tick, or spindle resume) runs it.",
  args: [{ name: "id", description: "The execution id." }],
  options: { reason: REASON },
  needs: "store",
  async run(context) {
    const [id] = context.positionals as [string];
    const reason = context.values.reason as string | undefined;
    const engine = await context.engine();
    // What the engine's cancel answers decides (an earlier read could race another process): when it recorded
    // nothing, the execution was stopped already or its current run was cancelled already.
    const { recorded } = await engine.cancel(id, reason);
    const status = recorded ? undefined : (await engine.describe(id)).status;
    if (context.json) context.print(json({ executionId: id, cancelled: recorded, ...(status === undefined ? {} : { status }) }));
    else context.print(recorded ? `cancellation of ${id} recorded; its next turn runs it` : nothingRecorded(id, status!));
    return EXIT.ok;
  },
};

/**
 * `spindle terminate <id> [--reason <text>]`: ends the execution at once.
 *
 * @example
 * ```ts
 * await runCli(["terminate", "order-o-1", "--reason", "stuck after a bad deploy"]);
 * ```
 */
export const terminateCommand: Command = {
  name: "terminate",
  summary: "Terminate an execution at once: no more workflow code runs (no compensation).",
  args: [{ name: "id", description: "The execution id." }],
  options: { reason: REASON },
  needs: "store",
  async run(context) {
    const [id] = context.positionals as [string];
    const reason = context.values.reason as string | undefined;
    const engine = await context.engine();
    const { recorded } = await engine.terminate(id, reason);
    const { status } = await engine.describe(id);
    context.print(context.json ? json({ executionId: id, status, terminated: recorded }) : recorded ? `${id} is ${status}` : `${id} is already ${status}: nothing recorded`);
    return EXIT.ok;
  },
};

/**
 * `spindle resume <id>`: runs one turn in this process (exit 1 when another process holds it).
 *
 * @example
 * ```ts
 * await runCli(["resume", "order-o-1", "--json"]);
 * ```
 */
export const resumeCommand: Command = {
  name: "resume",
  summary: "Run one turn of an execution in this process, now (its steps run here, with your config's workflows).",
  details:
    "Harmless when nothing is due. Exits 1 when another process's turn holds the execution or it is stuck (nothing\n" +
    "done: redrive a stuck one first), and with the turn's error when it fails (a NonDeterminismError: the deployed\n" +
    "code does not match the history).",
  args: [{ name: "id", description: "The execution id." }],
  needs: "workflows",
  async run(context) {
    const [id] = context.positionals as [string];
    const turn = await (await context.engine()).resume(id);
    if (context.json) context.print(json(turn));
    if (turn.busyUntil !== undefined) {
      context.note(`spindle resume: ${id} is held by another process's turn until ${when(turn.busyUntil)}; nothing done, try again then.`);
      return EXIT.refused;
    }
    if (turn.status === "stuck") {
      // A stuck execution runs no turn until it is redriven: nothing ran here.
      const failures = (await (await context.engine()).describe(id)).turnFailures;
      const why = failures === undefined ? "" : ` (${failures.count} failed turn${failures.count === 1 ? "" : "s"}: ${failures.reason})`;
      context.note(`spindle resume: ${id} is stuck${why}; no turn ran. Fix the cause, then run spindle redrive ${id} first, and resume it again.`);
      return EXIT.refused;
    }
    if (!context.json) {
      const waits = turn.waitingFor.map((wait) => `${wait.kind} '${wait.name}'`).join(", ");
      const detail = [
        `${turn.appended} events appended`,
        ...(waits === "" ? [] : [`waits for ${waits}`]),
        ...(turn.wakeAt === undefined ? [] : [`wakes at ${when(turn.wakeAt)}`]),
        ...(turn.outOfTime ? ["stopped at its deadline, due again"] : []),
      ];
      context.print(`${id} is ${turn.status} (${detail.join("; ")})`);
    }
    return EXIT.ok;
  },
};

/**
 * `spindle redrive <id>`: a stuck or failed execution back to work.
 *
 * @example
 * ```ts
 * await runCli(["redrive", "order-o-1"]);
 * ```
 */
export const redriveCommand: Command = {
  name: "redrive",
  summary: "Put a stuck or failed execution back to work (a failed one reruns its failed step, fresh attempts).",
  details:
    "Only the store is needed: the next turn (your tick, or spindle resume <id>) runs it. Exits 1 when the execution\n" +
    "is neither stuck nor failed, or cannot be redriven; nothing is changed then.",
  args: [{ name: "id", description: "The execution id." }],
  needs: "store",
  async run(context) {
    const [id] = context.positionals as [string];
    const result = await (await context.engine()).redrive(id);
    if (context.json) {
      context.print(json(result));
      return EXIT.ok;
    }
    const rerun = result.rerun === undefined ? "" : `; step '${result.rerun.name}' [${result.rerun.opId}] runs again with a fresh attempt budget`;
    context.print(
      result.redriven
        ? `${id} redriven from ${result.from}, now ${result.status}${rerun}; its next turn runs it`
        : `${id} was already redriven by another call (now ${result.status}); nothing changed`,
    );
    return EXIT.ok;
  },
};
