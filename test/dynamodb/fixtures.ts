// Histories and requests for the DynamoDB tests, built the way the engine builds them.
import type { HistoryEvent } from "spindle";
import type { AppendRequest, HistoryStore, InboxItem, RecordUpdate } from "spindle/store";
import { newExecution } from "spindle/store";
import { sampleSteps } from "spindle/testing";

let counter = 0;

/** A fresh execution id. */
export function freshId(label: string): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}

/** A new execution as the engine creates it (run id `run-<id>`). */
export function execution(id: string, options: { workflow?: string; at?: number; input?: string } = {}) {
  return newExecution({
    id,
    workflow: options.workflow ?? "ddb-test",
    runId: `run-${id}`,
    at: options.at ?? 1_700_000_000_000,
    input: options.input ?? '{"n":1}',
  });
}

/** `count` StepCompleted events from seq `from`, each with `result` (JSON text). */
export const steps = sampleSteps;

export function update(overrides: Partial<RecordUpdate> = {}): RecordUpdate {
  return { status: "running", waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: 1_700_000_001_000, ...overrides };
}

export function request(runId: string, expectedVersion: number, events: HistoryEvent[], overrides: Partial<AppendRequest> = {}): AppendRequest {
  return { runId, expectedVersion, events, update: update(), consumeInbox: [], ...overrides };
}

export function inboxItem(key: string, overrides: Partial<InboxItem> = {}): InboxItem {
  counter += 1;
  return {
    id: `01J${String(counter).padStart(10, "0")}${key}`,
    key,
    type: "event",
    name: "ping",
    payload: '{"k":1}',
    at: 1_700_000_000_500,
    ...overrides,
  };
}

/** Every event of the current run, following pages. */
export async function loadAll(store: HistoryStore, id: string): Promise<HistoryEvent[]> {
  const events: unknown[] = [];
  for (;;) {
    const page = await store.load(id, { afterSeq: events.length });
    if (!page) throw new Error(`execution ${id} vanished`);
    events.push(...page.events);
    if (!page.more || page.events.length === 0) return events as HistoryEvent[];
  }
}

/** Appends `total - 1` StepCompleted events after ExecutionStarted, `batch` per append. */
export async function fillHistory(store: HistoryStore, id: string, total: number, batch: number, result = '"ok"'): Promise<void> {
  let version = 1;
  while (version < total) {
    const count = Math.min(batch, total - version);
    await store.append(id, request(`run-${id}`, version, steps(version + 1, count, result)));
    version += count;
  }
}
