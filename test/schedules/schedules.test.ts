// Schedules on both stores, external mode driven by resumeDue (the Lambda tick) on a virtual clock.
import { describe, expect, it } from "vitest";
import { createEngine, schedule, silentLogger, sleep, step, workflow, ValidationError } from "spindle";
import type { Engine, OverlapPolicy } from "spindle";
import type { HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const HOUR = 3_600_000;
const quick = workflow("quick", async function* (input: { at: string }) {
  return yield* step("echo", () => input.at);
});
const slow = workflow("slow", async function* () {
  yield* sleep("90m");
  return "done";
});

function engineOn(store: HistoryStore, clock: VirtualClock, schedules: ReturnType<typeof schedule>[]): Engine {
  return createEngine({ store, clock, mode: "external", logger: silentLogger, workflows: [quick, slow], schedules });
}

async function at(engine: Engine, clock: VirtualClock, iso: string): Promise<void> {
  clock.set(Date.parse(iso));
  await engine.resumeDue();
}

let made = 0;
/** A schedule name of this test alone (the DynamoDB table is shared by the file's tests). */
const fresh = (name: string) => `${name}-${++made}`;

describe.each(bothStores("schedules"))("schedules on %s", (_label, makeStore) => {
  it("fires each hourly fire time once, whatever the number of engines and ticks", async () => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T00:30:00Z"));
    const name = fresh("hourly");
    const hourly = schedule(name, { cron: "0 * * * *", workflow: quick, input: (t) => ({ at: t.toISOString() }) });
    const a = engineOn(store, clock, [hourly]);
    const b = engineOn(store, clock, [hourly]);
    await a.resumeDue();
    await at(a, clock, "2026-01-01T01:00:00Z");
    await b.resumeDue();
    await at(b, clock, "2026-01-01T02:00:30Z");
    await a.resumeDue();
    const info = await a.schedules.describe(name);
    expect(info.recentRuns.map((run) => run.id)).toEqual([`${name}@2026-01-01T02:00:00.000Z`, `${name}@2026-01-01T01:00:00.000Z`]);
    expect(info.recentRuns.map((run) => run.status)).toEqual(["completed", "completed"]);
    expect(await a.result(`${name}@2026-01-01T01:00:00.000Z`)).toBe("2026-01-01T01:00:00.000Z");
    expect(info.nextFireTimes[0]).toEqual(new Date("2026-01-01T03:00:00Z"));
    // The state record is not an execution.
    const { executions } = await a.list({ limit: 1000 });
    expect(executions.some((e) => e.id.startsWith("spindle:"))).toBe(false);
    expect(executions.filter((e) => e.id.startsWith(`${name}@`))).toHaveLength(2);
  });

  it("catches up missed fire times within the window only, and none with catchup: false", async () => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T00:00:00Z"));
    const c3h = fresh("c3h");
    const none = fresh("none");
    const withCatchup = schedule(c3h, { cron: "@hourly", workflow: quick, input: { at: "x" }, catchup: "3h", overlap: "allow-all" });
    const without = schedule(none, { cron: "@hourly", workflow: quick, input: { at: "x" }, catchup: false, overlap: "allow-all" });
    const engine = engineOn(store, clock, [withCatchup, without]);
    await engine.resumeDue();
    await at(engine, clock, "2026-01-01T10:00:00Z"); // ten hours of downtime, seen at the 10:00 fire time
    const caught = await engine.schedules.describe(c3h);
    expect(caught.recentRuns.map((run) => run.fireTime.getUTCHours())).toEqual([10, 9, 8, 7, 0]);
    const skipped = await engine.schedules.describe(none);
    expect(skipped.recentRuns.map((run) => run.fireTime.getUTCHours())).toEqual([10, 0]);
    await at(engine, clock, "2026-01-01T12:30:00Z");
    expect((await engine.schedules.describe(none)).recentRuns.map((run) => run.fireTime.getUTCHours())).toEqual([10, 0]);
    expect((await engine.schedules.describe(c3h)).lastFireTime).toEqual(new Date("2026-01-01T12:00:00Z"));
  });

  const overlaps: [OverlapPolicy, string[], string][] = [
    ["skip", ["02:00"], "completed"],
    ["allow-all", ["03:00", "02:00"], "running"],
    ["buffer-one", ["03:00", "02:00"], "running"],
    ["cancel-previous", ["03:00", "02:00"], "cancelled"],
    ["terminate-previous", ["03:00", "02:00"], "terminated"],
  ];
  it.each(overlaps)("overlap %s with a 90-minute run every hour", async (overlap, started, firstStatus) => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T01:30:00Z"));
    const name = fresh("slow-hourly");
    const hourly = schedule(name, { cron: "0 * * * *", workflow: slow, overlap });
    const engine = engineOn(store, clock, [hourly]);
    await engine.resumeDue();
    await at(engine, clock, "2026-01-01T02:00:00Z");
    await at(engine, clock, "2026-01-01T03:00:00Z"); // the 02:00 run sleeps until 03:30
    if (overlap === "buffer-one") {
      await at(engine, clock, "2026-01-01T03:10:00Z");
      expect((await engine.schedules.describe(name)).bufferedFireTime).toEqual(new Date("2026-01-01T03:00:00Z"));
      await at(engine, clock, "2026-01-01T03:30:00Z"); // the 02:00 run ends; the buffered one starts at the next tick
      await engine.resumeDue();
    }
    const info = await engine.schedules.describe(name);
    expect(info.recentRuns.map((run) => run.id.slice(-13, -8))).toEqual(started);
    const first = (await store.get(`${name}@2026-01-01T02:00:00.000Z`))!;
    expect(overlap === "skip" || overlap === "allow-all" ? "running" : first.status).toBe(overlap === "skip" || overlap === "allow-all" ? "running" : firstStatus === "running" ? "completed" : firstStatus);
  });

  it("pauses with a note, skips fire times while paused, unpauses, triggers and backfills once each", async () => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T00:00:00Z"));
    const name = fresh("daily");
    const daily = schedule(name, { cron: "@daily", workflow: quick, input: { at: "d" }, catchup: "2d" });
    const engine = engineOn(store, clock, [daily]);
    await engine.schedules.pause(name, "warehouse migration");
    expect(await engine.schedules.describe(name)).toMatchObject({ status: "paused", note: "warehouse migration", nextFireTimes: [] });
    await at(engine, clock, "2026-01-03T00:00:00Z");
    await engine.schedules.unpause(name);
    await at(engine, clock, "2026-01-03T12:00:00Z");
    expect((await engine.schedules.describe(name)).recentRuns).toEqual([]);
    const { id } = await engine.schedules.trigger(name);
    expect(id.startsWith(`${name}@trigger-`)).toBe(true);
    const first = await engine.schedules.backfill(name, new Date("2026-01-01T00:00:00Z"), new Date("2026-01-02T00:00:00Z"));
    const again = await engine.schedules.backfill(name, new Date("2026-01-01T00:00:00Z"), new Date("2026-01-02T00:00:00Z"));
    expect(first.ids).toEqual([`${name}@2026-01-01T00:00:00.000Z`, `${name}@2026-01-02T00:00:00.000Z`]);
    expect(again.ids).toEqual(first.ids);
    await engine.resumeDue();
    const mine = async () => (await engine.list({ limit: 1000 })).executions.filter((e) => e.id.startsWith(`${name}@`));
    expect(await mine()).toHaveLength(3);
    await engine.schedules.delete(name);
    await at(engine, clock, "2026-01-05T00:00:00Z");
    expect(await mine()).toHaveLength(3);
    expect((await engine.schedules.list())[0]!.status).toBe("deleted");
    await expect(engine.schedules.unpause(name)).rejects.toBeInstanceOf(ValidationError);
  });

  it("takes a changed definition at the next fire, losing and doubling no fire time", async () => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T00:30:00Z"));
    const name = fresh("job");
    const before = engineOn(store, clock, [schedule(name, { cron: "0 */2 * * *", workflow: quick, input: { at: "a" } })]);
    await before.resumeDue();
    await at(before, clock, "2026-01-01T02:00:00Z");
    const after = engineOn(store, clock, [schedule(name, { cron: "0 * * * *", workflow: quick, input: { at: "b" } })]);
    await at(after, clock, "2026-01-01T03:00:00Z");
    await at(before, clock, "2026-01-01T04:00:00Z");
    const ids = (await after.schedules.describe(name)).recentRuns.map((run) => run.id.slice(-13, -8));
    expect(ids).toEqual(["04:00", "03:00", "02:00"]);
  });
});

