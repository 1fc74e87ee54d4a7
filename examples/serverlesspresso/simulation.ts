// The coffee shop simulation behind `npm run example -- serverlesspresso`: customers arrive on a fixed script, open
// an order, submit (or forget to, or cancel), and two baristas work the board: each accepts the oldest ticket when
// free, turns down drinks they cannot make, and completes the token when the drink is made. The shop's capacity is
// the real limit: every order holds one of its slots from the moment it opens until it ends.
import { CallbackNotFoundError, CancelledError } from "../../src/index.js";
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { Agenda, minutes } from "../support/agenda.js";
import type { Narrator } from "../support/narrate.js";
import { createNarrator } from "../support/narrate.js";
import type { Drink, OrderOutcome, Shop, ShopEvent } from "./serverlesspresso.workflow.js";
import { coffeeOrderWorkflow, createShop, MENU } from "./serverlesspresso.workflow.js";

/** A customer's script: minutes after the simulation starts (07:55), and what they do. */
export interface Customer {
  name: string;
  arrives: number;
  drink: Drink;
  /** Minutes after arriving; absent: never submits. */
  submits?: number;
  /** Minutes after arriving. */
  cancels?: number;
}

export const CUSTOMERS: readonly Customer[] = [
  { name: "Dana", arrives: 3, drink: "latte", submits: 1 },
  { name: "Ana", arrives: 6, drink: "latte", submits: 1 },
  { name: "Ben", arrives: 7, drink: "oat flat white", submits: 1 },
  { name: "Chloe", arrives: 7, drink: "cappuccino" },
  { name: "Dev", arrives: 8, drink: "espresso", submits: 1 },
  { name: "Eli", arrives: 13, drink: "cappuccino", submits: 1, cancels: 3 },
  { name: "Fay", arrives: 13.5, drink: "pumpkin spice latte", submits: 0.5 },
  { name: "Gus", arrives: 15, drink: "espresso", submits: 1 },
];

export const BARISTAS = ["Kim", "Lee"] as const;
export const CAPACITY = 3;
/** Monday 07:55 UTC; the shop opens at 08:00. */
export const START = new Date("2026-03-02T07:55:00Z");
const OPENS_AFTER = minutes(5);
/** How long a free barista takes to pick up the next ticket. */
const PICK_UP = minutes(0.5);
/** What the baristas have run out of. */
const OUT_OF = "oat";

/** How each customer's order ended: its result, or `cancelled`. */
export type Ending = OrderOutcome["status"] | "cancelled";

export interface ShopDay {
  t: TestEngine;
  shop: Shop;
  order: ReturnType<typeof coffeeOrderWorkflow>;
  /** Execution id by customer name. */
  ids: Record<string, string>;
  endings: Record<string, { ending: Ending; outcome?: OrderOutcome }>;
}

