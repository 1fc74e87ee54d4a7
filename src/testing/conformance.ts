// The HistoryStore contract as one test suite. Every store runs it: MemoryStore here, DynamoDBStore in its adapter,
// and any third-party store through `runStoreConformance` from `spindle/testing`. The test functions are passed in
// (or taken from the globals), so importing `spindle/testing` never requires a test framework at run time.
import { ConcurrencyError } from "../errors.js";
import type { HistoryEvent } from "../core/history.js";
import type { HistoryStore } from "../store/history-store.js";
import { newExecution } from "../store/history-store.js";
import { appendRequest, freshId, freshTime, inboxItem, loadAll, sampleExecution, sampleSteps, update } from "./conformance-fixtures.js";
import { registerInputConformance } from "./conformance-input.js";
import { registerTurnFailureConformance } from "./conformance-turn-failures.js";
import type { TestApi } from "./test-api.js";

export { sampleExecution, sampleSteps } from "./conformance-fixtures.js";

export type { TestApi } from "./test-api.js";

/** Options of `runStoreConformance`. */
export interface ConformanceOptions {
  /** `{ describe, it, expect }` from your test framework. Default: the globals (vitest `globals: true`, jest). */
  test?: TestApi;
  /** Events written by the long-history test. Default 2,500 (over two 1,000-event pages). */
  longHistory?: number;
  /** Concurrent appenders racing for one version. Default 16. */
  racers?: number;
}

/**
 * Registers the HistoryStore contract tests for a store.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { runStoreConformance } from "spindle/testing";
 * runStoreConformance("MyStore", () => new MyStore(), { test: { describe, it, expect } });
 * ```
 * @throws Error when no test functions are given and none are global.
 */
