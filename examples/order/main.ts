// Runs three orders through the order workflow on a MemoryStore: one paid and shipped, one that is never paid and
// expires after 24 hours, one cancelled during its cancellation window and refunded. The test engine's virtual clock
// skips every wait, so a day of workflow time takes milliseconds; the times printed are virtual.
// Run it with `npm run example` (or `npm run example -- order`).
import { CancelledError } from "../../src/index.js";
import type { Logger, LogFields } from "../../src/index.js";
import { createTestEngine, formatTimeline, replayHistory } from "../../src/testing/index.js";
import { order } from "./order.workflow.js";
import type { ExampleRun } from "../support/example-run.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  // ctx.log writes through this logger, only when the workflow does something new (never while it replays).
  const t = createTestEngine({ workflows: [order], logger: narrator(() => t.now()) });
  const virtualStart = t.now().getTime();
  const say = (id: string, message: string) => console.log(line(t.now(), id, message));

  // 1. Paid two hours after the order; the provider fails once, so the capture is retried 30 s later.
  const paid = await t.start(order, { orderId: "o-1001", amount: 49.9 }, { id: "o-1001" });
  await t.advanceTime("2h");
  const waiting = await t.describe("o-1001");
  say("o-1001", `describe: ${waiting.status}, waiting for ${waiting.waitingFor.map((w) => `${w.kind} '${w.name}'`)}, ` +
    `status ${JSON.stringify(waiting.customStatus)}`);
  say("o-1001", "payment webhook arrives");
  await t.sendEvent("o-1001", "paid", { ref: "pay_7Hq2" }, { idempotencyKey: "psp-evt-1" });
  await t.idle();
  const again = await t.sendEvent("o-1001", "paid", { ref: "pay_7Hq2" }, { idempotencyKey: "psp-evt-1" });
  say("o-1001", `webhook delivered again with the same idempotency key: duplicate=${again.duplicate}`);
  const shipped = await paid.result();
  say("o-1001", `result: ${shipped.status} ${shipped.tracking}`);

  // 2. Never paid: awaiting the result skips the virtual clock to the 24 h timeout.
  const expired = await t.start(order, { orderId: "o-1002", amount: 12 }, { id: "o-1002" });
  say("o-1002", `result: ${(await expired.result()).status}`);

  // 3. Paid, then cancelled ten minutes into the one-hour cancellation window: the workflow refunds.
  const cancelled = await t.start(order, { orderId: "o-1003", amount: 80 }, { id: "o-1003" });
  await t.sendEvent("o-1003", "paid", { ref: "pay_Zk41" });
  await t.advanceTime("10m");
  say("o-1003", "customer cancels");
  await t.cancel("o-1003", "customer changed their mind");
  try {
    await cancelled.result();
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    say("o-1003", `result: CancelledError, status ${(await t.describe("o-1003")).status}`);
  }

  const ids = ["o-1001", "o-1002", "o-1003"];
  for (const id of ids) {
    console.log(`\nTimeline of ${id}`);
    console.log(formatTimeline(await t.history(id)));
  }

  // Golden-history check: today's code must agree with every recorded history (no step is run again).
  const reports = await Promise.all(ids.map(async (id) => replayHistory(order, await t.history(id))));
  const elapsed = performance.now() - startedAt;
  console.log(
    `\nReplayed ${reports.length} recorded histories against the code: ${reports.map((r) => r.outcome).join(", ")}.` +
      `\n${formatSpan(t.now().getTime() - virtualStart)} of workflow time in ` +
      `${elapsed.toFixed(0)} ms of real time.`,
  );
  return { engine: t.engine, workflows: [order] };
}

/** A Logger that prints plain lines with the virtual time and the execution id. */
function narrator(now: () => Date): Logger {
  const write = (prefix: string) => (message: string, fields?: LogFields) =>
    console.log(line(now(), String(fields?.executionId ?? "engine"), prefix + message));
  return { debug: () => {}, info: write(""), warn: write("warning: "), error: write("error: ") };
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function line(at: Date, id: string, message: string): string {
  return `${DAYS[at.getUTCDay()]} ${at.toISOString().slice(11, 19)}  ${id}  ${message}`;
}

function formatSpan(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 3600)}h ${Math.floor(seconds / 60) % 60}m ${seconds % 60}s`;
}
