// `spindle check`: the deploy gate on the command line. Replays the store's open executions (or a folder of exports
// with --from) on the workflows of the config module, the new build, and exits 1 when any would break, naming each
// with its first differing operation and both sides; prints the patch report ("safe to remove the old branch").
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { checkExecutions } from "../../check/check.js";
import { formatCheckReport } from "../../check/format.js";
import { ALL_STATUSES, OPEN_STATUSES } from "../../check/sources.js";
import type { CheckReport } from "../../check/types.js";
import { ValidationError } from "../../errors.js";
import type { ExecutionStatus } from "../../store/history-store.js";
import { CliError, EXIT, usageError } from "../errors.js";
import { json } from "../output.js";
import { progressBar } from "../progress.js";
import type { Command } from "./types.js";

/**
 * `spindle check [--from <folder>] [--workflow <name>] [--status <status>...] [--json]`.
 *
 * @example
 * ```ts
 * const code = await runCli(["check", "--table", "orders", "--config", "spindle.config.ts"]); // 0, or 1 on a divergence
 * ```
 */
export const checkCommand: Command = {
  name: "check",
  summary: "Replay open executions (or exported histories) on this build; exit 1 if any would break.",
  details:
    "The deploy gate. Replays every open execution of the store (running, suspended, stuck), or every *.json export\n" +
    "under --from (subfolders too; node_modules and dot-folders are not read), on the workflows of the config module:\n" +
    "the build about to be deployed. Nothing runs and nothing is written: read-only credentials are enough.\n" +
    "Exit 0 when every history replays; 1 when one diverges (each named with its first differing operation, what\n" +
    "the history holds there and what the code does now) or cannot be replayed (a workflow the build no longer has,\n" +
    "an unreadable history). Lists each patched() id the code asked, with the executions still on its old branch,\n" +
    "and says when the old branch is safe to remove (replace patched() with deprecatePatch()).\n" +
    "  spindle check --table orders --region eu-west-1\n" +
    "  spindle check --from test/golden --json",
  needs: "nothing",
  options: {
    from: { type: "string", value: "folder", description: "Check the exported histories (*.json) under this folder instead of the store." },
    workflow: { type: "string", value: "name", description: "Only executions of this workflow." },
    status: {
      type: "string",
      multiple: true,
      value: "status",
      description: `Check executions in this status (repeatable; default ${OPEN_STATUSES.join(", ")}): e.g. failed ones you may redrive.`,
    },
  },
  async run(context) {
    const from = context.values.from as string | undefined;
    const workflow = context.values.workflow as string | undefined;
    const statuses = readStatuses(context.values.status as string[] | undefined);
    if (from !== undefined && statuses !== undefined) throw usageError("--status selects executions of the store; it cannot go with --from.");
    if (from !== undefined) checkFolder(from, resolve(context.io.cwd, from));
    // Over a folder of exports no store is read: a config with workflows alone is enough.
    const loaded = from === undefined ? await context.config() : { ...(await context.workflows()), store: undefined, source: "" };
    if (loaded.workflows.length === 0) {
      throw new CliError(
        `check replays your workflow code, and none is configured: export { workflows } (the build to check) from ` +
          `${loaded.path ?? "a spindle.config.ts (with --config <path> or found from the working directory up)"}.`,
        { exit: EXIT.unavailable, code: "NO_WORKFLOWS" },
      );
    }
    const names = new Set(loaded.workflows.map((each) => each.name));
    let bar: ReturnType<typeof progressBar> | undefined;
    const report = await checkExecutions({
      workflows: loaded.workflows,
      ...(loaded.store === undefined ? { from: resolve(context.io.cwd, from!) } : { store: loaded.store }),
      ...(workflow === undefined ? {} : { workflow }),
      ...(statuses === undefined ? {} : { statuses }),
      onProgress: ({ done, total }) => {
        bar ??= progressBar(context.io.stderr, { label: "checking", total, enabled: !context.json });
        bar.update(done);
      },
    })
      .catch((error: unknown) => {
        // A name neither the build nor any history has: a typo, which would pass the gate with nothing checked.
        if (workflow !== undefined && !names.has(workflow) && error instanceof ValidationError && error.operation === "checkExecutions") {
          const known = [...names].map((each) => `'${each}'`).join(", ");
          throw usageError(
            `--workflow ${workflow}: the config's build has no workflow of that name (it has ${known}), and ` +
              `${from === undefined ? "the store" : `--from ${from}`} holds no execution of it. Check the name.`,
          );
        }
        throw error;
      })
      .finally(() => bar?.finish());
    const shown: CheckReport = { ...report, source: from === undefined ? `store (${loaded.source})` : `folder ${from}` };
    context.print(context.json ? json(shown) : formatCheckReport(shown));
    return report.ok ? EXIT.ok : EXIT.refused;
  },
};

/** --from must be a folder: a missing path or a file is the command line's mistake, said as such. */
function checkFolder(from: string, path: string): void {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw usageError(`--from ${from}: no such folder (looked for ${path}). Pass a folder of exported histories (spindle export <id> > <folder>/<id>.json).`);
  }
  if (!stats.isDirectory()) {
    throw usageError(`--from ${from}: ${path} is a file, not a folder. Pass the folder that holds the exported histories (*.json).`);
  }
}

function readStatuses(values: string[] | undefined): ExecutionStatus[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  for (const value of values) {
    if (!(ALL_STATUSES as readonly string[]).includes(value)) {
      throw usageError(`--status ${JSON.stringify(value)} is not a status. Statuses: ${ALL_STATUSES.join(", ")}.`);
    }
  }
  return values as ExecutionStatus[];
}
