// The event stream behind `npm run example -- customer-insights`: one customer's clicks and purchases over an hour,
// as a stream delivers them: the first three arrive together before the workflow has even started waiting, two are
// delivered twice (at-least-once delivery, deduplicated by event id), and a later burst lands while the workflow is
// busy. After the last event the customer goes quiet, and 30 days later the workflow writes its summary and ends.
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { Agenda, minutes } from "../support/agenda.js";
import { createNarrator } from "../support/narrate.js";
import type { Activity, CustomerSummary, Models } from "./customer-insights.workflow.js";
import { createModels, customerInsightsWorkflow } from "./customer-insights.workflow.js";

/** Monday 10:00 UTC. */
export const START = new Date("2026-03-02T10:00:00Z");
export const CUSTOMER_ID = "customer-42";

const click = (eventId: string, page: string): Activity => ({ type: "click", eventId, page });
const purchase = (eventId: string, category: string, amount: number): Activity => ({ type: "purchase", eventId, category, amount });

/** Deliveries: minutes after START, and the events delivered together. */
export const STREAM: readonly { at: number; events: Activity[] }[] = [
  { at: 0, events: [click("e-1", "/home"), click("e-2", "/shoes"), purchase("e-3", "shoes", 79)] },
  { at: 5, events: [purchase("e-4", "socks", 12)] },
  { at: 6, events: [purchase("e-4", "socks", 12)] },
  { at: 12, events: [click("e-5", "/sale")] },
  { at: 20, events: [purchase("e-6", "jackets", 140)] },
  { at: 21, events: [purchase("e-6", "jackets", 140)] },
  { at: 30, events: [click("e-7", "/shoes"), purchase("e-8", "shoes", 25), click("e-9", "/boots")] },
  { at: 41, events: [purchase("e-10", "shoes", 180), click("e-11", "/account")] },
];

export interface InsightsScenario {
  t: TestEngine;
  models: Models;
  insightsWorkflow: ReturnType<typeof customerInsightsWorkflow>;
  /** Event ids the engine answered `duplicate: true` for. */
  duplicates: string[];
  summary: CustomerSummary;
}

/** Starts the customer's workflow, plays the stream, and waits out the month of silence. */
export async function runStream(options: { narrate: boolean }): Promise<InsightsScenario> {
  const models = createModels();
  const insightsWorkflow = customerInsightsWorkflow(models);
  const narrator = options.narrate ? createNarrator(() => t.now(), 11) : undefined;
  const t = createTestEngine({ workflows: [insightsWorkflow], startAt: START, ...(narrator ? { logger: narrator.logger } : {}) });
  const say = narrator?.say ?? (() => {});
  const agenda = new Agenda(t);
  const duplicates: string[] = [];

  const run = await t.start(insightsWorkflow, { customerId: CUSTOMER_ID }, { id: CUSTOMER_ID });
  // No idle() here: the stream's first deliveries reach the execution before its first turn gets to the wait.
  for (const delivery of STREAM) {
    agenda.at(START.getTime() + minutes(delivery.at), async () => {
      for (const event of delivery.events) {
        const { duplicate } = await t.sendEvent(CUSTOMER_ID, "activity", event, { idempotencyKey: event.eventId });
        if (duplicate) duplicates.push(event.eventId);
        say("stream", `${event.eventId} ${event.type}${duplicate ? ": delivered again, dropped as a duplicate" : ""}`);
      }
    });
  }
  await agenda.run();
  const summary = (await run.result()) as CustomerSummary;
  return { t, models, insightsWorkflow, duplicates, summary };
}

/**
 * The golden history (`npx tsx examples/record-golden.ts customer-insights`): the scenario's last run, which starts
 * from the aggregates the first run handed over, scores once, and ends after the month of silence.
 */
export async function recordGolden() {
  const { t } = await runStream({ narrate: false });
  return t.history(CUSTOMER_ID);
}
