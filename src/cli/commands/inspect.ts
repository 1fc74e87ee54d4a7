// The commands that read one execution: `describe` (status, result or error, what it waits for), `history` (its
// events), `timeline` (formatTimeline's picture) and `export` (the events as JSON, the shape golden tests and
// replayHistory read back). None of them writes.
import type { ExecutionDescription } from "../../engine/describe.js";
import { formatTimeline } from "../../testing/format.js";
import { EXIT } from "../errors.js";
import { json, short, table, when } from "../output.js";
import type { Command, CommandArgument } from "./types.js";

const ID: CommandArgument = { name: "id", description: "The execution id." };

/** The describe text: one `field  value` line each, only the fields that are set. */
function describeText(execution: ExecutionDescription): string {
  const rows: [string, string][] = [
    ["id", execution.id],
    ["workflow", execution.workflow],
    ["status", execution.status],
    ["run", `${execution.runId} (run ${execution.runs + 1})`],
    ["created", when(execution.createdAt)],
    ["updated", when(execution.updatedAt)],
    ["history", `${execution.historyLength} events`],
    ["input", short(execution.input, 200)],
  ];
  if (execution.result !== undefined || execution.status === "completed") rows.push(["result", short(execution.result, 200)]);
  if (execution.error !== undefined) {
    const code = execution.error.code === undefined ? "" : ` (${execution.error.code})`;
    rows.push(["error", `${execution.error.name}: ${execution.error.message}${code}`]);
    for (let cause = execution.error.cause; cause !== undefined; cause = cause.cause) {
      rows.push(["cause", `${cause.name}: ${cause.message}${cause.code === undefined ? "" : ` (${cause.code})`}`]);
    }
  }
  if (execution.customStatus !== undefined) rows.push(["custom status", short(execution.customStatus, 200)]);
  for (const wait of execution.waitingFor) {
    rows.push(["waiting for", `${wait.kind} '${wait.name}' [${wait.opId}]${wait.until === undefined ? "" : ` until ${when(wait.until)}`}`]);
  }
  if (execution.wakeAt !== undefined) rows.push(["wakes at", when(execution.wakeAt)]);
  if (execution.parent !== undefined) rows.push(["parent", `${execution.parent.executionId} [${execution.parent.opId}]`]);
  const failures = execution.turnFailures;
  if (failures !== undefined) {
    const next = failures.nextAttemptAt === undefined ? "" : `, next try ${when(failures.nextAttemptAt)}`;
    rows.push(["failed turns", `${failures.count}: ${failures.reason}${failures.code === undefined ? "" : ` (${failures.code})`}${next}`]);
  }
  const width = Math.max(...rows.map(([field]) => field.length));
  return rows.map(([field, value]) => `${field.padEnd(width)}  ${value}`).join("\n");
}

/**
 * `spindle describe <id>`: the execution's description, as lines or (`--json`) the engine's object.
 *
 * @example
 * ```ts
 * await runCli(["describe", "order-o-1", "--json"]);
 * ```
 */
export const describeCommand: Command = {
  name: "describe",
  summary: "Show an execution: status, input, result or error, what it waits for, when it wakes.",
  args: [ID],
  needs: "store",
  async run(context) {
    const description = await (await context.engine()).describe(context.positionals[0]!);
    context.print(context.json ? json(description) : describeText(description));
    return EXIT.ok;
  },
};

/**
 * `spindle history <id>`: one row per recorded event of the current run.
 *
 * @example
 * ```ts
 * await runCli(["history", "order-o-1"]);
 * ```
 */
export const historyCommand: Command = {
  name: "history",
  summary: "List the recorded events of an execution's current run.",
  args: [ID],
  needs: "store",
  async run(context) {
    const events = await (await context.engine()).history(context.positionals[0]!);
    if (context.json) {
      context.print(json(events));
      return EXIT.ok;
    }
    const rows = events.map((event) => [String(event.seq), when(event.at), event.opId, event.type, event.kind, event.name]);
    context.print(table(["SEQ", "AT", "OP", "EVENT", "KIND", "NAME"], rows));
    return EXIT.ok;
  },
};

/**
 * `spindle timeline <id>`: formatTimeline's picture of the history.
 *
 * @example
 * ```ts
 * await runCli(["timeline", "order-o-1"]);
 * ```
 */
export const timelineCommand: Command = {
  name: "timeline",
  summary: "Print an execution's history as a timeline (formatTimeline from spindle/testing).",
  args: [ID],
  needs: "store",
  async run(context) {
    const events = await (await context.engine()).history(context.positionals[0]!);
    context.print(context.json ? json(events) : formatTimeline(events));
    return EXIT.ok;
  },
};

/**
 * `spindle export <id>`: the events as JSON, the array replayHistory reads back.
 *
 * @example
 * ```ts
 * await runCli(["export", "order-o-1"]);
 * ```
 */
export const exportCommand: Command = {
  name: "export",
  summary: "Print an execution's events as JSON, for golden tests: spindle export <id> > x.history.json",
  details:
    "The file is the array replayHistory(workflow, events) reads back, in the shape test/golden/*.history.json holds:\n" +
    '  import events from "./order-1.history.json" with { type: "json" };\n' +
    "  await replayHistory(order, events);",
  args: [ID],
  needs: "store",
  async run(context) {
    const events = await (await context.engine()).history(context.positionals[0]!);
    context.print(json(events));
    return EXIT.ok;
  },
};
