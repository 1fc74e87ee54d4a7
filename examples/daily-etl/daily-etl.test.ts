// Pins the daily-etl example: the schedule's three nightly runs with the throttled partitions retried, one execution
// per fire time, the fire times across a daylight-saving change, the bound on transforms in flight, a partition that
// never recovers, and the golden.
import { describe, expect, it } from "vitest";
import { DagFailedError, NonDeterminismError, StepFailedError } from "../../src/index.js";
import { createTestEngine, replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import golden from "./daily-etl.history.json" with { type: "json" };
import type { EtlReport } from "./daily-etl.workflow.js";
import { CONCURRENCY, createWarehouse, dayBefore, etlWorkflows, SCHEDULE_NAME } from "./daily-etl.workflow.js";
import { RUN_IDS, runSchedule } from "./scenario.js";

describe("daily-etl: the schedule", () => {
  it("runs the DAG at 02:00 Berlin time on three days, retrying the throttled partitions", async () => {
    const { t, warehouse } = await runSchedule({ narrate: false });
    const reports = (await Promise.all(Object.values(RUN_IDS).map((id) => t.result(id)))) as EtlReport[];
    expect(reports.map((r) => r.date)).toEqual(["2026-03-01", "2026-03-02", "2026-03-03"]);
    expect(reports.map((r) => r.retried)).toEqual([["2026-03-01/us-east", "2026-03-01/ap-south"], ["2026-03-02/eu-west"], []]);
    expect(warehouse.attempts.get("2026-03-01/ap-south")).toBe(3);
    expect(warehouse.tables.get("sales_20260301")).toBe(reports[0]!.rows);
    expect(warehouse.reports).toHaveLength(3);
    const starts = await Promise.all(Object.values(RUN_IDS).map(async (id) => (await t.history(id))[0]!.at));
    expect(starts.map((at) => new Date(at).toISOString())).toEqual([
      "2026-03-02T01:00:00.000Z",
      "2026-03-03T01:00:00.000Z",
      "2026-03-04T01:00:00.000Z",
    ]);
    await t.engine.close();
  });

  it("starts one execution per fire time, and a backfill of those fire times starts nothing again", async () => {
    const { t, warehouse } = await runSchedule({ narrate: false });
    const info = await t.engine.schedules.describe(SCHEDULE_NAME);
    expect(info.recentRuns.map((run) => [run.id, run.status])).toEqual(
      Object.values(RUN_IDS)
        .reverse()
        .map((id) => [id, "completed"]),
    );
    expect(info.nextFireTimes).toEqual([]);
    await t.engine.schedules.backfill(SCHEDULE_NAME, new Date("2026-03-02T00:00:00Z"), new Date("2026-03-04T01:00:00Z"));
    await t.advanceTime("1h");
    expect(warehouse.reports).toHaveLength(3);
    expect((await t.engine.list()).executions).toHaveLength(3);
    await t.engine.close();
  });

  it("keeps 02:00 Berlin time across the spring-forward change, and each run processes the Berlin day before", async () => {
    const { dailyEtl, schedule } = etlWorkflows(createWarehouse());
    const t = createTestEngine({ workflows: [dailyEtl], schedules: [schedule], startAt: new Date("2026-03-27T12:00:00Z") });
    const fires = (await t.engine.schedules.describe(SCHEDULE_NAME)).nextFireTimes.slice(0, 3);
    // 02:00 on 29 March does not exist in Berlin (clocks jump to 03:00): that night fires at 03:00 CEST, 01:00 UTC.
    expect(fires.map((at) => at.toISOString())).toEqual(["2026-03-28T01:00:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:00:00.000Z"]);
    expect(fires.map(dayBefore)).toEqual(["2026-03-27", "2026-03-28", "2026-03-29"]);
    await t.engine.close();
  });

  it("keeps at most the configured number of transforms in flight, and does use them", async () => {
    const { t, warehouse } = await runSchedule({ narrate: false });
    expect(warehouse.peakTransforms).toBe(CONCURRENCY);
    await t.engine.close();
  });
});

describe("daily-etl: one day", () => {
  it("fails without loading anything when a partition is still throttled after the last attempt", async () => {
    const warehouse = createWarehouse({ flaky: { "2026-03-01/us-west": 4 } });
    const { dailyEtl } = etlWorkflows(warehouse);
    const t = createTestEngine({ workflows: [dailyEtl] });
    const run = await t.start(dailyEtl, { date: "2026-03-01" });
    const failure = await run.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DagFailedError);
    expect(failure).toMatchObject({
      failures: [{ task: "transform us-west" }],
      results: { "transform eu-west": "success", "transform us-west": "failed", load: "skipped", report: "skipped" },
    });
    expect((failure as DagFailedError).cause).toBeInstanceOf(StepFailedError);
    expect((failure as DagFailedError).cause).toMatchObject({ stepName: "transform us-west", attempts: 4, cause: { name: "ThrottledError" } });
    expect(warehouse.tables.size).toBe(0);
    expect(warehouse.reports).toHaveLength(0);
  });
});

describe("daily-etl: golden history", () => {
  const { dailyEtl } = etlWorkflows(createWarehouse());

  it("replays the recorded run of 2026-03-01, retries included, against today's code", async () => {
    expect(await replayHistory(dailyEtl, golden)).toMatchObject({ outcome: "completed", events: golden.length });
  });

  it("rejects the history once the load task has been renamed", async () => {
    const edited = renameOperation(golden, "load", "load-warehouse");
    await expect(replayHistory(dailyEtl, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
