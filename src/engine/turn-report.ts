// The onTurn report of one turn (engine.onTurn): what the scheduler tells its listeners after each turn, built only
// when someone listens.
import type { TurnReport } from "./api.js";
import { madeStuck } from "./turn-failures.js";
import type { TurnResult } from "./turn-types.js";

/** The report of a turn that started at `startedAt` (performance.now()) and returned `result` or threw `error`. */
export function turnReport(id: string, startedAt: number, result: TurnResult | undefined, error?: unknown): TurnReport {
  const report: TurnReport = {
    executionId: id,
    outcome: result === undefined ? "failed" : result.busyUntil !== undefined ? "busy" : result.status,
    appended: result?.appended ?? 0,
    replayed: result?.replayed ?? false,
    outOfTime: result?.outOfTime ?? false,
    durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
  };
  if (result) report.workflow = result.workflow;
  if (error !== undefined) report.error = error;
  if (typeof error === "object" && error !== null && madeStuck.has(error)) report.stuck = true;
  if (result?.wakeAt !== undefined) report.wakeAt = result.wakeAt;
  if (result?.dueAt !== undefined) Object.assign(report, { dueAt: result.dueAt, startedAt: result.startedAt });
  return report;
}
