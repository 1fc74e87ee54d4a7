// Fixtures of the store conformance suite: fresh ids, sample executions and events, and the requests the tests send.
import type { HistoryEvent } from "../core/history.js";
import { HISTORY_VERSION } from "../core/history.js";
import type { InboxItem } from "../core/replayer.js";
import type { AppendRequest, HistoryStore, RecordUpdate } from "../store/history-store.js";
import { newExecution } from "../store/history-store.js";

let counter = 0;
/** A fresh execution id per test, so tests share one store (and table) safely. */
export function freshId(label: string): string {
  counter += 1;
  return `conf-${label}-${Date.now().toString(36)}-${counter}`;
}

/** A time of its own for each test that needs one (so due-time queries do not see other tests' executions). */
export function freshTime(): number {
  return 1_800_000_000_000 + counter * 1_000_000;
}

/**
 * A record and its ExecutionStarted event, as the engine creates them: input for store tests.
 * @example
 * ```ts
 * await store.create(sampleExecution("e-1"));
 * ```
 */
export function sampleExecution(id: string, options: { workflow?: string; at?: number; input?: string } = {}) {
  return newExecution({
    id,
    workflow: options.workflow ?? "conformance",
    runId: `run-${id}`,
    at: options.at ?? 1_700_000_000_000,
    input: options.input ?? '{"n":1}',
  });
}

/**
 * `count` StepCompleted events numbered from `from`, each with `result` (JSON text): filler for store tests.
 * @example
 * ```ts
 * await store.append("e-1", { runId: "run-e-1", expectedVersion: 1, events: sampleSteps(2, 3), update, consumeInbox: [] });
 * ```
 */
export function sampleSteps(from: number, count: number, result = '"ok"'): HistoryEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: HISTORY_VERSION,
    seq: from + i,
    type: "StepCompleted" as const,
    opId: String(from + i - 2),
    kind: "step",
    name: `s${from + i}`,
    at: 1_700_000_000_000 + from + i,
    attempt: 1,
    result,
  }));
}

export function update(overrides: Partial<RecordUpdate> = {}): RecordUpdate {
  return { status: "running", waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: 1_700_000_001_000, ...overrides };
}

export function appendRequest(runId: string, expectedVersion: number, events: HistoryEvent[], overrides: Partial<AppendRequest> = {}): AppendRequest {
  return { runId, expectedVersion, events, update: update(), consumeInbox: [], ...overrides };
}

export function inboxItem(key: string, overrides: Partial<InboxItem> = {}): InboxItem {
  return { id: `item-${key}-${++counter}`, key, type: "event", name: "ping", payload: '{"k":1}', at: 1_700_000_000_500, ...overrides };
}

export async function loadAll(store: HistoryStore, id: string): Promise<unknown[]> {
  const events: unknown[] = [];
  for (;;) {
    const page = await store.load(id, { afterSeq: events.length });
    if (!page) throw new Error(`execution ${id} vanished`);
    events.push(...page.events);
    if (!page.more || page.events.length === 0) return events;
  }
}
