// Checks a real-crash run after the finisher ended, from the store and the processes' logs:
//   every execution (and child) completed with a result its input allows;
//   every history passes checkHistory, and every event any process saw accepted is in it at its place (no fork, no
//   lost write); nothing is left leased;
//   the effect ledger: no process ran the same step attempt twice; an attempt ran at most once more than it is
//   recorded for each killed process that ran it; no attempt started after the step's completion was written; an
//   at-most-once step ran at most once; every recorded attempt has its effect in the ledger;
//   no turn failed with anything but a lost race or a store hiccup.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { HistoryEvent } from "spindle";
import type { HistoryStore } from "spindle/store";
import { checkHistory } from "spindle/store";
import { loadAll } from "../invariants.js";
import type { CrashKind } from "./workflows.js";
import { AT_MOST_ONCE_STEPS, expectedResults } from "./workflows.js";

/** One line of a process's log. */
type LogLine =
  | { t: "effect"; pid: number; at: number; key: string; attempt: number; step: string }
  | { t: "accepted"; pid: number; at: number; exec: string; runId: string; events: { seq: number; type: string; opId: string; attempt?: number }[] }
  | { t: "failed"; pid: number; at: number; exec: string; name?: string; message?: string }
  | { t: "ready"; pid: number; at: number; role: string };

/** What the run was. */
export interface CrashRun {
  store: HistoryStore;
  logDir: string;
  executions: readonly { id: string; kind: CrashKind; n: number }[];
  killed: ReadonlySet<number>;
}

/** What the checks found. */
export interface CrashFindings {
  violations: string[];
  figures: Record<string, number>;
}

/** A clock margin between processes (ms): an effect this close to a completion's write is not called late. */
const MARGIN_MS = 5;
const TOLERATED_FAILURES = new Set(["ConcurrencyError", "StoreUnavailableError"]);

/** Reads every process's log. Lines cut short (none expected: each is one write) are counted, not parsed. */
function readLogs(dir: string): { lines: LogLine[]; torn: number } {
  const lines: LogLine[] = [];
  let torn = 0;
  for (const file of readdirSync(dir)) {
    for (const text of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (text === "") continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        torn++;
      }
    }
  }
  return { lines, torn };
}

/** The execution and operation of a step's idempotency key (`<executionId>:<runId>:<opId>`). */
function keyParts(key: string): { exec: string; opId: string } {
  const parts = key.split(":");
  return { exec: parts.slice(0, -2).join(":"), opId: parts.at(-1)! };
}

