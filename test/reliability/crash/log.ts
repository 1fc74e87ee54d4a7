// The log a real-crash process keeps: one JSON line per record, written with one write(2) each so a SIGKILL never
// leaves half a line, stamped with the process id and the wall-clock time in ms (fractional). The store wrapper logs
// the events each of the process's writes made the store accept, after the write returned.
import { writeSync } from "node:fs";
import type { HistoryEvent } from "spindle";
import type { HistoryStore } from "spindle/store";

/** Writes one log line. */
export type LogWriter = (line: Record<string, unknown>) => void;

/** A writer appending to the open file `fd`, as process `pid`. */
export function logWriter(fd: number, pid = process.pid): LogWriter {
  return (line) => writeSync(fd, `${JSON.stringify({ ...line, pid, at: performance.timeOrigin + performance.now() })}\n`);
}

const summary = (events: readonly HistoryEvent[]) =>
  events.map((event) => ({ seq: event.seq, type: event.type, opId: event.opId, ...("attempt" in event ? { attempt: event.attempt } : {}) }));

/** `store`, logging `{ t: "accepted", exec, runId, events }` after every create and append that took effect. */
export function loggingStore(store: HistoryStore, write: LogWriter): HistoryStore {
  const logged = Object.create(store) as HistoryStore;
  logged.create = async (execution) => {
    const created = await store.create(execution);
    if (created.created) write({ t: "accepted", exec: execution.record.id, runId: execution.record.runId, events: summary(execution.events) });
    return created;
  };
  logged.append = async (id, request) => {
    const record = await store.append(id, request);
    if (request.events.length > 0) write({ t: "accepted", exec: id, runId: request.runId, events: summary(request.events) });
    return record;
  };
  return logged;
}
