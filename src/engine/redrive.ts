// engine.redrive(id): puts a poison execution back to work once its cause is fixed. A `stuck` execution goes back
// into the due index with its failed turns forgotten (one conditional write, `HistoryStore.updateTurnFailures`). A
// `failed` one is reopened from its failed step: an ExecutionRedriven event appended after the failed ending
// supersedes the step's failure and what followed it (core/redrive.ts), so the step runs again with a fresh attempt
// budget while every step that completed before it replays from the history. A run failed by a DAG reruns only its
// failed tasks (and the skipped, never-started and downstream ones); every task that succeeded replays. Both are single conditional writes, so
// of two redrives at once one wins and the other changes nothing and says so (`redriven: false`).
import type { HistoryEvent } from "../core/history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "../core/history-check.js";
import { redrivePoint } from "../core/redrive.js";
import { ConcurrencyError, RedriveRefusedError } from "../errors.js";
import type { ExecutionRecord } from "../store/history-store.js";
import type { RedriveResult } from "./api-types.js";
import type { InboxHost } from "./inbox.js";
import { loadHistory, notFound } from "./session.js";

/**
 * Redrives a stuck or failed execution (see `Engine.redrive`).
 * @throws ExecutionNotFoundError, RedriveRefusedError (any other status, or a failed run whose redrive would drop a
 * delivered event).
 */
export async function redrive(host: InboxHost, id: string): Promise<RedriveResult> {
  const record = await host.getRecord(id);
  if (record.status === "stuck") return redriveStuck(host, record);
  if (record.status === "failed") return redriveFailed(host, record);
  throw refused(record);
}

async function redriveStuck(host: InboxHost, record: ExecutionRecord): Promise<RedriveResult> {
  const id = record.id;
  if (!host.store.updateTurnFailures) throw refused(record);
  const now = host.clock.now();
  const { updated, record: after } = await host.store.updateTurnFailures(id, {
    expect: { runId: record.runId, version: record.version, status: "stuck", failures: record.turnFailures?.count ?? 0 },
    now,
    turnFailures: null,
    status: "running",
    wakeAt: now,
  });
  if (!updated) return { executionId: id, redriven: false, from: "stuck", status: after.status };
  host.dropWarm(id);
  host.kick(id);
  return { executionId: id, redriven: true, from: "stuck", status: after.status };
}

async function redriveFailed(host: InboxHost, record: ExecutionRecord): Promise<RedriveResult> {
  const id = record.id;
  const page = await host.store.load(id);
  if (!page) throw notFound(id);
  if (page.record.version !== record.version || page.record.status !== "failed") return redrive(host, id);
  const history = await loadHistory(host.store, id, page);
  const point = redrivePoint(id, history);
  if (point.consumed.length > 0) {
    const taken = point.consumed.map((event) => `${event.type} #${event.seq} at ${event.kind} '${event.name}'`).join(", ");
    throw new RedriveRefusedError(
      `Execution '${id}' (failed) cannot be redriven: after ${point.rerun ? `step '${point.rerun.name}' failed` : "it failed"} ` +
        `the run took delivered items (${taken}) that a rerun would lose. Nothing was changed; start a new execution ` +
        `to do the work again.`,
      { executionId: id, status: "failed" },
    );
  }
  const now = host.clock.now();
  const event: HistoryEvent = {
    v: HISTORY_VERSION,
    seq: record.version + 1,
    type: "ExecutionRedriven",
    opId: EXECUTION_OP,
    kind: "execution",
    name: record.workflow,
    at: now,
    fromSeq: point.fromSeq,
    ...(point.scopes ? { rerun: point.scopes } : point.rerun ? { rerun: point.rerun.opId } : {}),
  };
  let after: ExecutionRecord;
  try {
    after = await host.store.append(id, {
      runId: record.runId,
      expectedVersion: record.version,
      events: [event],
      update: { status: "running", waitingFor: [], wakeAt: now, inboxSeen: record.inboxSeen, updatedAt: now },
      consumeInbox: [],
    });
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    // Only a redrive appends to a failed run: another one won.
    const current = await host.getRecord(id);
    return { executionId: id, redriven: false, from: "failed", status: current.status };
  }
  host.dropWarm(id);
  host.kick(id);
  return { executionId: id, redriven: true, from: "failed", status: after.status, ...(point.rerun ? { rerun: point.rerun } : {}) };
}

function refused(record: ExecutionRecord): RedriveRefusedError {
  const what: Record<string, string> = {
    running: "it is running: it has work to do now and needs no redrive",
    suspended: "it is suspended, waiting for a timer, an event or a callback: it needs no redrive",
    completed: "it completed; start a new execution to run the workflow again",
    cancelled: "it was cancelled; start a new execution to run the workflow again",
    terminated: "it was terminated; start a new execution to run the workflow again",
  };
  return new RedriveRefusedError(
    `Execution '${record.id}' cannot be redriven: ${what[record.status] ?? `its status is ${record.status}`}. Only a ` +
      `stuck or a failed execution can be redriven. Nothing was changed.`,
    { executionId: record.id, status: record.status },
  );
}