/** Runs every check. */
export async function verifyCrashRun(run: CrashRun): Promise<CrashFindings> {
  const violations: string[] = [];
  const figures: Record<string, number> = {};
  const bump = (name: string, by = 1) => (figures[name] = (figures[name] ?? 0) + by);
  const { lines, torn } = readLogs(run.logDir);
  if (torn > 0) violations.push(`${torn} log lines were cut short`);

  // Executions: the started ones and their children.
  const histories = new Map<string, HistoryEvent[]>();
  const queue = run.executions.map((e) => e.id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const { record, events } = await loadAll(run.store, id);
    try {
      histories.set(id, checkHistory(id, events));
    } catch (error) {
      violations.push(`'${id}': the history is invalid: ${(error as Error).message}`);
      histories.set(id, events as HistoryEvent[]);
    }
    for (const event of histories.get(id)!) if (event.type === "ChildStarted" && !queue.includes(event.childId)) queue.push(event.childId);
    if (record.status !== "completed") violations.push(`'${id}' ended ${record.status}${record.error ? ` (${record.error.name}: ${record.error.message})` : ""}`);
    if (record.lease) violations.push(`'${id}' is left leased by ${record.lease.owner}`);
    const started = run.executions.find((e) => e.id === id);
    if (started && record.status === "completed" && !expectedResults(started.kind, started.n).includes(record.result ?? "")) {
      violations.push(`'${id}' (${started.kind}) returned ${record.result}, expected ${expectedResults(started.kind, started.n).join(" or ")}`);
    }
    if (started?.kind === "crash-payout" && record.result?.includes("interrupted")) bump("at-most-once steps cut off by a kill (StepInterruptedError, never rerun)");
  }
  figures["executions (children included)"] = histories.size;

  // No fork, no lost write: what any process saw accepted is in the final history, at its place.
  const completionWritten = new Map<string, number>();
  for (const line of lines) {
    if (line.t !== "accepted") continue;
    const history = histories.get(line.exec);
    if (!history) {
      violations.push(`process ${line.pid} wrote to '${line.exec}', which no execution started`);
      continue;
    }
    for (const event of line.events) {
      const stored = history[event.seq - 1];
      if (!stored || stored.type !== event.type || stored.opId !== event.opId) {
        violations.push(`'${line.exec}': seq ${event.seq} (${event.type} #${event.opId}) was accepted from process ${line.pid} but the history has ${stored ? `${stored.type} #${stored.opId}` : "nothing"} there`);
      }
      if (event.type === "StepCompleted") {
        const key = `${line.exec}|${event.opId}`;
        completionWritten.set(key, Math.min(completionWritten.get(key) ?? Infinity, line.at));
      }
    }
  }

  // The effect ledger against the recorded attempts.
  /** Recorded attempts, by `exec|opId|attempt`: the step's name and how the attempt ended. */
  const recorded = new Map<string, { name: string; ended: string }>();
  for (const [exec, history] of histories) {
    for (const event of history) {
      if (event.type === "StepCompleted" || event.type === "StepFailed") {
        recorded.set(`${exec}|${event.opId}|${event.attempt}`, { name: event.name, ended: event.type === "StepFailed" ? event.error.name : event.type });
        bump("step attempts recorded");
      }
    }
  }
  const byAttempt = new Map<string, { pids: number[]; step: string; ats: number[] }>();
  for (const line of lines) {
    if (line.t !== "effect") continue;
    const { exec, opId } = keyParts(line.key);
    const attemptKey = `${exec}|${opId}|${line.attempt}`;
    const entry = byAttempt.get(attemptKey) ?? { pids: [], step: line.step, ats: [] };
    entry.pids.push(line.pid);
    entry.ats.push(line.at);
    byAttempt.set(attemptKey, entry);
    bump("step effects (attempts started)");
  }
  const effectsPerStep = new Map<string, number>();
  for (const [attemptKey, { pids, step, ats }] of byAttempt) {
    const [exec, opId] = attemptKey.split("|") as [string, string];
    const stepKey = `${exec}|${opId}`;
    effectsPerStep.set(stepKey, (effectsPerStep.get(stepKey) ?? 0) + pids.length);
    if (new Set(pids).size !== pids.length) violations.push(`'${exec}' step '${step}' attempt ${attemptKey.split("|")[2]}: one process ran it twice`);
    const killedRunners = new Set(pids.filter((pid) => run.killed.has(pid))).size;
    const allowed = (recorded.has(attemptKey) ? 1 : 0) + killedRunners;
    if (pids.length > allowed) {
      violations.push(`'${exec}' step '${step}' attempt ${attemptKey.split("|")[2]} ran ${pids.length} times: recorded ${recorded.has(attemptKey) ? "once" : "never"}, ${killedRunners} of its processes killed`);
    }
    const extra = pids.length - (recorded.has(attemptKey) ? 1 : 0);
    if (extra > 0) bump("step attempts run again after a kill cut them off", extra);
    const written = completionWritten.get(stepKey);
    if (written !== undefined && ats.some((at) => at > written + MARGIN_MS)) {
      violations.push(`'${exec}' step '${step}' ran after its completion was written`);
    }
  }
  for (const [attemptKey, { name, ended }] of recorded) {
    // An at-most-once attempt cut off between its recorded start and its effect is recorded as interrupted by the
    // next process, which does not run it: it may have no effect.
    if (!byAttempt.has(attemptKey) && ended !== "StepInterruptedError") {
      violations.push(`step '${name}' attempt ${attemptKey} is recorded (${ended}) but has no effect in the ledger`);
    }
  }
  for (const [stepKey, effects] of effectsPerStep) {
    const step = [...byAttempt.entries()].find(([key]) => key.startsWith(`${stepKey}|`))?.[1].step ?? "";
    if (AT_MOST_ONCE_STEPS.has(step) && effects > 1) violations.push(`at-most-once step '${step}' of '${stepKey.split("|")[0]}' ran ${effects} times`);
  }

  // Turns resumeDue reported as failed: only lost races and store hiccups are expected.
  for (const line of lines) {
    if (line.t !== "failed") continue;
    bump(`turns failed with ${line.name ?? "a non-error"}`);
    if (!TOLERATED_FAILURES.has(line.name ?? "")) violations.push(`a turn of '${line.exec}' failed with ${line.name}: ${line.message}`);
  }
  const wrote = new Set(lines.filter((l) => l.t === "accepted").map((l) => l.pid));
  const stepped = new Set(lines.filter((l) => l.t === "effect").map((l) => l.pid));
  figures["killed processes that had written to the store"] = [...run.killed].filter((pid) => wrote.has(pid)).length;
  figures["killed processes that had started a step"] = [...run.killed].filter((pid) => stepped.has(pid)).length;
  const readyAt = new Map(lines.filter((l) => l.t === "ready").map((l) => [l.pid, l.at]));
  const firstWrite = new Map<number, number>();
  for (const l of lines) if (l.t === "accepted" && !firstWrite.has(l.pid)) firstWrite.set(l.pid, l.at);
  const delays = [...firstWrite].map(([pid, at]) => at - (readyAt.get(pid) ?? at)).sort((a, b) => a - b);
  if (delays.length > 0) figures["median ms from ready to a process's first write"] = Math.round(delays[Math.floor(delays.length / 2)]!);
  return { violations, figures };
}
