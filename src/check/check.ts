// checkExecutions(): the deploy gate. Replays, on the new build's workflows, every open execution of a store or every
// history in a folder of exports, through replayHistory's path (the same pure interpreter the engine's turns drive; no
// step runs, nothing is written), and reports per execution whether it replays, where it diverges (both sides) or why
// it could not be read, and per patched() id how many executions still run the old branch.
import { NonDeterminismError, SpindleError, ValidationError } from "../errors.js";
import { replayRecorded } from "../testing/replay-check.js";
import type { AnyWorkflow } from "../workflow.js";
import type { LoadedHistory, PendingHistory } from "./sources.js";
import { listFolder, listStore, OPEN_STATUSES } from "./sources.js";
import type { CheckOptions, CheckReport, ExecutionCheck, PatchUsage } from "./types.js";

/**
 * Replays open executions (or exported histories) on the new build's workflows and reports what would break. Nothing
 * runs and nothing is written: a store needs only read access (`list` and `load`). Children are executions of their
 * own, each checked on its own history. Resolves with the report even when executions diverge; check `report.ok`.
 *
 * @example
 * ```ts
 * import { checkExecutions, formatCheckReport } from "spindle/testing";
 * const report = await checkExecutions({ store, workflows: [order, invoice] });
 * console.log(formatCheckReport(report));
 * if (!report.ok) process.exitCode = 1;
 * ```
 * @throws ValidationError when neither or both of `store` and `from` are given, two workflows share a name, or
 * `workflow` names none of `workflows` and no history to check;
 * HistoryCorruptedError when the folder cannot be read; the store's errors when listing fails.
 */
export async function checkExecutions(options: CheckOptions): Promise<CheckReport> {
  const workflows = byName(options.workflows);
  if ((options.store === undefined) === (options.from === undefined)) {
    throw new ValidationError(
      "checkExecutions: give either `store` (check its open executions) or `from` (a folder of exported histories), not " +
        `${options.store === undefined ? "neither" : "both"}.`,
    );
  }
  const listed =
    options.store !== undefined
      ? await listStore(options.store, {
          statuses: options.statuses ?? OPEN_STATUSES,
          pageSize: Math.max(1, Math.floor(options.pageSize ?? 100)),
          ...(options.workflow === undefined ? {} : { workflow: options.workflow }),
        })
      : await listFolder(options.from!, options.workflow);
  // A name the build does not have and no history has either is a mistake (a typo would pass the gate with nothing
  // checked); one that histories still have is the build's problem, reported for each of them below.
  if (options.workflow !== undefined && !workflows.has(options.workflow) && listed.pending.length === 0) {
    const known = [...workflows.keys()].map((each) => `'${each}'`).join(", ") || "none";
    throw new ValidationError(
      `checkExecutions: the build has no workflow '${options.workflow}' (it has ${known}), and the ` +
        `${options.store !== undefined ? "store" : "folder"} holds no execution of it to check. Check the name.`,
      { operation: "checkExecutions" },
    );
  }
  // A store lists newest first, and each store in its own order: the report goes by execution id (a folder by path).
  if (options.store !== undefined) listed.pending.sort((a, b) => (a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0));
  const total = listed.pending.length;
  const results: (ExecutionCheck | undefined)[] = new Array(total);
  const answers: PatchAnswerOf[][] = new Array(total);
  let gone = 0;
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const pending = listed.pending[index]!;
      const checked = await checkOne(pending, workflows);
      if (checked === undefined) gone += 1;
      else {
        results[index] = checked.result;
        answers[index] = checked.patches;
      }
      done += 1;
      options.onProgress?.({ done, total });
    }
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const executions = results.filter((result): result is ExecutionCheck => result !== undefined);
  const count = (status: ExecutionCheck["status"]) => executions.filter((result) => result.status === status).length;
  const diverged = count("diverged");
  const errors = count("error");
  return {
    ok: diverged === 0 && errors === 0,
    source: options.store !== undefined ? "store" : `folder ${options.from}`,
    checked: executions.length,
    passed: count("ok"),
    diverged,
    errors,
    skipped: listed.skipped + gone,
    executions,
    patches: patchUsage(answers.flat(), executions),
  };
}

