// Test helpers: a store wrapper that abandons a turn at a chosen store call (before or after the call takes
// effect), and history checks shared by the engine tests.
import type { HistoryEvent } from "spindle";
import type { HistoryStore } from "spindle/store";

/** Thrown by CrashingStore: stands for the process dying at that point. */
export class SimulatedCrash extends Error {
  override name = "SimulatedCrash";
}

type Method = "create" | "get" | "load" | "append" | "writeInbox" | "listDue" | "list";

/**
 * Wraps a store; the call numbered `crashAt` (counting every call from 0) throws SimulatedCrash, either before it
 * reaches the store ("before") or after the store applied it ("after", the ambiguous case).
 */
export class CrashingStore implements HistoryStore {
  calls = 0;
  crashAt = -1;
  mode: "before" | "after" = "before";
  crashed = false;

  constructor(readonly inner: HistoryStore) {}

  get limits() {
    return this.inner.limits;
  }

  private async call<T>(method: Method, run: () => Promise<T>): Promise<T> {
    const index = this.calls++;
    if (index !== this.crashAt) return run();
    this.crashed = true;
    if (this.mode === "before") throw new SimulatedCrash(`crash before ${method} (call ${index})`);
    await run();
    throw new SimulatedCrash(`crash after ${method} (call ${index})`);
  }

  create: HistoryStore["create"] = (execution) => this.call("create", () => this.inner.create(execution));
  get: HistoryStore["get"] = (id) => this.call("get", () => this.inner.get(id));
  load: HistoryStore["load"] = (id, options) => this.call("load", () => this.inner.load(id, options));
  append: HistoryStore["append"] = (id, request) => this.call("append", () => this.inner.append(id, request));
  writeInbox: HistoryStore["writeInbox"] = (id, item) => this.call("writeInbox", () => this.inner.writeInbox(id, item));
  listDue: HistoryStore["listDue"] = (now, options) => this.call("listDue", () => this.inner.listDue(now, options));
  list: HistoryStore["list"] = (query) => this.call("list", () => this.inner.list(query));
}

/** Number of StepCompleted events per operation id: each must be exactly 1. */
export function completionsPerStep(events: readonly HistoryEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type === "StepCompleted") counts.set(event.opId, (counts.get(event.opId) ?? 0) + 1);
  }
  return counts;
}

/** Sequence numbers run 1..n with no gap or repeat. */
export function isGapless(events: readonly HistoryEvent[]): boolean {
  return events.every((event, i) => event.seq === i + 1);
}

/** Polls `condition` every millisecond until it holds; throws after `tries` polls (real time: for work in flight). */
export async function until(condition: () => boolean | Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`condition not met after ${tries} polls`);
}
