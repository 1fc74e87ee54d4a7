// The workflows the reliability scenarios drive: the golden-history workflows, the repository's examples, and the
// classic patterns of test/patterns rebuilt here with idempotent step bodies (a test file cannot be imported). Each
// subject says how to start it and what the outside world sends it: events by name, in order, and callback values.
import { z } from "zod";
import type { AnyWorkflow } from "spindle";
import {
  all, callback, continueAsNew, map, now, saga, setStatus, sleep, step, TerminalError, TimeoutError, workflow,
} from "spindle";
import { order, payments, warehouse } from "../../examples/order/order.workflow.js";
import { etlWorkflows } from "../../examples/daily-etl/daily-etl.workflow.js";
import { createWarehouse } from "../../examples/daily-etl/warehouse.js";
import { createCommerce, orderSagaWorkflow } from "../../examples/order-saga/order-saga.workflow.js";
import { accessRequestWorkflow, createAccessServices } from "../../examples/security-approval/security-approval.workflow.js";
import { coffeeOrderWorkflow, createShop } from "../../examples/serverlesspresso/serverlesspresso.workflow.js";
import { approval } from "../golden/approval.workflow.js";
import { booking, invoice } from "../golden/booking.workflow.js";
import type { Outcome } from "./invariants.js";

/** A workflow to drive, with what the outside world sends it. */
export interface Subject {
  name: string;
  /** Fresh definitions (and fakes) for one run. */
  setup(): { workflows: readonly AnyWorkflow[]; root: AnyWorkflow; input: unknown };
  /** Event payloads by event name, delivered in order, one each time an execution waits for that event. */
  events?: Record<string, readonly unknown[]>;
  /** The value that completes a callback, by callback name; a callback not listed is left to time out. */
  callbacks?: Record<string, unknown>;
  /** At-most-once steps, by name. */
  atMostOnce?: readonly string[];
  /**
   * Drops what legitimately depends on when turns ran: recovering from a crash waits out the dead process's lease on
   * the virtual clock, so a value read from the clock after that point is later than in the fault-free run.
   */
  project?: (outcome: Outcome) => Outcome;
}

/** Replaces the named result fields with a marker saying they were present. */
const without = (...fields: string[]) => (outcome: Outcome): Outcome => {
  if (typeof outcome.result !== "object" || outcome.result === null) return outcome;
  const result: Record<string, unknown> = { ...(outcome.result as Record<string, unknown>) };
  for (const field of fields) if (field in result) result[field] = "(present)";
  return { ...outcome, result };
};

const goldenApproval: Subject = {
  name: "golden/approval",
  setup: () => ({ workflows: [approval], root: approval, input: { requestId: "rq-1", amount: 1500 } }),
  events: { decision: [{ approved: true, by: "cfo" }] },
  project: without("decidedAt"),
};

const goldenBooking: Subject = {
  name: "golden/booking",
  setup: () => ({ workflows: [booking, invoice], root: booking, input: { seats: ["1A", "2B", "3C"] } }),
  events: { confirmed: ["yes"] },
  callbacks: { approval: { ok: true } },
};

const exampleOrder: Subject = {
  name: "examples/order",
  setup: () => {
    payments.outagesLeft = 1;
    payments.captures.clear();
    warehouse.shipped = 0;
    return { workflows: [order], root: order, input: { orderId: "o-1", amount: 42 } };
  },
  events: { paid: [{ ref: "r-1" }] },
  // receivedAt is read from the clock; the warehouse numbers every shipment, so a ship attempt cut off by a crash
  // (at-least-once, by design) moves the tracking number on.
  project: without("receivedAt", "tracking"),
};

const exampleServerlesspresso: Subject = {
  name: "examples/serverlesspresso",
  setup: () => {
    const shop = createShop({ capacity: 3 });
    shop.setOpen(true);
    const coffee = coffeeOrderWorkflow(shop);
    return { workflows: [coffee], root: coffee, input: { orderId: "c-1", customer: "ana" } };
  },
  events: { submitted: [{ drink: "latte" }] },
  callbacks: { "barista-accepts": { barista: "bo" }, "drink-made": {} },
};

const exampleSecurityApproval: Subject = {
  name: "examples/security-approval",
  setup: () => {
    const access = accessRequestWorkflow(createAccessServices(() => new Date(0)));
    const input = { requestId: "rq-9", user: "lee", resource: "payroll:export", reason: "audit", contractor: true, manager: "maria" };
    return { workflows: [access], root: access, input };
  },
  // The security team lets its token time out; the manager decides.
  callbacks: { "manager-review": { approved: true, reviewer: "maria" } },
};

const exampleOrderSaga: Subject = {
  name: "examples/order-saga",
  setup: () => {
    const saga = orderSagaWorkflow(createCommerce());
    // Shipping to Antarctica fails after retries: the saga refunds and releases the stock.
    const input = { orderId: "o-9", items: [{ sku: "grinder", quantity: 1 }], amount: 129, card: "4242 4242 4242 4242", country: "AQ" };
    return { workflows: [saga], root: saga, input };
  },
};

const exampleDailyEtl: Subject = {
  name: "examples/daily-etl",
  setup: () => {
    const { dailyEtl } = etlWorkflows(createWarehouse({ flaky: { "2026-03-01/us-west": 2 } }));
    return { workflows: [dailyEtl], root: dailyEtl, input: { date: "2026-03-01" } };
  },
};

