// Where the deploy gate's histories come from: the open executions of a store (listed page by page with cursors, each
// history loaded whole and checked against its record, as a turn loads it), or the `*.json` exports in a folder. Each
// source first lists what it will check (so progress has a total), then loads one history at a time on demand.
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { loadHistory } from "../engine/session.js";
import { HistoryCorruptedError } from "../errors.js";
import { SCHEDULE_WORKFLOW } from "../schedules/state.js";
import type { ExecutionStatus, HistoryStore } from "../store/history-store.js";
import { CLOSED_STATUSES, EXECUTION_STATUSES } from "../store/history-store.js";

/**
 * Every status, in lifecycle order; the open ones are those not in CLOSED_STATUSES.
 *
 * @example
 * ```ts
 * if (!ALL_STATUSES.includes(value as ExecutionStatus)) throw usageError(`${value} is not a status`);
 * ```
 */
export const ALL_STATUSES: readonly ExecutionStatus[] = EXECUTION_STATUSES;

/**
 * The statuses `checkExecutions` reads from a store by default: every one that is not closed.
 *
 * @example
 * ```ts
 * OPEN_STATUSES; // ["running", "suspended", "stuck"]
 * ```
 */
export const OPEN_STATUSES: readonly ExecutionStatus[] = ALL_STATUSES.filter((status) => !CLOSED_STATUSES.has(status));

/**
 * One history to check, loaded on demand.
 *
 * @example
 * ```ts
 * const loaded = await pending.load(); // undefined when it is gone
 * ```
 */
export interface PendingHistory {
  /** The execution id as listed (a store) or the file (a folder), for results that fail before the history is read. */
  executionId: string;
  workflow?: string;
  file?: string;
  /** Reads the history: `undefined` when it is gone (deleted since it was listed). */
  load(): Promise<LoadedHistory | undefined>;
}

/**
 * A history read for the check.
 *
 * @example
 * ```ts
 * const report = await replayRecorded(workflow, loaded.events, { cutInsideTurn: loaded.cutInsideTurn });
 * ```
 */
export interface LoadedHistory {
  executionId: string;
  workflow?: string;
  events: readonly unknown[];
  /**
   * The history may stop inside a turn: a store's execution that is not at rest (`running`, a turn in flight or one
   * that died between two writes; `stuck`, its turns failing). Folder exports are taken at rest.
   */
  cutInsideTurn: boolean;
}

/**
 * What a source lists: the histories to check and how many listed records it skips (schedule state).
 *
 * @example
 * ```ts
 * const { pending, skipped } = await listFolder("test/golden", undefined);
 * ```
 */
export interface Listed {
  pending: PendingHistory[];
  skipped: number;
}

/**
 * Lists a store's executions in `statuses` (of one workflow, if given), page by page, schedule-state records left
 * out. Each history is loaded whole (every page of the current run) and checked against its record.
 *
 * @example
 * ```ts
 * const { pending } = await listStore(store, { statuses: OPEN_STATUSES, pageSize: 100 });
 * ```
 */
export async function listStore(
  store: HistoryStore,
  options: { statuses: readonly ExecutionStatus[]; workflow?: string; pageSize: number },
): Promise<Listed> {
  const pending: PendingHistory[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({
      status: options.statuses,
      limit: options.pageSize,
      ...(options.workflow === undefined ? {} : { workflow: options.workflow }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const record of page.records) {
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      if (record.workflow === SCHEDULE_WORKFLOW) {
        skipped += 1;
        continue;
      }
      const id = record.id;
      pending.push({ executionId: id, workflow: record.workflow, load: () => loadFromStore(store, id) });
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { pending, skipped };
}

async function loadFromStore(store: HistoryStore, id: string): Promise<LoadedHistory | undefined> {
  const first = await store.load(id);
  if (first === undefined) return undefined;
  const events = await loadHistory(store, id, first);
  return { executionId: id, workflow: first.record.workflow, events, cutInsideTurn: first.record.status !== "suspended" && !CLOSED_STATUSES.has(first.record.status) };
}

/**
 * Lists the `*.json` files under `folder` and its subfolders, sorted by path (`node_modules` and dot-folders left
 * out). A file that is not a JSON array of events is reported as a corrupted history, never skipped: a gate that
 * silently ignores a file would pass a build it never checked.
 *
 * @example
 * ```ts
 * const { pending } = await listFolder("test/golden", "order");
 * ```
 * @throws HistoryCorruptedError when the folder cannot be read.
 */
export async function listFolder(folder: string, workflow: string | undefined): Promise<Listed> {
  let files: string[];
  try {
    files = (await jsonFiles(folder)).sort();
  } catch (error) {
    throw new HistoryCorruptedError(
      `checkExecutions: cannot read the folder '${folder}' (${(error as Error)?.message ?? String(error)}). Pass a folder of ` +
        `exported histories (spindle export <id> > <folder>/<id>.json).`,
      { cause: error },
    );
  }
  const pending: PendingHistory[] = [];
  let skipped = 0;
  for (const path of files) {
    const file = relative(folder, path).split(sep).join("/");
    const loaded = await readExport(path, file);
    if (loaded.workflow === SCHEDULE_WORKFLOW) {
      skipped += 1;
      continue;
    }
    if (workflow !== undefined && loaded.workflow !== workflow) continue;
    pending.push({ executionId: loaded.executionId, ...(loaded.workflow === undefined ? {} : { workflow: loaded.workflow }), file, load: async () => loaded.history() });
  }
  return { pending, skipped };
}

async function jsonFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && !entry.name.startsWith(".")) found.push(...(await jsonFiles(path)));
    } else if (entry.isFile() && entry.name.endsWith(".json")) {
      found.push(path);
    }
  }
  return found;
}

/** Reads one export: its execution id and workflow (when the file says them) and the history, or why it is unreadable. */
async function readExport(
  path: string,
  file: string,
): Promise<{ executionId: string; workflow?: string; history(): LoadedHistory }> {
  let parsed: unknown;
  let problem: string | undefined;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
    if (!Array.isArray(parsed)) problem = `holds JSON ${parsed === null ? "null" : typeof parsed}, not an array of events`;
    else if (parsed.length === 0) problem = "holds an empty array, not a history";
  } catch (error) {
    problem = `is not JSON (${(error as Error)?.message ?? String(error)})`;
  }
  const events = Array.isArray(parsed) ? (parsed as unknown[]) : [];
  const first = events[0] as { executionId?: unknown; name?: unknown; type?: unknown } | undefined;
  const executionId = typeof first?.executionId === "string" ? first.executionId : file;
  const workflow = first?.type === "ExecutionStarted" && typeof first.name === "string" ? first.name : undefined;
  return {
    executionId,
    ...(workflow === undefined ? {} : { workflow }),
    history() {
      if (problem !== undefined) {
        throw new HistoryCorruptedError(
          `check: ${file} ${problem}. Write it with spindle export <id> > ${file}, or move it out of the folder.`,
          { executionId },
        );
      }
      return { executionId, ...(workflow === undefined ? {} : { workflow }), events, cutInsideTurn: false };
    },
  };
}
