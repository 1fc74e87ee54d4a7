// The four orders behind `npm run example -- order-saga`, started a minute apart: one confirmed after the payment
// gateway fails twice (retried), one out of stock (nothing to undo), one with a declined card (a TerminalError: no
// retry; the stock is released), one to a destination no carrier reaches (retried until the attempts run out; the
// card is refunded and the stock released).
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { createNarrator } from "../support/narrate.js";
import type { Commerce, OrderInput, SagaOutcome } from "./order-saga.workflow.js";
import { createCommerce, DECLINED_CARD, orderSagaWorkflow } from "./order-saga.workflow.js";

/** Monday 14:00 UTC. */
export const START = new Date("2026-03-02T14:00:00Z");
const CARD = "4242 4242 4242 4242";

export const ORDERS: readonly (OrderInput & { story: string })[] = [
  { story: "gateway down twice, then confirmed", orderId: "o-1", items: [{ sku: "beans-1kg", quantity: 2 }], amount: 38, card: CARD, country: "DE" },
  { story: "out of stock", orderId: "o-2", items: [{ sku: "espresso-machine", quantity: 1 }], amount: 649, card: CARD, country: "FR" },
  { story: "card declined", orderId: "o-3", items: [{ sku: "grinder", quantity: 1 }], amount: 129, card: DECLINED_CARD, country: "NL" },
  { story: "no carrier reaches Antarctica", orderId: "o-4", items: [{ sku: "grinder", quantity: 2 }], amount: 258, card: CARD, country: "AQ" },
];

export interface SagaScenario {
  t: TestEngine;
  commerce: Commerce;
  sagaWorkflow: ReturnType<typeof orderSagaWorkflow>;
  outcomes: Record<string, SagaOutcome>;
}

/** Runs the four orders to their ends; `narrate` prints them as they go. */
export async function runOrders(options: { narrate: boolean }): Promise<SagaScenario> {
  const commerce = createCommerce({ gatewayOutages: { "o-1": 2 } });
  const sagaWorkflow = orderSagaWorkflow(commerce);
  const narrator = options.narrate ? createNarrator(() => t.now(), 8) : undefined;
  const t = createTestEngine({ workflows: [sagaWorkflow], startAt: START, ...(narrator ? { logger: narrator.logger } : {}) });
  for (const [index, { story, ...order }] of ORDERS.entries()) {
    if (index > 0) await t.advanceTime("1m");
    narrator?.say("shop", `${order.orderId} placed: ${order.amount.toFixed(2)} EUR to ${order.country} (${story})`);
    await t.start(sagaWorkflow, order, { id: order.orderId });
    await t.idle();
  }
  const outcomes: Record<string, SagaOutcome> = {};
  for (const { orderId } of ORDERS) outcomes[orderId] = (await t.result(orderId)) as SagaOutcome;
  return { t, commerce, sagaWorkflow, outcomes };
}

/** The golden history (`npx tsx examples/record-golden.ts order-saga`): o-4, retried to the end and compensated. */
export async function recordGolden() {
  const { t } = await runOrders({ narrate: false });
  return t.history("o-4");
}