export function runStoreConformance(
  name: string,
  makeStore: () => HistoryStore | Promise<HistoryStore>,
  options: ConformanceOptions = {},
): void {
  const { describe, it, expect } = options.test ?? globalTestApi();
  const longHistory = options.longHistory ?? 2500;
  const racers = options.racers ?? 16;

  describe(`HistoryStore conformance: ${name}`, () => {
    it("creates an execution once and returns the existing one untouched on a second create", async () => {
      const store = await makeStore();
      const id = freshId("create");
      const first = await store.create(sampleExecution(id));
      expect(first.created).toBe(true);
      const second = await store.create(sampleExecution(id, { input: '{"n":2}', workflow: "other" }));
      expect(second.created).toBe(false);
      expect(second.record.input).toBe('{"n":1}');
      expect(second.record.workflow).toBe("conformance");
      expect(await loadAll(store, id)).toHaveLength(1);
    });

    it("answers undefined for an execution that does not exist", async () => {
      const store = await makeStore();
      expect(await store.get(freshId("missing"))).toBeUndefined();
      expect(await store.load(freshId("missing"))).toBeUndefined();
    });

    it("appends at the expected version and loads events in sequence order", async () => {
      const store = await makeStore();
      const id = freshId("append");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      const updated = await store.append(id, appendRequest(record.runId, 1, sampleSteps(2, 3)));
      expect(updated.version).toBe(4);
      const loaded = await loadAll(store, id);
      expect(loaded.map((event) => (event as HistoryEvent).seq)).toEqual([1, 2, 3, 4]);
      expect(loaded[1]).toEqual(sampleSteps(2, 1)[0]);
    });

    it("refuses an append at a stale version or another run with ConcurrencyError and writes nothing", async () => {
      const store = await makeStore();
      const id = freshId("stale");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      await store.append(id, appendRequest(record.runId, 1, sampleSteps(2, 1)));
      await expect(store.append(id, appendRequest(record.runId, 1, sampleSteps(2, 1, '"late"')))).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      await expect(store.append(id, appendRequest("another-run", 2, sampleSteps(3, 1)))).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      const loaded = (await loadAll(store, id)) as HistoryEvent[];
      expect(loaded).toHaveLength(2);
      expect(loaded[1]).toMatchObject({ result: '"ok"' });
      expect((await store.get(id))!.version).toBe(2);
    });

    it(`lets exactly one of ${racers} racing appenders win a version; the history never forks`, async () => {
      const store = await makeStore();
      const id = freshId("race");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      const outcomes = await Promise.allSettled(
        Array.from({ length: racers }, (_, i) => store.append(id, appendRequest(record.runId, 1, sampleSteps(2, 2, `"racer-${i}"`)))),
      );
      const winners = outcomes.filter((outcome) => outcome.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
      }
      const loaded = (await loadAll(store, id)) as HistoryEvent[];
      expect(loaded).toHaveLength(3);
      const results = new Set(loaded.slice(1).map((event) => (event as { result?: string }).result));
      expect(results.size).toBe(1);
    });

    it(`pages through a history of ${longHistory} events with afterSeq`, async () => {
      const store = await makeStore();
      const id = freshId("long");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      let version = 1;
      while (version < longHistory) {
        const batch = Math.min(100, longHistory - version);
        await store.append(id, appendRequest(record.runId, version, sampleSteps(version + 1, batch)));
        version += batch;
      }
      const loaded = (await loadAll(store, id)) as HistoryEvent[];
      expect(loaded).toHaveLength(longHistory);
      expect(loaded.every((event, i) => event.seq === i + 1)).toBe(true);
      const tail = await store.load(id, { afterSeq: longHistory - 5 });
      expect(tail!.events.map((event) => (event as HistoryEvent).seq)).toEqual([
        longHistory - 4,
        longHistory - 3,
        longHistory - 2,
        longHistory - 1,
        longHistory,
      ]);
      expect(tail!.more).toBe(false);
    });

    it("stores an event carrying a value as large as limits.maxValueBytes", async () => {
      const store = await makeStore();
      const id = freshId("large");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      const value = JSON.stringify("é".repeat(Math.floor((store.limits.maxValueBytes - 2) / 2)));
      await store.append(id, appendRequest(record.runId, 1, sampleSteps(2, 1, value)));
      const loaded = (await loadAll(store, id)) as { result?: string }[];
      expect(loaded[1]!.result).toBe(value);
    });

    it("updates the record with the append: status, wake-up, waits, custom status, result and error", async () => {
      const store = await makeStore();
      const id = freshId("record");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      const wait = { kind: "timer" as const, opId: "0", name: "sleep", until: 1_700_000_100_000 };
      const suspended = await store.append(
        id,
        appendRequest(record.runId, 1, sampleSteps(2, 1), {
          update: update({ status: "suspended", waitingFor: [wait], wakeAt: wait.until, customStatus: '{"stage":1}' }),
        }),
      );
      expect(suspended).toMatchObject({ status: "suspended", waitingFor: [wait], wakeAt: wait.until, customStatus: '{"stage":1}' });
      const failed = await store.append(
        id,
        appendRequest(record.runId, 2, [], {
          update: update({ status: "failed", error: { name: "Error", message: "boom", code: "E1" } }),
        }),
      );
      expect(failed.wakeAt).toBeUndefined();
      expect(failed.waitingFor).toEqual([]);
      expect(failed.error).toEqual({ name: "Error", message: "boom", code: "E1" });
      expect(failed.customStatus).toBe('{"stage":1}');
      expect(await store.get(id)).toEqual(failed);
    });

    it("keeps the parent link and run count of a child execution", async () => {
      const store = await makeStore();
      const id = freshId("child");
      const execution = newExecution({ id, workflow: "child", runId: "r1", at: 1, parent: { executionId: "p-1", opId: "3" } });
      await store.create(execution);
      expect(await store.get(id)).toMatchObject({ parent: { executionId: "p-1", opId: "3" }, runs: 0 });
    });

    it("continues as new atomically: closes the run, starts the next at seq 1, keeps the unread inbox", async () => {
      const store = await makeStore();
      const id = freshId("can");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      await store.writeInbox(id, inboxItem("early"));
      const closing = sampleSteps(2, 2);
      const next = newExecution({ id, workflow: "conformance", runId: "run-2", at: 1_700_000_002_000, input: '{"n":2}' });
      const updated = await store.append(id, appendRequest(record.runId, 1, closing, {
        continueAsNew: { runId: "run-2", input: '{"n":2}', events: next.events },
      }));
      expect(updated).toMatchObject({ runId: "run-2", runs: 1, version: 1, input: '{"n":2}' });
      const page = await store.load(id);
      expect(page!.events).toEqual(next.events);
      expect(page!.inbox.map((item) => item.key)).toEqual(["early"]);
      await expect(store.append(id, appendRequest(record.runId, 3, sampleSteps(4, 1)))).rejects.toBeInstanceOf(ConcurrencyError);
      const second = await store.append(id, appendRequest("run-2", 1, sampleSteps(2, 1)));
      expect(second.version).toBe(2);
    });

    it("returns copies: changing a returned record changes nothing stored", async () => {
      const store = await makeStore();
      const id = freshId("copy");
      await store.create(sampleExecution(id));
      const record = (await store.get(id))!;
      record.status = "completed";
      record.waitingFor.push({ kind: "timer", opId: "9", name: "x" });
      const again = (await store.get(id))!;
      expect(again.status).toBe("running");
      expect(again.waitingFor).toEqual([]);
    });

    it("keeps inbox items in arrival order, deduplicates by key even after consumption, and refuses closed executions", async () => {
      const store = await makeStore();
      const id = freshId("inbox");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      const a = inboxItem("a");
      const b = inboxItem("b", { name: "pong" });
      expect(await store.writeInbox(id, a)).toEqual({ status: "written" });
      expect(await store.writeInbox(id, b)).toEqual({ status: "written" });
      const duplicate = await store.writeInbox(id, inboxItem("a", { payload: '{"k":2}' }));
      expect(duplicate).toMatchObject({ status: "duplicate", existing: { id: a.id, payload: '{"k":1}' } });
      const loaded = await store.load(id);
      expect(loaded!.inbox.map((item) => item.id)).toEqual([a.id, b.id]);
      expect(loaded!.record.inboxSeq).toBeGreaterThan(loaded!.record.inboxSeen);

      await store.append(id, appendRequest(record.runId, 1, sampleSteps(2, 1), {
        consumeInbox: [a.id],
        update: update({ inboxSeen: loaded!.record.inboxSeq }),
      }));
      const after = await store.load(id);
      expect(after!.inbox.map((item) => item.id)).toEqual([b.id]);
      expect(await store.writeInbox(id, inboxItem("a"))).toMatchObject({ status: "duplicate" });

      await store.append(id, appendRequest(record.runId, 2, [], { update: update({ status: "completed" }) }));
      expect(await store.writeInbox(id, inboxItem("c"))).toMatchObject({ status: "closed" });
      expect(await store.writeInbox(freshId("nobody"), inboxItem("d"))).toEqual({ status: "not-found" });
    });

    it("refuses a closing append once the inbox moved past expectInboxSeq, writing nothing, and takes it at the current count", async () => {
      const store = await makeStore();
      const id = freshId("close");
      const { record, events } = sampleExecution(id);
      await store.create({ record, events });
      const seen = (await store.get(id))!.inboxSeq;
      await store.writeInbox(id, inboxItem("late-cancel", { type: "cancel", name: "cancel" }));
      const closing = appendRequest(record.runId, 1, sampleSteps(2, 1), { update: update({ status: "completed", inboxSeen: seen }) });
      await expect(store.append(id, { ...closing, expectInboxSeq: seen })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await loadAll(store, id)).toHaveLength(1);
      const now = (await store.get(id))!;
      expect(now.status).not.toBe("completed");
      const written = await store.append(id, { ...closing, expectInboxSeq: now.inboxSeq });
      expect(written).toMatchObject({ status: "completed", version: 2 });
    });

    it("lists due executions: wake-up time reached or unread inbox, never closed or future ones", async () => {
      const store = await makeStore();
      const base = freshTime();
      const due = freshId("due");
      const future = freshId("future");
      const inbox = freshId("inbox-due");
      const closed = freshId("closed");
      for (const id of [due, future, inbox, closed]) await store.create(sampleExecution(id, { at: base }));
      const suspend = (id: string, wakeAt: number | null, status: "suspended" | "completed" = "suspended") =>
        store.append(id, appendRequest(`run-${id}`, 1, [], { update: update({ status, wakeAt }) }));
      await suspend(due, base + 10);
      await suspend(future, base + 1_000_000);
      await suspend(inbox, null);
      await suspend(closed, null, "completed");
      await store.writeInbox(inbox, inboxItem("wake"));
      const listed = await store.listDue(base + 100, { limit: 1000 });
      expect(listed).toContain(due);
      expect(listed).toContain(inbox);
      expect(listed).not.toContain(future);
      expect(listed).not.toContain(closed);
      expect((await store.listDue(base + 100, { limit: 1 })).length).toBeLessThanOrEqual(1);
    });

    it("leases an execution to one owner at a time, lets the owner renew, and hands it over once expired", async (ctx?: { skip?: () => void }) => {
      const store = await makeStore();
      if (!store.acquireLease) return ctx?.skip?.(); // leases are optional
      const at = freshTime();
      const id = freshId("lease");
      await store.create(sampleExecution(id, { at }));
      const first = await store.acquireLease(id, { owner: "a", until: at + 60_000, now: at });
      expect(first.acquired).toBe(true);
      expect(first.record.lease).toEqual({ owner: "a", until: at + 60_000 });
      expect(first.record.wakeAt).toBe(at + 60_000);
      expect(await store.listDue(at + 1_000, { limit: 1000 })).not.toContain(id);
      const taken = await store.acquireLease(id, { owner: "b", until: at + 90_000, now: at + 1_000 });
      expect(taken).toMatchObject({ acquired: false, record: { lease: { owner: "a", until: at + 60_000 } } });
      expect((await store.acquireLease(id, { owner: "a", until: at + 120_000, now: at + 2_000 })).acquired).toBe(true);
      const after = await store.acquireLease(id, { owner: "b", until: at + 200_000, now: at + 120_000 });
      expect(after).toMatchObject({ acquired: true, record: { lease: { owner: "b", until: at + 200_000 } } });
      expect((await store.get(id))!.lease).toEqual({ owner: "b", until: at + 200_000 });
    });

    it("refuses a lease to a claimant that loaded an older version, and never leases a closed execution", async (ctx?: { skip?: () => void }) => {
      const store = await makeStore();
      if (!store.acquireLease) return ctx?.skip?.();
      const at = freshTime();
      const id = freshId("lease-stale");
      await store.create(sampleExecution(id, { at }));
      await store.append(id, appendRequest(`run-${id}`, 1, sampleSteps(2, 1), { update: update({ updatedAt: at + 1, status: "suspended" }) }));
      const stale = await store.acquireLease(id, { owner: "a", until: at + 60_000, now: at + 2, expect: { runId: `run-${id}`, version: 1 } });
      expect(stale.acquired).toBe(false);
      expect(stale.record.version).toBe(2);
      expect((await store.get(id))!.lease).toBeUndefined();
      const current = await store.acquireLease(id, { owner: "a", until: at + 60_000, now: at + 2, expect: { runId: `run-${id}`, version: 2 } });
      expect(current.acquired).toBe(true);
      await store.append(id, appendRequest(`run-${id}`, 2, [], { update: update({ updatedAt: at + 3, status: "completed" }), lease: { owner: "a", until: null } }));
      expect((await store.acquireLease(id, { owner: "b", until: at + 60_000, now: at + 4 })).acquired).toBe(false);
    });

    it(`lets exactly one of ${racers} racing owners take a lease`, async (ctx?: { skip?: () => void }) => {
      const store = await makeStore();
      if (!store.acquireLease) return ctx?.skip?.();
      const at = freshTime();
      const id = freshId("lease-race");
      await store.create(sampleExecution(id, { at }));
      const outcomes = await Promise.all(
        Array.from({ length: racers }, (_, i) => store.acquireLease!(id, { owner: `o${i}`, until: at + 60_000, now: at })),
      );
      const winners = outcomes.filter((outcome) => outcome.acquired);
      expect(winners).toHaveLength(1);
      expect((await store.get(id))!.lease!.owner).toBe(winners[0]!.record.lease!.owner);
    });

    it("refuses an append carrying another owner's lease while it is live; the owner's last append releases it", async (ctx?: { skip?: () => void }) => {
      const store = await makeStore();
      if (!store.acquireLease) return ctx?.skip?.();
      const at = freshTime();
      const id = freshId("lease-append");
      await store.create(sampleExecution(id, { at }));
      await store.acquireLease(id, { owner: "a", until: at + 60_000, now: at });
      const request = (owner: string, until: number | null, now: number) =>
        appendRequest(`run-${id}`, 1, sampleSteps(2, 1), { update: update({ updatedAt: now, wakeAt: null, status: "suspended" }), lease: { owner, until } });
      await expect(store.append(id, request("b", null, at + 1_000))).rejects.toThrow(ConcurrencyError);
      expect((await store.get(id))!.version).toBe(1);
      const renewed = await store.append(id, appendRequest(`run-${id}`, 1, sampleSteps(2, 1), {
        update: update({ updatedAt: at + 1_000 }),
        lease: { owner: "a", until: at + 90_000 },
      }));
      expect(renewed.lease).toEqual({ owner: "a", until: at + 90_000 });
      const released = await store.append(id, appendRequest(`run-${id}`, 2, sampleSteps(3, 1), {
        update: update({ updatedAt: at + 2_000, status: "suspended" }),
        lease: { owner: "a", until: null },
      }));
      expect(released.lease).toBeUndefined();
      expect((await store.get(id))!.lease).toBeUndefined();
      expect((await store.acquireLease(id, { owner: "b", until: at + 60_000, now: at + 3_000 })).acquired).toBe(true);
    });

    it("lists executions by status and workflow across pages without repeats", async () => {
      const store = await makeStore();
      const workflow = freshId("wf");
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = freshId("list");
        ids.push(id);
        await store.create(sampleExecution(id, { workflow, at: 1_700_000_000_000 + i }));
      }
      await store.append(ids[0]!, appendRequest(`run-${ids[0]}`, 1, [], { update: update({ status: "completed" }) }));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ workflow, status: "running", limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...page.records.map((record) => record.id));
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toEqual(ids.slice(1).reverse());
      const both = await store.list({ workflow, status: ["running", "completed"], limit: 100 });
      expect(both.records).toHaveLength(7);
    });

    registerInputConformance({ describe, it, expect }, makeStore);
    registerTurnFailureConformance({ describe, it, expect }, makeStore);
  });
}

function globalTestApi(): TestApi {
  const globals = globalThis as Partial<TestApi>;
  if (globals.describe && globals.it && globals.expect) return globals as TestApi;
  throw new Error(
    "runStoreConformance: pass { test: { describe, it, expect } } from your test framework, or enable its globals.",
  );
}
