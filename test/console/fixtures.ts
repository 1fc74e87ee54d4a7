// The console tests' world: an expense approval (a retried policy check, a fan-out, a child, a 24 h approval event
// with a zod schema) and a trip booking saga (two reservations, then a manager's sign-off by callback; a cancel runs
// the compensations), on a test engine with a virtual clock and a MemoryStore. Also a console started over it.
import { z } from "zod";
import { CancelledError, child, map, saga, setStatus, step, TerminalError, workflow } from "../../src/index.js";
import type { RunningConsole } from "../../src/console/index.js";
import { startConsole } from "../../src/console/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import type { TestEngine } from "../../src/testing/index.js";

export const START = new Date("2026-03-02T09:00:00Z");

export const approvalSchema = z.object({ approved: z.boolean(), approver: z.string().min(1, "name the approver") });

/**
 * Builds the workflows; the policy check fails the first two calls per expense; the monthly report fails (a terminal
 * error with a cause) until `templates.fixed` is set.
 */
export function consoleWorkflows() {
  const calls = new Map<string, number>();
  const templates = { fixed: false };
  const report = workflow("monthly-report", async function* (input: { month: string }) {
    const rows = yield* step("collect", () => ({ rows: 42 }));
    return yield* step("render", () => {
      if (!templates.fixed) {
        throw new TerminalError(`no template for ${input.month}`, { cause: new Error("ENOENT: templates/report.html") });
      }
      return { pages: Math.ceil(rows.rows / 20) };
    });
  });
  const notify = workflow("notify-finance", async function* (input: { expenseId: string }) {
    return yield* step("post", () => `notified about ${input.expenseId}`);
  });
  const expense = workflow(
    "expense",
    {
      input: z.object({ expenseId: z.string(), employee: z.string(), amount: z.number() }),
      events: { approval: approvalSchema },
    },
    async function* (input, ctx) {
      yield* setStatus({ stage: "checking" });
      yield* step(
        "policy-check",
        () => {
          const seen = (calls.get(input.expenseId) ?? 0) + 1;
          calls.set(input.expenseId, seen);
          if (seen < 3) throw new Error(`policy service busy (call ${seen})`);
          return { withinPolicy: input.amount < 1_000 };
        },
        { retry: { maxAttempts: 5, initialInterval: "30s" } },
      );
      yield* map(["receipt", "budget"], (check) => step(`verify-${check}`, () => ({ check, ok: true })));
      yield* child(notify, { expenseId: input.expenseId });
      yield* setStatus({ stage: "awaiting approval" });
      const decision = yield* ctx.waitForEvent("approval", { timeout: "24h" });
      yield* setStatus({ stage: decision.approved ? "paid" : "rejected" });
      if (decision.approved) yield* step("pay", () => ({ paid: input.amount }));
      return { approved: decision.approved, by: decision.approver };
    },
  );
  const trip = workflow(
    "trip-booking",
    { callbacks: { "sign-off": z.object({ ok: z.boolean() }) } },
    async function* (input: { tripId: string }, ctx) {
      const undo = saga();
      try {
        yield* step("reserve-flight", () => ({ flight: `FL-${input.tripId}` }));
        undo.add(step("cancel-flight", () => "flight released"));
        yield* step("reserve-hotel", () => ({ hotel: `HT-${input.tripId}` }));
        undo.add(step("cancel-hotel", () => "hotel released"));
        yield* setStatus({ stage: "awaiting sign-off" });
        const signOff = yield* ctx.callback("sign-off", () => undefined, { timeout: "48h" });
        return { booked: signOff.ok };
      } catch (error) {
        if (error instanceof CancelledError) yield* undo.compensate();
        throw error;
      }
    },
  );
  return { expense, trip, notify, report, templates, all: [expense, trip, notify, report] };
}

export interface ConsoleWorld {
  t: TestEngine;
  console: RunningConsole;
  workflows: ReturnType<typeof consoleWorkflows>;
  close(): Promise<void>;
}

/**
 * Starts two expenses (each left waiting for approval, its policy check retried twice), two trips waiting for their
 * sign-off and a monthly report that failed, then a console over the engine on a free port.
 */
export async function startWorld(options: { allowActions: boolean; host?: string }): Promise<ConsoleWorld> {
  const workflows = consoleWorkflows();
  const t = createTestEngine({ workflows: workflows.all, startAt: START });
  await t.start(workflows.expense, { expenseId: "exp-1", employee: "ana", amount: 120 }, { id: "expense-1" });
  await t.advanceTime("2m");
  await t.start(workflows.trip, { tripId: "t-1" }, { id: "trip-1" });
  await t.start(workflows.trip, { tripId: "t-2" }, { id: "trip-2" });
  await t.advanceTime("1m");
  await t.start(workflows.expense, { expenseId: "exp-2", employee: "ben", amount: 80 }, { id: "expense-2" });
  await t.advanceTime("1m");
  await t.start(workflows.report, { month: "2026-02" }, { id: "report-2026-02" });
  await t.advanceTime("1m");
  const running = await startConsole({ engine: t.engine, workflows: workflows.all, port: 0, allowActions: options.allowActions, ...(options.host === undefined ? {} : { host: options.host }) });
  return {
    t,
    console: running,
    workflows,
    close: async () => {
      await running.close();
      await t.engine.close();
    },
  };
}
