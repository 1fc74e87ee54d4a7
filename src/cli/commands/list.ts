// `spindle list`: executions, newest first, filtered by workflow and status, one page at a time, with a summary under
// the operational metric names (METRIC): how many executions are stuck and how many are due now.
import type { ExecutionDescription } from "../../engine/describe.js";
import { METRIC } from "../../engine/metrics.js";
import type { ExecutionStatus, HistoryStore } from "../../store/history-store.js";
import { EXECUTION_STATUSES } from "../../store/history-store.js";
import { ValidationError } from "../../errors.js";
import { EXIT, usageError } from "../errors.js";
import { json, shellWord, table, when } from "../output.js";
import type { Command } from "./types.js";


/**
 * The most the summary counts of each figure; past it the figure is a lower bound (shown as `1000+`).
 *
 * @example
 * ```ts
 * if (summary.capped) console.log(`at least ${SUMMARY_CAP}`);
 * ```
 */
export const SUMMARY_CAP = 1000;

/**
 * The store-wide figures under `list`, named as the Lambda adapter's metrics: executions `stuck` now, and
 * executions due now (a wake-up time that has come, or unread inbox items), each counted up to SUMMARY_CAP.
 *
 * @example
 * ```ts
 * const summary: ListSummary = { StuckExecutions: 1, DueBacklog: 0, capped: false };
 * ```
 */
export interface ListSummary {
  [METRIC.stuck]: number;
  [METRIC.dueBacklog]: number;
  /** True when a figure reached SUMMARY_CAP and is a lower bound. */
  capped: boolean;
}

/**
 * Counts the summary figures on a store at `now`.
 *
 * @example
 * ```ts
 * const summary = await listSummary(store, Date.now());
 * ```
 */
export async function listSummary(store: HistoryStore, now: number): Promise<ListSummary> {
  let stuck = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ status: "stuck", limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    stuck += page.records.length;
    cursor = page.cursor;
  } while (cursor !== undefined && stuck < SUMMARY_CAP);
  const due = (await store.listDue(now, { limit: SUMMARY_CAP })).length;
  return {
    [METRIC.stuck]: Math.min(stuck, SUMMARY_CAP),
    [METRIC.dueBacklog]: due,
    capped: stuck >= SUMMARY_CAP || due >= SUMMARY_CAP,
  };
}

/** What an execution is doing, in a few words, for the table. */
function activity(execution: ExecutionDescription): string {
  const failures = execution.turnFailures;
  if (execution.status === "stuck" && failures) return `${failures.count} failed turn${failures.count === 1 ? "" : "s"}: ${failures.reason}`;
  if (execution.status === "failed" && execution.error) {
    // The wrapper's name and the innermost cause, which says what went wrong: StepFailedError (TerminalError: declined).
    let cause = execution.error;
    while (cause.cause !== undefined) cause = cause.cause;
    return cause === execution.error ? `${cause.name}: ${cause.message}` : `${execution.error.name} (${cause.name}: ${cause.message})`;
  }
  const waits = execution.waitingFor.map((wait) => `${wait.kind} '${wait.name}'`);
  if (waits.length > 0) return `waits for ${waits.join(", ")}`;
  return "";
}

function clip(text: string, max = 70): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * `spindle list [--workflow <name>] [--status <status>...] [--limit <n>] [--cursor <cursor>]`, with the summary.
 *
 * @example
 * ```ts
 * await runCli(["list", "--status", "suspended,stuck", "--json"]);
 * ```
 */
export const listCommand: Command = {
  name: "list",
  summary: "List executions, newest first, with the StuckExecutions and DueBacklog counts.",
  details:
    "Pages: --limit rows at a time (default 50); the last line gives the --cursor of the next page. The summary is\n" +
    `store-wide, named as the Lambda metrics, each counted up to ${SUMMARY_CAP}.\n\n` +
    "Examples:\n  spindle list --status suspended --status stuck\n  spindle list --workflow order --json",
  options: {
    workflow: { type: "string", short: "w", value: "name", description: "Only executions of this workflow." },
    status: {
      type: "string",
      short: "s",
      multiple: true,
      value: "status",
      description: `Only these statuses (repeat, or comma-separate): ${EXECUTION_STATUSES.join(", ")}.`,
    },
    limit: { type: "string", short: "n", value: "n", description: "Rows per page, 1 to 1000 (default 50)." },
    cursor: { type: "string", value: "cursor", description: "The page after the one that printed this cursor." },
  },
  needs: "store",
  async run(context) {
    const statuses = ((context.values.status as string[] | undefined) ?? []).flatMap((each) => each.split(",")).map((each) => each.trim());
    for (const status of statuses) {
      if (!EXECUTION_STATUSES.includes(status as ExecutionStatus)) {
        throw usageError(`--status ${status}: not a status. Use one of ${EXECUTION_STATUSES.join(", ")}.`);
      }
    }
    const limitText = (context.values.limit as string | undefined) ?? "50";
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000) throw usageError(`--limit ${limitText}: give a whole number from 1 to 1000.`);
    const engine = await context.engine();
    const workflow = context.values.workflow as string | undefined;
    const cursor = context.values.cursor as string | undefined;
    const page = await engine
      .list({
        limit,
        ...(workflow === undefined ? {} : { workflow }),
        ...(statuses.length === 0 ? {} : { status: statuses as ExecutionStatus[] }),
        ...(cursor === undefined ? {} : { cursor }),
      })
      .catch((error: unknown) => {
        // The store refuses a cursor it did not make (a mistyped or cut one would list page one again as the next).
        if (cursor !== undefined && error instanceof ValidationError && /cursor/i.test(error.message)) {
          throw usageError(
            `--cursor ${JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor)}: not a cursor this store gave. ` +
              `Pass the one a 'more:' line (or --json's cursor) printed, unchanged, with the same store; leave --cursor out for the first page.`,
          );
        }
        throw error;
      });
    const summary = await listSummary(engine.store, engine.clock.now());
    if (context.json) {
      context.print(json({ executions: page.executions, ...(page.cursor === undefined ? {} : { cursor: page.cursor }), summary }));
      return EXIT.ok;
    }
    const rows = page.executions.map((execution) => [
      execution.id,
      execution.workflow,
      execution.status,
      when(execution.updatedAt),
      when(execution.wakeAt),
      clip(activity(execution)),
    ]);
    context.print(rows.length === 0 ? "(no executions)" : table(["ID", "WORKFLOW", "STATUS", "UPDATED", "WAKES", "NOTE"], rows));
    if (page.cursor !== undefined) {
      // The same listing of the same store: pasted, the line pages on where this one stopped.
      const same = [
        ...(workflow === undefined ? [] : ["--workflow", workflow]),
        ...(statuses.length === 0 ? [] : ["--status", statuses.join(",")]),
        ...(context.values.limit === undefined ? [] : ["--limit", limitText]),
        ...["config", "table", "region", "endpoint"].flatMap((flag) => {
          const value = context.values[flag];
          return typeof value === "string" ? [`--${flag}`, value] : [];
        }),
        "--cursor",
        page.cursor,
      ];
      context.print(`more: spindle list ${same.map(shellWord).join(" ")}`);
    }
    const figure = (value: number) => (value >= SUMMARY_CAP ? `${SUMMARY_CAP}+` : String(value));
    context.print(`${METRIC.stuck} ${figure(summary[METRIC.stuck])}  ${METRIC.dueBacklog} ${figure(summary[METRIC.dueBacklog])}`);
    return EXIT.ok;
  },
};
