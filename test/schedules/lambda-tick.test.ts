// The Lambda schedule tick fires schedules: an EventBridge "Scheduled Event" runs resumeDue, which fires due
// schedules first, then drains their runs. No infrastructure beyond the tick the stack already has.
import { describe, expect, it } from "vitest";
import { createEngine, MemoryStore, schedule, silentLogger, step, workflow } from "spindle";
import { createLambdaHandler } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { invocationContext, scheduleTick } from "../../examples/lambda-dynamodb/aws-events.js";

const digest = workflow("digest", async function* (input: { at: string }) {
  return yield* step("send", () => `digest ${input.at}`);
});

describe("the Lambda tick", () => {
  it("fires due schedules and runs their executions, each fire time once across ticks", async () => {
    const clock = new VirtualClock(Date.parse("2026-01-01T00:00:30Z"));
    const every15 = schedule("digest", {
      cron: "*/15 * * * *",
      workflow: digest,
      input: (fireTime) => ({ at: fireTime.toISOString().slice(11, 16) }),
    });
    const store = new MemoryStore();
    const engine = createEngine({ store, workflows: [digest], schedules: [every15], clock, mode: "external", logger: silentLogger });
    const handler = createLambdaHandler(engine, { log: false });
    for (const minute of [1, 14, 15, 16, 31]) {
      clock.set(Date.parse(`2026-01-01T00:${String(minute).padStart(2, "0")}:10Z`));
      await handler(scheduleTick(clock.now()), invocationContext(clock));
      await handler(scheduleTick(clock.now()), invocationContext(clock)); // a redelivered tick
    }
    const info = await engine.schedules.describe("digest");
    expect(info.recentRuns.map((run) => [run.id, run.status])).toEqual([
      ["digest@2026-01-01T00:30:00.000Z", "completed"],
      ["digest@2026-01-01T00:15:00.000Z", "completed"],
    ]); // the first tick (00:01) created the schedule's state: fire times before it are not owed

    expect(await engine.result("digest@2026-01-01T00:15:00.000Z")).toBe("digest 00:15");
  });
});
