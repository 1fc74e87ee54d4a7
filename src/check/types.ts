// The deploy gate's vocabulary: what checkExecutions is asked (a store's open executions or a folder of exports, the
// new build's workflows) and what it answers per execution (replayed, diverged with both sides, or an error) and per
// patched() id (how many open executions still run its old branch).
import type { DivergenceSide } from "../errors.js";
import type { ExecutionStatus, HistoryStore } from "../store/history-store.js";
import type { ReplayReport } from "../testing/replay-check.js";
import type { AnyWorkflow } from "../workflow.js";

/**
 * What `checkExecutions` replays, and against what. Give `store` (its open executions) or `from` (a folder of
 * exported histories), not both.
 *
 * @example
 * ```ts
 * const options: CheckOptions = { store: new DynamoDBStore({ client, tableName: "orders" }), workflows: [order, invoice] };
 * const golden: CheckOptions = { from: "test/golden", workflows: [order, invoice] };
 * ```
 */
export interface CheckOptions {
  /** The new build's workflows: every history is replayed on the one its `ExecutionStarted` names. */
  workflows: readonly AnyWorkflow[];
  /** Replay the executions of this store whose status is in `statuses` (default: every status that is not closed). */
  store?: HistoryStore;
  /**
   * Replay every `*.json` file under this folder and its subfolders (`node_modules` and folders whose name starts
   * with `.` are left out), each a JSON array of events as `spindle export` and `engine.history` write them.
   */
  from?: string;
  /** Only executions of this workflow. */
  workflow?: string;
  /** With `store`: the statuses to check. Default `["running", "suspended", "stuck"]` (all that are not closed). */
  statuses?: readonly ExecutionStatus[];
  /** With `store`: executions listed per page. Default 100. */
  pageSize?: number;
  /** Histories loaded and replayed at once (a store's reads overlap). Default 8. */
  concurrency?: number;
  /** Called after each execution is checked: how many are done, of how many. */
  onProgress?: (progress: CheckProgress) => void;
}

/**
 * How far a check is.
 *
 * @example
 * ```ts
 * const onProgress = ({ done, total }: CheckProgress) => console.error(`${done}/${total}`);
 * ```
 */
export interface CheckProgress {
  done: number;
  total: number;
}

/**
 * What the check found for one execution (one history). `file` is set for histories read from a folder.
 *
 * - `ok`: the new build replays every recorded operation (and a finished history ends the same way).
 * - `diverged`: it does not; `opId` is the first differing operation (`"-"`: the execution's ending), `expected` what
 *   the history holds there and `found` what the code does now (absent only when the error did not say).
 * - `error`: it could not be replayed: `WORKFLOW_NOT_FOUND` (the build has no workflow of that name),
 *   `HISTORY_CORRUPTED` (unreadable or malformed events), or the code of whatever else was thrown.
 *
 * @example
 * ```ts
 * if (result.status === "diverged") console.log(`${result.executionId} #${result.opId}: ${result.expected?.text} -> ${result.found?.text}`);
 * ```
 */
export type ExecutionCheck =
  | (CheckedHistory & { status: "ok"; outcome: ReplayReport["outcome"]; events: number })
  | (CheckedHistory & { status: "diverged"; opId?: string; expected?: DivergenceSide; found?: DivergenceSide; message: string })
  | (CheckedHistory & { status: "error"; code: string; message: string });

/**
 * What every ExecutionCheck says of the history it checked.
 *
 * @example
 * ```ts
 * const where: CheckedHistory = { executionId: "order-o-1", workflow: "order", file: "golden/order-o-1.json" };
 * ```
 */
export interface CheckedHistory {
  executionId: string;
  /** The workflow its history was recorded by, when that could be read. */
  workflow?: string;
  /** The file it was read from (relative to `from`), for a folder of exports. */
  file?: string;
}

/**
 * One `patched(id)` across the checked executions. `oldBranch` lists the executions whose replay answered `false`
 * (they run the old branch); when it is empty and every execution that might ask the id replayed, the old branch can
 * be removed (`safeToRemove`): ship `deprecatePatch(id)` in its place.
 *
 * @example
 * ```ts
 * for (const patch of report.patches) if (patch.safeToRemove) console.log(`${patch.id}: safe to remove the old branch`);
 * ```
 */
export interface PatchUsage {
  id: string;
  /** Executions (ids) that replayed `patched(id)` as `false`: they still need the old branch. */
  oldBranch: string[];
  /** How many replayed it as `true`. */
  newBranch: number;
  /**
   * Executions of a workflow that asks this id which could not be replayed (diverged, unreadable): they may run the
   * old branch too.
   */
  unchecked: number;
  /** True when no checked execution depends on the old branch and none that might could not be replayed. */
  safeToRemove: boolean;
}

/**
 * What `checkExecutions` found. `ok` is true when every history replayed: no divergence and no error.
 *
 * @example
 * ```ts
 * const report = await checkExecutions({ store, workflows });
 * if (!report.ok) process.exitCode = 1;
 * ```
 */
export interface CheckReport {
  ok: boolean;
  /**
   * Where the histories came from, for people: `store` or `folder <path>` (`from` as given); `spindle check` says
   * which store, e.g. `store (DynamoDB table 'orders' at http://localhost:8000)`, or `folder <--from as typed>`.
   */
  source: string;
  /** Histories checked. */
  checked: number;
  passed: number;
  diverged: number;
  errors: number;
  /** Records listed that were skipped: schedule state (not a workflow's history), or gone before they were read. */
  skipped: number;
  /** Every history checked: a store's by execution id, a folder's by file path. */
  executions: ExecutionCheck[];
  /** Each patched() id the code asked in any replayed execution, sorted by id. */
  patches: PatchUsage[];
}
