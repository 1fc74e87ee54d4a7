// The ETL scenario behind `npm run example -- daily-etl`: the scheduler is started on a Monday at 01:00 and runs the
// pipeline at 02:00 on three mornings, each day's run a child workflow, continuing as new after each one. The
// transform service throttles three partitions on the way, which the retries absorb.
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { createNarrator } from "../support/narrate.js";
import type { Warehouse } from "./daily-etl.workflow.js";
import { createWarehouse, etlWorkflows, nextRunAfter } from "./daily-etl.workflow.js";

/** Monday 01:00 UTC, an hour before the first run. */
export const START = new Date("2026-03-02T01:00:00Z");
export const RUNS = 3;
export const SCHEDULE_ID = "etl-schedule";

export interface EtlScenario {
  t: TestEngine;
  warehouse: Warehouse;
  workflows: ReturnType<typeof etlWorkflows>;
  lastDate: string;
}

/** Starts the schedule and waits for its last run; `narrate` prints it as it happens. */
export async function runSchedule(options: { narrate: boolean }): Promise<EtlScenario> {
  const warehouse = createWarehouse();
  const workflows = etlWorkflows(warehouse);
  const narrator = options.narrate ? createNarrator(() => t.now(), 14) : undefined;
  const t = createTestEngine({
    workflows: [workflows.schedule, workflows.dailyEtl],
    startAt: START,
    ...(narrator ? { logger: narrator.logger } : {}),
  });
  const runAt = nextRunAfter(t.now());
  narrator?.say("ops", `deploys the schedule: first run ${runAt.slice(0, 16).replace("T", " ")}, ${RUNS} runs`);
  const run = await t.start(workflows.schedule, { runAt, runsLeft: RUNS }, { id: SCHEDULE_ID });
  const { lastDate } = (await run.result()) as { lastDate: string };
  return { t, warehouse, workflows, lastDate };
}

/** The golden history (`npx tsx examples/record-golden.ts daily-etl`): the first day's run, with its retries. */
export async function recordGolden() {
  const { t } = await runSchedule({ narrate: false });
  return t.history("etl-2026-03-01");
}