/** Function chaining with a flaky step retried on durable backoff. */
const chaining = workflow("pattern-chaining", async function* (input: { orderId: string; amount: number }) {
  const hold = yield* step("reserve", () => ({ holdId: `hold-${input.orderId}` }));
  const charge = yield* step(
    "charge",
    ({ attempt }) => {
      if (attempt < 3) throw new Error(`gateway 503 (attempt ${attempt})`);
      return { chargeId: `ch-${input.amount}` };
    },
    { retry: { maxAttempts: 5, initialInterval: "1s", backoffCoefficient: 2 } },
  );
  const shipment = yield* step("ship", () => ({ tracking: `T-${hold.holdId}-${charge.chargeId}` }));
  return { hold: hold.holdId, charge: charge.chargeId, tracking: shipment.tracking };
});

/** Fan-out/fan-in: a bounded map and a parallel pair, aggregated. */
const fanOut = workflow("pattern-fan-out", async function* (input: { files: string[] }) {
  const counts = yield* map(input.files, (file) => step(`count-${file}`, () => file.length * 10), { concurrency: 3 });
  const [total, largest] = yield* all([
    step("sum", () => counts.reduce((a, b) => a + b, 0)),
    step("largest", () => Math.max(...counts)),
  ]);
  return { counts, total, largest };
});

/** Async polling: check, publish a custom status, sleep, until done. */
const polling = workflow("pattern-polling", async function* (input: { report: string }) {
  const jobId = yield* step("submit", () => `job-${input.report}`);
  let polls = 0;
  for (;;) {
    const done = polls >= 3;
    const job = yield* step("check", () => ({ done, progress: done ? 100 : polls * 25 }));
    polls++;
    yield* setStatus({ state: job.done ? "done" : "exporting", progress: job.progress });
    if (job.done) break;
    yield* sleep("poll-interval", "30s");
  }
  return { url: yield* step("publish", () => `https://files.example.com/${jobId}.csv`), polls };
});

/** Monitor: checks on an interval until a condition holds or the monitor expires. */
const monitor = workflow("pattern-monitor", async function* (input: { flight: string; departsAtCheck: number }) {
  const expiry = (yield* now()).getTime() + 120 * 60_000;
  for (let check = 1; ; check++) {
    const status = yield* step("check-status", () => (check >= input.departsAtCheck ? "departed" : "scheduled"));
    if (status === "departed") {
      yield* step("notify", () => `${input.flight} departed`);
      return { outcome: "departed", checks: check };
    }
    if ((yield* now()).getTime() + 10 * 60_000 > expiry) return { outcome: "expired", checks: check };
    yield* sleep("interval", "10m");
  }
});

/** Human interaction: a manager's approval times out after a day and escalates to a director. */
const human = workflow(
  "pattern-human",
  { callbacks: { escalation: z.object({ approved: z.boolean(), by: z.string() }) } },
  async function* (input: { id: string }) {
    try {
      const decision = yield* callback<{ approved: boolean; by: string }>("approval", () => `mail manager ${input.id}`, { timeout: "24h" });
      return { ...decision, escalated: false };
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
    const decision = yield* callback<{ approved: boolean; by: string }>("escalation", () => `mail director ${input.id}`, { timeout: "48h" });
    return { ...decision, escalated: true };
  },
);

/** Aggregator: sums readings, continuing as new every 2 readings; a negative reading closes it. */
const aggregator = workflow(
  "pattern-aggregator",
  { events: { reading: z.object({ kwh: z.number() }) } },
  async function* (input: { total: number; readings: number; run: number }, ctx) {
    let { total, readings } = input;
    for (let i = 0; i < 2; i++) {
      const { kwh } = yield* ctx.waitForEvent("reading");
      if (kwh < 0) return { total, readings, runs: input.run + 1 };
      total += kwh;
      readings++;
    }
    return yield* continueAsNew({ total, readings, run: input.run + 1 });
  },
);

/** A saga with an at-most-once payout: a failing step after it is compensated in reverse order. */
const payout = workflow("pattern-payout", async function* (input: { amount: number }) {
  const s = saga();
  try {
    const hold = yield* step("hold-funds", () => `hold-${input.amount}`);
    s.add(step("release-funds", () => `released ${hold}`));
    const transfer = yield* step("send-money", () => `tx-${input.amount}`, { semantics: "at-most-once" });
    s.add(() => step("reverse-transfer", () => `reversed ${transfer}`));
    yield* sleep("settle", "1h");
    yield* step("confirm", () => {
      throw new TerminalError("the bank refused the confirmation");
    });
    return "unreachable";
  } catch (error) {
    yield* s.compensate();
    return { compensated: true, reason: (error as Error).message };
  }
});

const pattern = (root: AnyWorkflow, input: unknown, extra: Partial<Subject> = {}): Subject => ({
  name: `patterns/${root.name.replace("pattern-", "")}`,
  setup: () => ({ workflows: [root], root, input }),
  ...extra,
});

/** Every subject, in report order. */
export const SUBJECTS: readonly Subject[] = [
  goldenApproval,
  goldenBooking,
  exampleOrder,
  exampleServerlesspresso,
  exampleSecurityApproval,
  exampleOrderSaga,
  exampleDailyEtl,
  pattern(chaining, { orderId: "o-7", amount: 25 }),
  pattern(fanOut, { files: ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"] }),
  pattern(polling, { report: "q3" }),
  pattern(monitor, { flight: "LH400", departsAtCheck: 3 }),
  pattern(human, { id: "exp-1" }, { callbacks: { escalation: { approved: true, by: "dana" } } }),
  pattern(aggregator, { total: 0, readings: 0, run: 0 }, { events: { reading: [5, 7, 11, 13, -1].map((kwh) => ({ kwh })) } }),
  pattern(payout, { amount: 100 }, { atMostOnce: ["send-money"] }),
];
