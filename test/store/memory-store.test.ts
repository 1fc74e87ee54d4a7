// MemoryStore passes the HistoryStore conformance suite, the same one every store runs.
import { describe, expect, it } from "vitest";
import { MemoryStore } from "spindle";
import type { AppendRequest, HistoryEvent } from "spindle/store";
import { newExecution } from "spindle/store";
import { runStoreConformance } from "spindle/testing";

runStoreConformance("MemoryStore", () => new MemoryStore(), { test: { describe, it, expect } });

describe("MemoryStore keeps its stored record private", () => {
  // It changes its stored record in place on append (one copy per append, on the way out): neither the record it
  // returns nor the request it was given may share anything with what it stores.
  const timer = (seq: number): HistoryEvent =>
    ({ v: 1, seq, type: "TimerStarted", opId: "0", kind: "timer", name: "t", at: 1, until: 9 }) as unknown as HistoryEvent;

  it("an append's returned record and its request stay the caller's", async () => {
    const store = new MemoryStore();
    const execution = newExecution({ id: "private-1", workflow: "w", runId: "r-1", at: 1 });
    await store.create(execution);
    const error = { name: "Error", message: "boom" };
    const request: AppendRequest = {
      runId: "r-1",
      expectedVersion: execution.events.length,
      events: [timer(execution.events.length + 1)],
      update: { status: "suspended", waitingFor: [{ kind: "timer", opId: "0", name: "t", until: 9 }], wakeAt: 9, inboxSeen: 0, updatedAt: 2 },
      consumeInbox: [],
      lease: { owner: "me", until: 50 },
    };
    const returned = await store.append("private-1", request);
    const stored = await store.get("private-1");
    expect(returned).toEqual(stored);

    returned.status = "completed";
    returned.waitingFor[0]!.name = "changed";
    returned.lease!.until = 999;
    request.update.waitingFor[0]!.until = 1234;
    request.update.waitingFor.push({ kind: "timer", opId: "1", name: "x" });
    request.lease!.owner = "someone else";
    expect(await store.get("private-1")).toEqual(stored);

    const end: AppendRequest = {
      runId: "r-1",
      expectedVersion: stored!.version,
      events: [],
      update: { status: "failed", waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: 3, error },
      consumeInbox: [],
    };
    const ended = await store.append("private-1", end);
    ended.error!.message = "changed";
    error.message = "changed too";
    expect((await store.get("private-1"))!.error).toEqual({ name: "Error", message: "boom" });
  });
});
