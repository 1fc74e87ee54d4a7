// Pins the daily-etl example: three scheduled runs with the throttled partitions retried, the bound on transforms in
// flight, the schedule's history kept to one day by continueAsNew, a partition that never recovers, and the golden.
import { describe, expect, it } from "vitest";
import { NonDeterminismError, StepFailedError } from "../../src/index.js";
import { createTestEngine, replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import golden from "./daily-etl.history.json" with { type: "json" };
import { CONCURRENCY, createWarehouse, etlWorkflows, nextRunAfter } from "./daily-etl.workflow.js";
import { runSchedule, SCHEDULE_ID } from "./scenario.js";

describe("daily-etl: the schedule", () => {
  it("runs the pipeline at 02:00 on three days, retrying the throttled partitions, then stops", async () => {
    const { t, warehouse, lastDate } = await runSchedule({ narrate: false });
    expect(lastDate).toBe("2026-03-03");
    const reports = await Promise.all(["2026-03-01", "2026-03-02", "2026-03-03"].map((date) => t.result(`etl-${date}`)));
    expect(reports.map((r) => (r as { retried: string[] }).retried)).toEqual([
      ["2026-03-01/us-east", "2026-03-01/ap-south"],
      ["2026-03-02/eu-west"],
      [],
    ]);
    expect(warehouse.attempts.get("2026-03-01/ap-south")).toBe(3);
    expect(warehouse.tables.get("sales_20260301")).toBe((reports[0] as { rows: number }).rows);
    expect(warehouse.reports).toHaveLength(3);
    const starts = await Promise.all(["2026-03-02", "2026-03-03"].map(async (date) => (await t.history(`etl-${date}`))[0]!.at));
    expect(starts.map((at) => new Date(at).toISOString())).toEqual(["2026-03-03T02:00:00.000Z", "2026-03-04T02:00:00.000Z"]);
  });

  it("keeps at most the configured number of transforms in flight, and does use them", async () => {
    const { warehouse } = await runSchedule({ narrate: false });
    expect(warehouse.peakTransforms).toBe(CONCURRENCY);
  });

  it("continues as new after each run, so the schedule's history holds one run only", async () => {
    const { t } = await runSchedule({ narrate: false });
    const schedule = await t.describe(SCHEDULE_ID);
    expect(schedule).toMatchObject({ status: "completed", runs: 2 });
    const history = await t.history(SCHEDULE_ID);
    expect(history.filter((event) => event.type === "ChildStarted")).toHaveLength(1);
  });
});

describe("daily-etl: one day", () => {
  it("fails without loading anything when a partition is still throttled after the last attempt", async () => {
    const warehouse = createWarehouse({ flaky: { "2026-03-01/us-west": 4 } });
    const { dailyEtl } = etlWorkflows(warehouse);
    const t = createTestEngine({ workflows: [dailyEtl] });
    const run = await t.start(dailyEtl, { date: "2026-03-01" });
    const failure = await run.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StepFailedError);
    expect(failure).toMatchObject({ stepName: "transform us-west", attempts: 4, cause: { name: "ThrottledError" } });
    expect(warehouse.tables.size).toBe(0);
  });

  it("schedules the first run at the next 02:00", () => {
    expect(nextRunAfter(new Date("2026-03-02T01:00:00Z"))).toBe("2026-03-02T02:00:00.000Z");
    expect(nextRunAfter(new Date("2026-03-02T02:00:01Z"))).toBe("2026-03-03T02:00:00.000Z");
  });
});

describe("daily-etl: golden history", () => {
  const { dailyEtl } = etlWorkflows(createWarehouse());

  it("replays the recorded run of 2026-03-01, retries included, against today's code", async () => {
    expect(await replayHistory(dailyEtl, golden)).toMatchObject({ outcome: "completed", events: golden.length });
  });

  it("rejects the history once the load step has been renamed", async () => {
    const edited = renameOperation(golden, "load", "load-warehouse");
    await expect(replayHistory(dailyEtl, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
