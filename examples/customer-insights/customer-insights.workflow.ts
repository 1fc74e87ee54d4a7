// Event-based customer insights: one long-lived workflow per customer. It receives purchase and click events,
// keeps running aggregates, and when the spend since the last scoring reaches a threshold it fans out three scoring
// models at once and publishes the insights. After a fixed number of events it continues as new with the aggregates
// as input, so its history stays short however long the customer stays. Events sent before the workflow waits are
// kept and delivered in order; a redelivered event (same idempotency key) is dropped by the engine, across runs too.
// After 30 days without activity the workflow ends with the customer's summary.
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import type { WorkflowContext } from "../../src/index.js";
import { all, continueAsNew, setStatus, step, TimeoutError, workflow } from "../../src/index.js";
import type { Aggregates, Insights, Models } from "./models.js";
import { EMPTY } from "./models.js";

export { createModels, EMPTY, Models } from "./models.js";
export type { Aggregates, Insights } from "./models.js";

/** Spend (EUR) since the last scoring that triggers the next one. */
export const SCORING_THRESHOLD = 150;
/** Events handled per run before continuing as new. */
export const EVENTS_PER_RUN = 6;
/** Inactivity after which the customer's workflow ends. */
export const INACTIVITY = "30d";

const activity = z.discriminatedUnion("type", [
  z.object({ type: z.literal("purchase"), eventId: z.string(), category: z.string(), amount: z.number().positive() }),
  z.object({ type: z.literal("click"), eventId: z.string(), page: z.string() }),
]);

/** One event of the stream. */
export type Activity = z.output<typeof activity>;

const events = { activity };

const aggregates = z.object({
  purchases: z.number(),
  clicks: z.number(),
  spend: z.number(),
  spendSinceScoring: z.number(),
  categories: z.record(z.string(), z.number()),
  scorings: z.number(),
});

const input = z.object({
  customerId: z.string(),
  eventsPerRun: z.number().int().positive().default(EVENTS_PER_RUN),
  state: aggregates.optional(),
  insights: z.object({ churnRisk: z.number(), lifetimeValue: z.number(), nextOffer: z.string() }).optional(),
});

/** What the workflow ends with, after a month of silence. */
export interface CustomerSummary extends Aggregates {
  customerId: string;
  insights?: Insights;
}

/** The per-customer workflow, bound to the models it calls (create both per engine). */
export function customerInsightsWorkflow(models: Models) {
  return workflow("customer-insights", { input, events }, async function* (start, ctx) {
    let state = start.state ?? EMPTY;
    let insights = start.insights;
    for (let handled = 0; handled < start.eventsPerRun; handled++) {
      yield* setStatus({ ...state, ...(insights ? { insights } : {}) });
      let event: Activity;
      try {
        event = yield* ctx.waitForEvent("activity", { timeout: INACTIVITY });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        ctx.log.info(`no activity for ${INACTIVITY}: summary written, workflow ends`);
        const summary: CustomerSummary = { customerId: start.customerId, ...state, ...(insights ? { insights } : {}) };
        return summary;
      }
      state = apply(state, event);
      ctx.log.info(describe(event, state));
      if (state.spendSinceScoring >= SCORING_THRESHOLD) {
        insights = yield* score(models, start.customerId, state, ctx);
        state = { ...state, spendSinceScoring: 0, scorings: state.scorings + 1 };
      }
    }
    ctx.log.info(`${start.eventsPerRun} events in this run: continuing as new`);
    return yield* continueAsNew({ customerId: start.customerId, eventsPerRun: start.eventsPerRun, state, insights });
  });
}

/** The three models at once, then one publish. */
async function* score(models: Models, customerId: string, state: Aggregates, ctx: WorkflowContext<typeof events>) {
  ctx.log.info(`spend since last scoring ${state.spendSinceScoring} >= ${SCORING_THRESHOLD}: scoring`);
  const [churnRisk, lifetimeValue, nextOffer] = yield* all([
    step("score-churn", () => models.churnRisk(state)),
    step("score-lifetime-value", () => models.lifetimeValue(state)),
    step("score-next-offer", () => models.nextOffer(state)),
  ]);
  const insights: Insights = { churnRisk, lifetimeValue, nextOffer };
  yield* step("publish-insights", () => models.publish(customerId, insights));
  ctx.log.info(`insights: churn risk ${churnRisk}, lifetime value ${lifetimeValue} EUR, offer "${nextOffer}"`);
  return insights;
}

/** Folds one event into the aggregates (pure: the same on every replay). */
export function apply(state: Aggregates, event: Activity): Aggregates {
  if (event.type === "click") return { ...state, clicks: state.clicks + 1 };
  return {
    ...state,
    purchases: state.purchases + 1,
    spend: state.spend + event.amount,
    spendSinceScoring: state.spendSinceScoring + event.amount,
    categories: { ...state.categories, [event.category]: (state.categories[event.category] ?? 0) + 1 },
  };
}

function describe(event: Activity, state: Aggregates): string {
  return event.type === "click"
    ? `${event.eventId} click ${event.page}`
    : `${event.eventId} purchase ${event.category} ${event.amount} EUR (since last scoring: ${state.spendSinceScoring})`;
}
