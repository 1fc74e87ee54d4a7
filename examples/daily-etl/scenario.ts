// The ETL scenario behind `npm run example -- daily-etl`: the engine starts on a Monday at 01:00 Berlin time with the
// `etl-nightly` schedule registered, bounded to three nights; the schedule fires at 02:00 on three mornings, each fire
// one execution of the day's DAG. The transform service throttles three partitions on the way, which the retries absorb.
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { createNarrator } from "../support/narrate.js";
import type { Warehouse } from "./daily-etl.workflow.js";
import { createWarehouse, CRON, etlWorkflows, SCHEDULE_NAME, TIMEZONE } from "./daily-etl.workflow.js";

/** Monday 01:00 in Berlin (00:00 UTC), an hour before the first fire. */
export const START = new Date("2026-03-02T00:00:00Z");
/** The third fire time, 02:00 Berlin on Wednesday: the schedule's `endAt`. */
export const LAST_FIRE = new Date("2026-03-04T01:00:00Z");
/** The execution id of each night's run, by the date it processes. */
export const RUN_IDS: Record<string, string> = {
  "2026-03-01": `${SCHEDULE_NAME}@2026-03-02T01:00:00.000Z`,
  "2026-03-02": `${SCHEDULE_NAME}@2026-03-03T01:00:00.000Z`,
  "2026-03-03": `${SCHEDULE_NAME}@2026-03-04T01:00:00.000Z`,
};

export interface EtlScenario {
  t: TestEngine;
  warehouse: Warehouse;
  workflows: ReturnType<typeof etlWorkflows>;
}

/** Runs the engine with the schedule until the last night's run has ended; `narrate` prints it as it happens. */
export async function runSchedule(options: { narrate: boolean }): Promise<EtlScenario> {
  const warehouse = createWarehouse();
  const workflows = etlWorkflows(warehouse, { endAt: LAST_FIRE });
  const narrator = options.narrate ? createNarrator(() => t.now(), 14) : undefined;
  const t = createTestEngine({
    workflows: [workflows.dailyEtl],
    schedules: [workflows.schedule],
    startAt: START,
    ...(narrator ? { logger: narrator.logger } : {}),
  });
  const next = (await t.engine.schedules.describe(SCHEDULE_NAME)).nextFireTimes;
  narrator?.say("ops", `deploys '${CRON}' ${TIMEZONE}: fires at ${next.map((at) => at.toISOString().slice(0, 16)).join(", ")} (UTC)`);
  await t.advanceTime(LAST_FIRE.getTime() - START.getTime());
  for (const id of Object.values(RUN_IDS)) await t.result(id);
  return { t, warehouse, workflows };
}

/** The golden history (`npx tsx examples/record-golden.ts daily-etl`): the first night's run, with its retries. */
export async function recordGolden() {
  const { t } = await runSchedule({ narrate: false });
  return t.history(RUN_IDS["2026-03-01"]!);
}