/** Runs the morning: every customer's order to its end; `narrate` prints it as it happens. */
export async function runShopDay(options: { narrate: boolean }): Promise<ShopDay> {
  const shop = createShop({ capacity: CAPACITY });
  const order = coffeeOrderWorkflow(shop);
  const narrator = options.narrate ? createNarrator(() => t.now(), 12) : undefined;
  const t = createTestEngine({ workflows: [order], startAt: START, ...(narrator ? { logger: narrator.logger } : {}) });
  const say = narrator?.say ?? (() => {});
  const agenda = new Agenda(t);
  const ids = Object.fromEntries(CUSTOMERS.map((c) => [c.name, `order-${c.name.toLowerCase()}`]));

  agenda.at(START.getTime() + OPENS_AFTER, () => {
    shop.setOpen(true);
    say("shop", `opens: ${CAPACITY} slots, baristas ${BARISTAS.join(" and ")}`);
  });
  for (const customer of CUSTOMERS) {
    agenda.at(START.getTime() + minutes(customer.arrives), () => arrive(customer));
  }
  staffBaristas(t, shop, agenda, say);

  async function arrive(customer: Customer): Promise<void> {
    const id = ids[customer.name]!;
    say(customer.name, "opens the app");
    await t.start(order, { orderId: id, customer: customer.name }, { id });
    if (customer.submits !== undefined) {
      agenda.after(minutes(customer.submits), () => submit(customer, id));
    }
    if (customer.cancels !== undefined) {
      agenda.after(minutes(customer.cancels), async () => {
        say(customer.name, "cancels: running late");
        await t.cancel(id, `${customer.name}: running late`);
      });
    }
  }

  async function submit(customer: Customer, id: string): Promise<void> {
    const { status } = await t.describe(id);
    if (status !== "suspended") return; // the app already said no (closed, busy): nothing to submit
    say(customer.name, `orders: ${customer.drink}`);
    await t.sendEvent(id, "submitted", { drink: customer.drink }, { idempotencyKey: `${id}:submit` });
  }

  await agenda.run();
  const endings: ShopDay["endings"] = {};
  for (const customer of CUSTOMERS) endings[customer.name] = await ending(t, ids[customer.name]!);
  return { t, shop, order, ids, endings };
}

async function ending(t: TestEngine, id: string): Promise<{ ending: Ending; outcome?: OrderOutcome }> {
  try {
    const outcome = (await t.result(id)) as OrderOutcome;
    return { ending: outcome.status, outcome };
  } catch (error) {
    if (error instanceof CancelledError) return { ending: "cancelled" };
    throw error;
  }
}

/** The baristas: a shared board of tickets, each barista taking the oldest one whenever free. */
function staffBaristas(t: TestEngine, shop: Shop, agenda: Agenda, say: Narrator["say"]): void {
  const board: Extract<ShopEvent, { type: "ticket-posted" }>[] = [];
  const free = new Set<string>(BARISTAS);

  const dispatch = () => {
    for (const barista of [...free]) {
      const ticket = board.shift();
      if (!ticket) return;
      free.delete(barista);
      agenda.after(PICK_UP, () => pickUp(barista, ticket));
    }
  };

  const pickUp = async (barista: string, ticket: (typeof board)[number]) => {
    const label = `barista ${barista}`;
    try {
      if (ticket.drink.includes(OUT_OF)) {
        say(label, `turns down #${ticket.orderNumber}: out of ${OUT_OF} milk`);
        await t.failCallback(ticket.token, { name: "OrderRejected", message: `out of ${OUT_OF} milk` });
        release(barista);
      } else {
        say(label, `accepts #${ticket.orderNumber} (${ticket.drink})`);
        await t.completeCallback(ticket.token, { barista });
      }
    } catch (error) {
      if (!(error instanceof CallbackNotFoundError)) throw error;
      say(label, `#${ticket.orderNumber} is gone from the board`);
      release(barista);
    }
  };

  const finish = async (job: Extract<ShopEvent, { type: "making-started" }>) => {
    const label = `barista ${job.barista}`;
    try {
      await t.completeCallback(job.token, {});
      say(label, `hands over #${job.orderNumber} (${job.drink})`);
    } catch (error) {
      if (!(error instanceof CallbackNotFoundError)) throw error;
      say(label, `made #${job.orderNumber}, no longer wanted: it goes to the staff`);
    }
    release(job.barista);
  };

  const release = (barista: string) => {
    free.add(barista);
    dispatch();
  };

  shop.subscribe((event) => {
    if (event.type === "ticket-posted") {
      board.push(event);
      dispatch();
    } else if (event.type === "making-started") {
      agenda.after(minutes(MENU[event.drink]), () => finish(event));
    } else {
      say(`to ${event.orderId.slice("order-".length)}`, event.message);
    }
  });
}

/** The golden history (`npx tsx examples/record-golden.ts serverlesspresso`): Ana's order, served. */
export async function recordGolden() {
  const day = await runShopDay({ narrate: false });
  return day.t.history(day.ids.Ana!);
}
