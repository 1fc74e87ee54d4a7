// Conformance tests of `updateTurnFailures` (optional: skipped for a store without it): failed turns recorded with
// one conditional write that backs the due time off, then takes a `stuck` execution out of the due index (an inbox
// write lands without putting it back), clears on a redrive or any append, and is refused once the record moved on,
// closed, or is leased by another turn.
import type { HistoryStore } from "../store/history-store.js";
import type { TurnFailuresUpdate } from "../store/turn-failures.js";
import { appendRequest, freshId, freshTime, inboxItem, sampleExecution, sampleSteps, update } from "./conformance-fixtures.js";
import type { TestApi } from "./test-api.js";

type Skip = { skip?: () => void } | undefined;

/** Registers the tests inside `runStoreConformance`'s describe block. */
export function registerTurnFailureConformance(api: TestApi, makeStore: () => HistoryStore | Promise<HistoryStore>): void {
  const { it, expect } = api;

  const failing = (runId: string, version: number, at: number, failures: number, stuck = false): TurnFailuresUpdate => ({
    expect: { runId, version, status: "running", failures },
    now: at,
    turnFailures: { count: failures + 1, reason: "WorkflowNotFoundError: gone", code: "WORKFLOW_NOT_FOUND", ...(stuck ? {} : { nextAttemptAt: at + 1000 }) },
    status: stuck ? "stuck" : "running",
    wakeAt: stuck ? null : at + 1000,
  });

  it("records failed turns with a backed-off due time, then takes a stuck execution out of the due index until it is redriven", async (ctx?: Skip) => {
    const store = await makeStore();
    if (!store.updateTurnFailures) return ctx?.skip?.(); // optional
    const at = freshTime();
    const workflow = freshId("stuck-wf");
    const id = freshId("stuck");
    const runId = `run-${id}`;
    await store.create(sampleExecution(id, { at, workflow }));
    const first = await store.updateTurnFailures(id, failing(runId, 1, at + 1, 0));
    expect(first.updated).toBe(true);
    expect(first.record).toMatchObject({ status: "running", wakeAt: at + 1001, turnFailures: { count: 1, nextAttemptAt: at + 1001 } });
    expect(await store.listDue(at + 500, { limit: 1000 })).not.toContain(id);
    expect(await store.listDue(at + 1001, { limit: 1000 })).toContain(id);
    // A second writer that read the record before the first failure was recorded is refused, and changes nothing.
    const stale = await store.updateTurnFailures(id, failing(runId, 1, at + 2, 0));
    expect(stale).toMatchObject({ updated: false, record: { turnFailures: { count: 1 } } });

    const stuck = await store.updateTurnFailures(id, failing(runId, 1, at + 3, 1, true));
    expect(stuck.updated).toBe(true);
    expect((await store.get(id))!).toMatchObject({ status: "stuck", turnFailures: { count: 2, reason: "WorkflowNotFoundError: gone", code: "WORKFLOW_NOT_FOUND" } });
    expect((await store.get(id))!.wakeAt).toBeUndefined();
    expect(await store.listDue(at + 10_000_000, { limit: 1000 })).not.toContain(id);
    expect((await store.list({ workflow, status: "stuck", limit: 10 })).records.map((record) => record.id)).toEqual([id]);
    // Not closed: an inbox item lands, and the execution stays out of the due index.
    expect(await store.writeInbox(id, inboxItem(`k-${id}`))).toEqual({ status: "written" });
    expect(await store.listDue(at + 10_000_000, { limit: 1000 })).not.toContain(id);
    expect((await store.get(id))!).toMatchObject({ status: "stuck", inboxSeq: 1 });

    const redriven = await store.updateTurnFailures(id, {
      expect: { runId, version: 1, status: "stuck", failures: 2 },
      now: at + 4,
      turnFailures: null,
      status: "running",
      wakeAt: at + 4,
    });
    expect(redriven.updated).toBe(true);
    expect(redriven.record.turnFailures).toBeUndefined();
    expect(await store.listDue(at + 4, { limit: 1000 })).toContain(id);
    // A second redrive that read it stuck changes nothing.
    expect((await store.updateTurnFailures(id, { ...failing(runId, 1, at + 5, 2), expect: { runId, version: 1, status: "stuck", failures: 2 } })).updated).toBe(false);
  });

  it("clears failed turns with any append, and never records them on a closed execution or another version", async (ctx?: Skip) => {
    const store = await makeStore();
    if (!store.updateTurnFailures) return ctx?.skip?.();
    const at = freshTime();
    const id = freshId("failures-cleared");
    const runId = `run-${id}`;
    await store.create(sampleExecution(id, { at }));
    await store.updateTurnFailures(id, failing(runId, 1, at + 1, 0));
    const appended = await store.append(id, appendRequest(runId, 1, sampleSteps(2, 1), { update: update({ updatedAt: at + 2 }) }));
    expect(appended.turnFailures).toBeUndefined();
    expect((await store.get(id))!.turnFailures).toBeUndefined();
    expect((await store.updateTurnFailures(id, failing(runId, 1, at + 3, 0))).updated).toBe(false);
    await store.append(id, appendRequest(runId, 2, [], { update: update({ updatedAt: at + 4, status: "completed" }) }));
    const closed = { ...failing(runId, 2, at + 5, 0), expect: { runId, version: 2, status: "completed" as const, failures: 0 } };
    expect((await store.updateTurnFailures(id, closed)).updated).toBe(false);
    expect((await store.get(id))!).toMatchObject({ status: "completed", turnFailures: undefined });
  });

  it("refuses to record failed turns under another owner's live lease, and releases the failing turn's own", async (ctx?: Skip) => {
    const store = await makeStore();
    if (!store.updateTurnFailures || !store.acquireLease) return ctx?.skip?.();
    const at = freshTime();
    const id = freshId("failures-leased");
    const runId = `run-${id}`;
    await store.create(sampleExecution(id, { at }));
    await store.acquireLease(id, { owner: "a", until: at + 60_000, now: at });
    expect((await store.updateTurnFailures(id, { ...failing(runId, 1, at + 1, 0), owner: "b" })).updated).toBe(false);
    const own = await store.updateTurnFailures(id, { ...failing(runId, 1, at + 2, 0), owner: "a" });
    expect(own.updated).toBe(true);
    expect(own.record.lease).toBeUndefined();
    expect((await store.get(id))!).toMatchObject({ lease: undefined, wakeAt: at + 1002 });
  });
}
