// The classic durable-function patterns, part 2: monitor loop, human interaction with timeout, and an aggregator that
// continues as new. Each test is a small realistic workflow; assertions cover the result and the recorded history.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CallbackNotFoundError, callback, continueAsNew, now, sleep, step, TimeoutError, workflow } from "spindle";
import type { HistoryEvent } from "spindle";
import { createTestEngine, formatTimeline } from "spindle/testing";

const ofType = (events: readonly HistoryEvent[], type: HistoryEvent["type"]) => events.filter((e) => e.type === type);

describe("monitor", () => {
  // Watches a flight's status every 10 minutes until it has departed, or gives up after `expiresInMinutes`.
  let departsAfterChecks = Infinity;
  let checks = 0;
  const watchFlight = workflow("watch-flight", async function* (input: { flight: string; expiresInMinutes: number }) {
    const startedAt = yield* now();
    const expiry = startedAt.getTime() + input.expiresInMinutes * 60_000;
    for (let check = 1; ; check++) {
      const status = yield* step("check-status", () => (++checks >= departsAfterChecks ? "departed" : "scheduled"));
      if (status === "departed") {
        yield* step("notify", () => `${input.flight} departed`);
        return { outcome: "departed", checks: check };
      }
      const at = yield* now();
      if (at.getTime() + 10 * 60_000 > expiry) return { outcome: "expired", checks: check };
      yield* sleep("interval", "10m");
    }
  });

  it("polls on an interval and ends as soon as the condition holds", async () => {
    departsAfterChecks = 3;
    checks = 0;
    const t = createTestEngine({ workflows: [watchFlight] });
    const startedAt = t.clock.now();
    const run = await t.start(watchFlight, { flight: "LH400", expiresInMinutes: 120 }, { id: "watch-lh400" });

    expect(await run.result()).toEqual({ outcome: "departed", checks: 3 });
    expect(t.clock.now() - startedAt).toBe(20 * 60_000);
    const history = await t.history("watch-lh400");
    const timeline = formatTimeline(history);
    expect(ofType(history, "TimerFired"), timeline).toHaveLength(2);
    expect(ofType(history, "StepCompleted").map((e) => e.name), timeline).toEqual([
      "check-status",
      "check-status",
      "check-status",
      "notify",
    ]);
  });

  it("stops at its expiry when the condition never holds", async () => {
    departsAfterChecks = Infinity;
    checks = 0;
    const t = createTestEngine({ workflows: [watchFlight] });
    const startedAt = t.clock.now();
    const run = await t.start(watchFlight, { flight: "BA117", expiresInMinutes: 60 }, { id: "watch-ba117" });

    expect(await run.result()).toEqual({ outcome: "expired", checks: 7 });
    expect(t.clock.now() - startedAt).toBe(60 * 60_000); // checks at 0, 10, ..., 60 min; another would pass the expiry
    const history = await t.history("watch-ba117");
    const timeline = formatTimeline(history);
    expect(ofType(history, "TimerFired"), timeline).toHaveLength(6);
    expect(ofType(history, "StepCompleted").filter((e) => e.name === "notify"), timeline).toHaveLength(0);
    expect((await t.describe("watch-ba117")).status).toBe("completed");
  });
});

describe("human interaction with timeout", () => {
  // An expense needs a manager's approval within a day; past that it escalates to a director for two more days.
  const inbox: { to: string; token: string }[] = [];
  const expense = workflow(
    "expense",
    { callbacks: { approval: z.object({ approved: z.boolean(), by: z.string() }) } },
    async function* (input: { id: string; amount: number }) {
      try {
        const decision = yield* callback<{ approved: boolean; by: string }>(
          "approval",
          (token) => void inbox.push({ to: "manager", token }),
          { timeout: "24h" },
        );
        return { ...decision, escalated: false };
      } catch (error) {
        if (!(error instanceof TimeoutError)) return { approved: false, by: "manager", reason: (error as Error).message };
      }
      const decision = yield* callback<{ approved: boolean; by: string }>(
        "escalation",
        (token) => void inbox.push({ to: "director", token }),
        { timeout: "48h" },
      );
      return { ...decision, escalated: true };
    },
  );
  const tokenFor = (to: string) => inbox.filter((mail) => mail.to === to).at(-1)!.token;

  it("returns the manager's decision when the callback is completed in time, and refuses the token twice", async () => {
    const t = createTestEngine({ workflows: [expense] });
    const run = await t.start(expense, { id: "exp-1", amount: 420 }, { id: "expense-1" });
    await t.advanceTime("3h");
    const waiting = await t.describe("expense-1");
    expect(waiting.waitingFor).toMatchObject([{ kind: "callback", name: "approval" }]);
    expect(waiting.wakeAt!.getTime() - t.clock.now()).toBe(21 * 3_600_000);

    const token = tokenFor("manager");
    await t.engine.completeCallback(token, { approved: true, by: "maria" });
    expect(await run.result()).toEqual({ approved: true, by: "maria", escalated: false });
    await expect(t.engine.completeCallback(token, { approved: false, by: "maria" })).rejects.toBeInstanceOf(CallbackNotFoundError);

    const history = await t.history("expense-1");
    const timeline = formatTimeline(history);
    expect(ofType(history, "CallbackCreated").map((e) => e.name), timeline).toEqual(["approval"]);
    expect(ofType(history, "CallbackCompleted")[0], timeline).toMatchObject({ name: "approval", value: '{"approved":true,"by":"maria"}' });
    expect(ofType(history, "TimerFired"), timeline).toHaveLength(0);
  });

  it("escalates when the manager does not answer within a day, and the expired token is refused", async () => {
    const t = createTestEngine({ workflows: [expense] });
    const run = await t.start(expense, { id: "exp-2", amount: 9000 }, { id: "expense-2" });
    await t.advanceTime("24h");
    expect((await t.describe("expense-2")).waitingFor).toMatchObject([{ kind: "callback", name: "escalation" }]);
    await expect(t.engine.completeCallback(tokenFor("manager"), { approved: true, by: "late" })).rejects.toBeInstanceOf(
      CallbackNotFoundError,
    );

    await t.engine.completeCallback(tokenFor("director"), { approved: false, by: "dana" });
    expect(await run.result()).toEqual({ approved: false, by: "dana", escalated: true });
    const history = await t.history("expense-2");
    const timeline = formatTimeline(history);
    expect(ofType(history, "CallbackCreated").map((e) => e.name), timeline).toEqual(["approval", "escalation"]);
    expect(ofType(history, "TimerFired").map((e) => e.name), timeline).toEqual(["approval"]);
  });

  it("throws the error given to failCallback into the workflow, and refuses a value failing the declared schema", async () => {
    const t = createTestEngine({ workflows: [expense] });
    const run = await t.start(expense, { id: "exp-3", amount: 50 }, { id: "expense-3" });
    await t.idle();
    const token = tokenFor("manager");
    await expect(t.engine.completeCallback(token, { approved: "yes" })).rejects.toThrow(/schema/);
    expect(ofType(await t.history("expense-3"), "CallbackCompleted")).toHaveLength(0);

    await t.engine.failCallback(token, { name: "Rejected", message: "no receipt attached" });
    expect(await run.result()).toEqual({ approved: false, by: "manager", reason: "no receipt attached" });
    const completed = ofType(await t.history("expense-3"), "CallbackCompleted")[0];
    expect(completed).toMatchObject({ error: { name: "Rejected", message: "no receipt attached" } });
  });
});

