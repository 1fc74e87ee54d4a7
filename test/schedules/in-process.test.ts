// Schedules in in-process mode: the engine's own timer wakes at each fire time (the test engine's virtual clock).
import { describe, expect, it } from "vitest";
import { createEngine, MemoryStore, schedule, silentLogger, sleep, step, workflow, ValidationError } from "spindle";
import { createTestEngine } from "spindle/testing";
import { z } from "zod";

const report = workflow("report", async function* (input: { day: string }) {
  return yield* step("build", () => `report ${input.day}`);
});

describe("schedules in process", () => {
  it("wakes at each fire time on the virtual clock and runs each fire once", async () => {
    const hourly = schedule("reports", {
      cron: "0 * * * *",
      workflow: report,
      input: (fireTime) => ({ day: fireTime.toISOString().slice(0, 13) }),
    });
    const t = createTestEngine({ workflows: [report], schedules: [hourly], startAt: Date.parse("2026-01-01T00:30:00Z") });
    await t.advanceTime("3h");
    const info = await t.engine.schedules.describe("reports");
    expect(info.recentRuns.map((run) => [run.id, run.status])).toEqual([
      ["reports@2026-01-01T03:00:00.000Z", "completed"],
      ["reports@2026-01-01T02:00:00.000Z", "completed"],
      ["reports@2026-01-01T01:00:00.000Z", "completed"],
    ]);
    expect(await t.engine.result("reports@2026-01-01T02:00:00.000Z")).toBe("report 2026-01-01T02");
    await t.engine.close();
  });

  it("starts a jittered run after its fire time, by the same delay on every engine", async () => {
    const jittered = schedule("jittered", { cron: "0 * * * *", workflow: report, input: { day: "d" }, jitter: "30m" });
    const t = createTestEngine({ workflows: [report], schedules: [jittered], startAt: Date.parse("2026-01-01T00:30:00Z") });
    await t.advanceTime("2h");
    const fire = Date.parse("2026-01-01T01:00:00Z");
    const run = await t.engine.describe("jittered@2026-01-01T01:00:00.000Z");
    expect(run.createdAt.getTime()).toBe(fire + jittered.delayOf(fire));
    await t.engine.close();
  });

  it("refuses a schedule whose workflow is not registered, naming the schedule", () => {
    const nightly = schedule("nightly", { cron: "@daily", workflow: report });
    expect(() => createEngine({ store: new MemoryStore(), workflows: [], schedules: [nightly] })).toThrow(ValidationError);
    expect(() => createEngine({ store: new MemoryStore(), workflows: [report], schedules: [nightly, nightly] })).toThrow(
      /two schedules are named 'nightly'/,
    );
  });
});

describe("buffer-one in process", () => {
  it("starts the buffered fire as soon as the run before it closes", async () => {
    const long = workflow("long", async function* () {
      yield* sleep("70m");
      return "slept";
    });
    const buffered = schedule("long-hourly", { cron: "0 * * * *", workflow: long, overlap: "buffer-one" });
    const t = createTestEngine({ workflows: [long], schedules: [buffered], startAt: Date.parse("2026-01-01T00:30:00Z") });
    await t.advanceTime("1h50m"); // the 01:00 run sleeps until 02:10; the 02:00 fire waits for it
    const run = await t.engine.describe("long-hourly@2026-01-01T02:00:00.000Z");
    expect(run.createdAt).toEqual(new Date("2026-01-01T02:10:00Z"));
    expect((await t.engine.describe("long-hourly@2026-01-01T01:00:00.000Z")).status).toBe("completed");
    await t.engine.close();
  });
});

describe("a fire whose input the workflow refuses", () => {
  it("is skipped and logged, and the fire times after it still run", async () => {
    const typed = workflow("typed", { input: z.object({ n: z.number() }) }, async function* (input) {
      return yield* step("double", () => input.n * 2);
    });
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (message: string) => void errors.push(message) };
    const flaky = schedule("flaky", {
      cron: "0 * * * *",
      workflow: typed,
      input: (fireTime) => (fireTime.getUTCHours() === 1 ? ({ n: "one" } as never) : { n: fireTime.getUTCHours() }),
    });
    const t = createTestEngine({ workflows: [typed], schedules: [flaky], logger, startAt: Date.parse("2026-01-01T00:30:00Z") });
    await t.advanceTime("2h");
    expect(errors.some((message) => message.includes("flaky@2026-01-01T01:00:00.000Z") && message.includes("input schema"))).toBe(true);
    expect(await t.engine.result("flaky@2026-01-01T02:00:00.000Z")).toBe(4);
    await t.engine.close();
  });
});