describe("schedule() validation and time semantics", () => {
  it("refuses bad names, expressions, zones and options with a ValidationError naming the schedule", () => {
    expect(() => schedule("a b", { cron: "@daily", workflow: quick })).toThrow(/letters, digits/);
    expect(() => schedule("x", { cron: "61 * * * *", workflow: quick })).toThrow(/schedule\("x"\).*cron expression/);
    expect(() => schedule("x", { cron: "@daily", workflow: quick, timezone: "Mars/Base" })).toThrow(/IANA/);
    expect(() => schedule("x", { cron: "@daily", workflow: quick, overlap: "queue" as never })).toThrow(/overlap/);
    expect(() => schedule("x", { cron: "@daily", workflow: quick, jitter: "soon" })).toThrow(ValidationError);
    expect(() => createEngine({ store: undefined as never, workflows: [] })).toThrow(ValidationError);
  });

  it("fires a 02:30 job once at the end of a spring-forward gap and once on a fall-back day", () => {
    const job = schedule("paris", { cron: "30 2 * * *", timezone: "Europe/Paris", workflow: quick });
    const iso = (times: number[]) => times.map((t) => new Date(t).toISOString());
    expect(iso(job.fireTimes(Date.parse("2026-03-28T00:00:00Z"), Date.parse("2026-03-30T23:00:00Z")))).toEqual([
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, the gap's end
      "2026-03-30T00:30:00.000Z",
    ]);
    expect(iso(job.fireTimes(Date.parse("2026-10-24T12:00:00Z"), Date.parse("2026-10-26T12:00:00Z")))).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST, the first occurrence only
      "2026-10-26T01:30:00.000Z",
    ]);
    // An hour field of `*` fires at every matching instant, so 02:30 twice on the fall-back night.
    const halfPast = schedule("half-past", { cron: "30 * * * *", timezone: "Europe/Paris", workflow: quick });
    expect(iso(halfPast.fireTimes(Date.parse("2026-10-24T23:45:00Z"), Date.parse("2026-10-25T02:00:00Z")))).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ]);
  });

  it("fires 0 0 31 * * only in months with a 31st, and 6-field and alias forms", () => {
    const monthEnd = schedule("month-end", { cron: "0 0 31 * *", workflow: quick });
    const months = monthEnd.fireTimes(Date.parse("2026-01-01T00:00:00Z"), Date.parse("2026-12-31T23:00:00Z"));
    expect(months.map((t) => new Date(t).getUTCMonth() + 1)).toEqual([1, 3, 5, 7, 8, 10, 12]);
    const seconds = schedule("s", { cron: "*/20 * * * * *", workflow: quick });
    expect(seconds.fireTimes(0, 60_000)).toEqual([20_000, 40_000, 60_000]);
    expect(schedule("w", { cron: "@weekly", workflow: quick }).fireTimes(0, 8 * 24 * HOUR)).toHaveLength(1);
  });

  it("gives each fire time a jitter fixed by name and fire time, within the bound", () => {
    const a = schedule("jit", { cron: "@hourly", workflow: quick, jitter: "10m" });
    const b = schedule("jit", { cron: "@hourly", workflow: quick, jitter: "10m" });
    const fires = a.fireTimes(0, 48 * HOUR);
    const delays = fires.map((t) => a.delayOf(t));
    expect(fires.map((t) => b.delayOf(t))).toEqual(delays);
    expect(delays.every((d) => d >= 0 && d <= 600_000)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(40);
  });

  it("refuses execution ids in the schedules' namespace", async () => {
    const engine = createEngine({ store: new (await import("spindle")).MemoryStore(), workflows: [quick], logger: silentLogger });
    await expect(engine.start(quick, { at: "x" }, { id: "spindle:schedule:hourly" })).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.start(quick, { at: "x" }, { id: "spindle:schedule:hourly" })).rejects.toThrow(
      /^start\("quick", id "spindle:schedule:hourly"\): the execution id "spindle:schedule:hourly" starts with 'spindle:schedule:', which schedules keep for their state; use another id\. Nothing was stored\.$/,
    );
  });
});