describe("aggregator with continueAsNew", () => {
  // Sums meter readings for ever; every 3 readings it continues as new, carrying the running state, so no run's
  // history grows without bound. A reading of -1 closes the meter.
  const PER_RUN = 3;
  const meter = workflow(
    "meter",
    { events: { reading: z.object({ kwh: z.number() }) } },
    async function* (input: { total: number; readings: number; run: number }, ctx) {
      let { total, readings } = input;
      for (let i = 0; i < PER_RUN; i++) {
        const { kwh } = yield* ctx.waitForEvent("reading");
        if (kwh < 0) return { total, readings, runs: input.run + 1 };
        total += kwh;
        readings++;
      }
      return yield* continueAsNew({ total, readings, run: input.run + 1 });
    },
  );

  it("carries its state across runs and keeps events sent before and while it continues", async () => {
    const t = createTestEngine({ workflows: [meter] });
    const run = await t.start(meter, { total: 0, readings: 0, run: 0 }, { id: "meter-1" });
    // Sent before the workflow ever waits: four readings, more than one run takes.
    for (const kwh of [1, 2, 3, 4]) await t.sendEvent("meter-1", "reading", { kwh });
    await t.idle();
    const second = await t.describe("meter-1");
    expect(second.runs).toBe(1);
    expect(second.status).toBe("suspended");
    expect(second.waitingFor).toMatchObject([{ kind: "event", name: "reading" }]);

    // Sent while it waits in its second run: the rest of the second run, and two for the third.
    for (const kwh of [5, 6, 7, 8]) await t.sendEvent("meter-1", "reading", { kwh });
    await t.sendEvent("meter-1", "reading", { kwh: -1 });
    expect(await run.result()).toEqual({ total: 36, readings: 8, runs: 3 });

    const done = await t.describe("meter-1");
    expect(done.runs).toBe(2);
    expect(done.runId).not.toBe(second.runId);
    const history = await t.history("meter-1"); // the current (third) run only
    const timeline = formatTimeline(history);
    expect(history[0], timeline).toMatchObject({ type: "ExecutionStarted", input: '{"total":21,"readings":6,"run":2}' });
    expect(ofType(history, "EventReceived").map((e) => (e.type === "EventReceived" ? e.payload : "")), timeline).toEqual([
      '{"kwh":7}',
      '{"kwh":8}',
      '{"kwh":-1}',
    ]);
    expect(done.historyLength, timeline).toBe(history.length);
  });

  it("starts each new run with a fresh history whose input is the carried state", async () => {
    const t = createTestEngine({ workflows: [meter] });
    await t.start(meter, { total: 100, readings: 10, run: 5 }, { id: "meter-2" });
    for (const kwh of [1, 1, 1]) await t.sendEvent("meter-2", "reading", { kwh });
    await t.idle();
    const description = await t.describe("meter-2");
    expect(description.runs).toBe(1);
    expect(description.input).toEqual({ total: 103, readings: 13, run: 6 });
    const history = await t.history("meter-2");
    // The new run has only started and waits for its first reading; the three readings stayed in the first run.
    expect(history.map((e) => e.type), formatTimeline(history)).toEqual(["ExecutionStarted", "WaitStarted"]);
    expect(description.historyLength).toBe(2);
  });
});
