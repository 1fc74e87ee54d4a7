// Pins the airflow-migration example: a happy day loads and never pages; a day whose transform fails pages on-call
// through the one-failed alert, skips everything downstream of the failure (the load among them) and fails the run;
// the branch quarantines a day with too many duplicates; the sensor gives up after 2 h; and the golden history.
import { describe, expect, it } from "vitest";
import { DagFailedError, NonDeterminismError } from "../../src/index.js";
import type { TestEngine } from "../../src/testing/index.js";
import { replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import golden from "./airflow-migration.history.json" with { type: "json" };
import { createWarehouse, salesReportWorkflow } from "./airflow-migration.workflow.js";
import { advanceTo, CLEAN_EXPORT, createScenario, runId, runMornings } from "./scenario.js";

const completedSteps = async (t: TestEngine, id: string) =>
  (await t.history(id)).flatMap((event) => (event.type === "StepCompleted" ? [event.name] : []));

describe("airflow-migration: one morning", () => {
  it("a happy day: fired at 06:00 Berlin for yesterday, waits for the export, loads, and the alert is skipped", async () => {
    const { t, warehouse } = createScenario();
    await advanceTo(t, "2026-03-02T05:30:00Z");
    expect((await t.describe(runId("2026-03-02"))).status).toBe("suspended"); // the sensor waits
    warehouse.exports.set("exports/2026-03-01.csv", CLEAN_EXPORT);
    await t.sendEvent(runId("2026-03-02"), "export-landed", { path: "exports/2026-03-01.csv" });
    expect(await t.result(runId("2026-03-02"))).toEqual({ status: "loaded", day: "2026-03-01", rows: 2, revenue: 100 });
    expect(await completedSteps(t, runId("2026-03-02"))).toEqual([
      "extract",
      "dedupe_orders",
      "enrich_customers",
      "aggregate",
      "check_quality",
      "load",
      "quarantine",
    ]);
    expect(warehouse.tables.get("2026-03-01")).toEqual({ north: 55, south: 45 });
    expect(warehouse.pages).toEqual([]);
    await t.engine.close();
  });

  it("a day whose transform fails: the alert runs, the load is skipped, the run fails with every task's status", async () => {
    const { t, warehouse } = createScenario();
    await advanceTo(t, "2026-03-02T05:10:00Z");
    warehouse.crmDown = true;
    warehouse.exports.set("exports/2026-03-01.csv", CLEAN_EXPORT);
    await t.sendEvent(runId("2026-03-02"), "export-landed", { path: "exports/2026-03-01.csv" });
    const error = await t.result(runId("2026-03-02")).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DagFailedError);
    const failed = error as DagFailedError;
    expect(failed.failures).toEqual([
      expect.objectContaining({ task: "enrich_customers", error: "StepFailedError", message: expect.stringContaining("CRM unavailable") }),
    ]);
    expect(failed.results).toEqual({
      extract: "success",
      dedupe_orders: "success",
      enrich_customers: "failed",
      aggregate: "skipped",
      check_quality: "skipped",
      load: "skipped",
      quarantine: "skipped",
      alert: "success",
    });
    expect(warehouse.crmCalls).toBe(3); // retries=2
    expect(warehouse.pages).toEqual(["sales-report 2026-03-01: a task failed"]);
    expect(warehouse.tables.size).toBe(0);
    expect((await t.engine.schedules.describe("sales-report")).recentRuns[0]).toMatchObject({ id: runId("2026-03-02"), status: "failed" });
    await t.engine.close();
  });
});

describe("airflow-migration: four mornings", () => {
  it("loads, fails and alerts, quarantines, and gives up on a missing export", async () => {
    const { t, warehouse } = await runMornings({ narrate: false });
    const runs = (await t.engine.schedules.describe("sales-report")).recentRuns.map((run) => [run.id, run.status]);
    expect(runs).toEqual([
      [runId("2026-03-05"), "completed"],
      [runId("2026-03-04"), "completed"],
      [runId("2026-03-03"), "failed"],
      [runId("2026-03-02"), "completed"],
    ]);
    expect(await t.result(runId("2026-03-04"))).toEqual({ status: "quarantined", day: "2026-03-03", duplicates: 3 });
    expect(await t.result(runId("2026-03-05"))).toEqual({ status: "no-export", day: "2026-03-04" });
    // The sensor timed out at 08:00 Berlin, 2 h after the fire.
    expect((await t.describe(runId("2026-03-05"))).updatedAt).toEqual(new Date("2026-03-05T07:00:00Z"));
    expect([...warehouse.tables.keys()]).toEqual(["2026-03-01"]);
    expect(Object.fromEntries(warehouse.quarantined)).toEqual({ "2026-03-03": 3 });
    expect(warehouse.pages).toEqual(["sales-report 2026-03-02: a task failed"]);
    await t.engine.close();
  });
});

describe("airflow-migration: golden history", () => {
  const report = salesReportWorkflow(createWarehouse());

  it("replays the recorded history of the failed day against today's code", async () => {
    expect(await replayHistory(report, golden)).toMatchObject({ outcome: "failed", events: golden.length });
  });

  it("rejects the history once a task has been renamed", async () => {
    const edited = renameOperation(golden, "enrich_customers", "enrich_from_crm");
    await expect(replayHistory(report, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