/** Checks one history: undefined when it is gone since it was listed. */
async function checkOne(
  pending: PendingHistory,
  workflows: ReadonlyMap<string, AnyWorkflow>,
): Promise<{ result: ExecutionCheck; patches: PatchAnswerOf[] } | undefined> {
  const where = {
    executionId: pending.executionId,
    ...(pending.workflow === undefined ? {} : { workflow: pending.workflow }),
    ...(pending.file === undefined ? {} : { file: pending.file }),
  };
  let loaded: LoadedHistory | undefined;
  try {
    loaded = await pending.load();
    if (loaded === undefined) return undefined;
    const name = loaded.workflow;
    const workflow = name === undefined ? undefined : workflows.get(name);
    if (workflow === undefined) {
      const known = [...workflows.keys()].map((each) => `'${each}'`).join(", ") || "none";
      const message =
        name === undefined
          ? `the history does not start with ExecutionStarted, so its workflow is unknown.`
          : `the new build has no workflow '${name}' (it has ${known}): this execution could not run on it. Keep ` +
            `the workflow registered until its executions have closed.`;
      return { result: { ...where, status: "error", code: name === undefined ? "HISTORY_CORRUPTED" : "WORKFLOW_NOT_FOUND", message }, patches: [] };
    }
    const report = await replayRecorded(workflow, loaded.events, { cutInsideTurn: loaded.cutInsideTurn });
    const patches = report.patches.map((patch) => ({ executionId: pending.executionId, workflow: workflow.name, ...patch }));
    return { result: { ...where, status: "ok", outcome: report.outcome, events: report.events }, patches };
  } catch (error) {
    if (error instanceof NonDeterminismError) {
      const result: ExecutionCheck = {
        ...where,
        status: "diverged",
        ...(error.opId === undefined ? {} : { opId: error.opId }),
        ...(error.expected === undefined ? {} : { expected: error.expected }),
        ...(error.found === undefined ? {} : { found: error.found }),
        message: error.message,
      };
      return { result, patches: [] };
    }
    const code = error instanceof SpindleError ? error.code : "UNEXPECTED";
    const message = error instanceof Error ? error.message : String(error);
    return { result: { ...where, status: "error", code, message }, patches: [] };
  }
}

/** The workflows by name. @throws ValidationError when two share a name. */
function byName(workflows: readonly AnyWorkflow[]): ReadonlyMap<string, AnyWorkflow> {
  const map = new Map<string, AnyWorkflow>();
  for (const workflow of workflows) {
    const other = map.get(workflow.name);
    if (other !== undefined && other !== workflow) {
      throw new ValidationError(
        `checkExecutions: two workflows are named '${workflow.name}'. Register each name once, as the engine does.`,
      );
    }
    map.set(workflow.name, workflow);
  }
  return map;
}

/**
 * Each patch id, with the executions that answered false and how many answered true. An execution that could not be
 * replayed (diverged, unreadable) of a workflow that asks the id may run its old branch: it is counted as unchecked,
 * and the id is not safe to remove while there is one.
 */
function patchUsage(answers: readonly PatchAnswerOf[], executions: readonly ExecutionCheck[]): PatchUsage[] {
  const usage = new Map<string, PatchUsage & { workflows: Set<string> }>();
  for (const { executionId, workflow, id, answer } of answers) {
    let patch = usage.get(id);
    if (patch === undefined) {
      patch = { id, oldBranch: [], newBranch: 0, unchecked: 0, safeToRemove: true, workflows: new Set() };
      usage.set(id, patch);
    }
    patch.workflows.add(workflow);
    if (answer) patch.newBranch += 1;
    else patch.oldBranch.push(executionId);
  }
  const failed = executions.filter((result) => result.status !== "ok");
  return [...usage.values()]
    .map(({ workflows, ...patch }) => {
      const unchecked = failed.filter((result) => result.workflow === undefined || workflows.has(result.workflow)).length;
      return { ...patch, unchecked, safeToRemove: patch.oldBranch.length === 0 && unchecked === 0 };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One patched() answer of one replayed execution. */
interface PatchAnswerOf {
  executionId: string;
  workflow: string;
  id: string;
  answer: boolean;
}