describe.each(bothStores("schedule-state"))("a schedule's state record on %s", (_label, makeStore) => {
  it("keeps its history short across many writes and keeps the state", async () => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T00:30:00Z"));
    const name = fresh("compact");
    const engine = engineOn(store, clock, [schedule(name, { cron: "@hourly", workflow: quick, input: { at: "x" } })]);
    for (let i = 0; i < 70; i++) await engine.schedules.pause(name, `note ${i}`);
    expect(await engine.schedules.describe(name)).toMatchObject({ status: "paused", note: "note 69" });
    const record = (await store.get(`spindle:schedule:${name}`))!;
    expect(record.runs).toBeGreaterThan(0);
    expect(record.version).toBeLessThan(70);
    expect(record.status).toBe("suspended");
    expect(await store.listDue(clock.now() + 365 * 24 * HOUR, { limit: 1000 })).not.toContain(`spindle:schedule:${name}`);
    await engine.schedules.unpause(name);
    await at(engine, clock, "2026-01-01T01:00:00Z");
    expect((await engine.schedules.describe(name)).recentRuns.map((run) => run.status)).toEqual(["completed"]);
  });
});

describe.each(bothStores("schedule-race"))("two engines ticking at once on %s", (_label, makeStore) => {
  it("start each fire time once and agree on the state", async () => {
    const store = makeStore();
    const clock = new VirtualClock(Date.parse("2026-01-01T00:30:00Z"));
    const name = fresh("race");
    const definition = schedule(name, { cron: "*/10 * * * *", workflow: quick, input: { at: "r" }, overlap: "allow-all", catchup: "1h" });
    const engines = [engineOn(store, clock, [definition]), engineOn(store, clock, [definition]), engineOn(store, clock, [definition])];
    await Promise.all(engines.map((engine) => engine.resumeDue()));
    clock.set(Date.parse("2026-01-01T01:15:00Z"));
    await Promise.all(engines.map((engine) => engine.resumeDue()));
    const info = await engines[0]!.schedules.describe(name);
    expect(info.recentRuns.map((run) => run.id.slice(-13, -8))).toEqual(["01:10", "01:00", "00:50", "00:40", "00:30"]);
    expect(info.lastFireTime).toEqual(new Date("2026-01-01T01:10:00Z"));
    const runs = (await engines[0]!.list({ limit: 1000 })).executions.filter((e) => e.id.startsWith(`${name}@`));
    expect(runs).toHaveLength(5);
  });
});
