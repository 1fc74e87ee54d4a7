// Scenario: the outside world repeats itself and is badly timed. The same event, start request or callback
// completion delivered 2 to 10 times is recorded once; events sent before the wait, during another turn, after a
// wait was dropped by a race, or while the workflow continues as new are each delivered once, in order.
import { z } from "zod";
import { CallbackNotFoundError, callback, continueAsNew, IdempotencyConflictError, race, sleep, step, waitForEvent, workflow } from "spindle";
import type { HistoryEvent } from "spindle";
import { createTestEngine } from "spindle/testing";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { caught, expectThat, named } from "./check.js";

const count = (events: readonly HistoryEvent[], type: HistoryEvent["type"]) => events.filter((event) => event.type === type).length;

const collector = workflow("collector", async function* (input: { expect: number }) {
  const got: unknown[] = [];
  for (let i = 0; i < input.expect; i++) got.push(yield* waitForEvent("item"));
  return got;
});

const approval = workflow("repeat-approval", async function* () {
  return yield* callback<{ ok: boolean }>("approve", () => undefined);
});

/** Runs every delivery case on the target, repeating deliveries 2..`maxRepeats` times. */
export async function deliveries(target: StoreTarget, options: { maxRepeats: number }): Promise<ScenarioResult> {
  const result = newResult("repeated and badly timed deliveries", target.name, `2..${options.maxRepeats} deliveries`);
  for (let times = 2; times <= options.maxRepeats; times++) await repeated(target, result, times);
  await timing(target, result);
  return result;
}

async function repeated(target: StoreTarget, result: ScenarioResult, times: number): Promise<void> {
  const t = createTestEngine({ workflows: [collector, approval], store: target.make() });
  const where = `${times} deliveries`;
  // The same start request.
  const id = target.id("collector");
  const starts = [];
  for (let i = 0; i < times; i++) starts.push(await t.start(collector, { expect: 1 }, { id }));
  expectThat(result, `${where} of a start`, "I2", starts.filter((s) => s.created).length === 1, "created more than once");
  const conflict = await caught(() => t.start(collector, { expect: 2 }, { id }));
  expectThat(result, `${where} of a start`, "I4", conflict instanceof IdempotencyConflictError, `another input: ${named(conflict)}`);
  // The same event.
  const answers = [];
  for (let i = 0; i < times; i++) answers.push(await t.sendEvent(id, "item", { n: 1 }, { idempotencyKey: "evt-1" }));
  expectThat(result, `${where} of an event`, "I2", answers.filter((a) => !a.duplicate).length === 1, "accepted more than once");
  const other = await caught(() => t.sendEvent(id, "item", { n: 2 }, { idempotencyKey: "evt-1" }));
  expectThat(result, `${where} of an event`, "I4", other instanceof IdempotencyConflictError, `another payload: ${named(other)}`);
  const value = await t.result(id);
  const history = await t.history(id);
  expectThat(result, `${where} of an event`, "I2", count(history, "EventReceived") === 1 && JSON.stringify(value) === '[{"n":1}]',
    `recorded ${count(history, "EventReceived")} events, result ${JSON.stringify(value)}`);
  // The same callback completion.
  const cbId = target.id("repeat-approval");
  await t.start(approval, undefined, { id: cbId });
  await t.idle();
  const created = (await t.history(cbId)).find((event) => event.type === "CallbackCreated");
  const token = created?.type === "CallbackCreated" ? created.token : "missing";
  let accepted = 0;
  for (let i = 0; i < times; i++) {
    const error = await caught(() => t.completeCallback(token, { ok: true }));
    if (error === undefined) accepted++;
    else expectThat(result, `${where} of a callback`, "I4", error instanceof CallbackNotFoundError, `a repeat threw ${named(error)}`);
  }
  await t.result(cbId);
  const cbHistory = await t.history(cbId);
  expectThat(result, `${where} of a callback`, "I2", accepted === 1 && count(cbHistory, "CallbackCompleted") === 1,
    `${accepted} completions accepted, ${count(cbHistory, "CallbackCompleted")} recorded`);
  result.executions += 2;
  bump(result, "repeated deliveries refused", 3 * (times - 1));
}

async function timing(target: StoreTarget, result: ScenarioResult): Promise<void> {
  const t = createTestEngine({ workflows: [collector, dropped, meter, slow], store: target.make() });
  // Before the wait: three events, then the workflow starts waiting.
  const early = target.id("early");
  await t.start(collector, { expect: 3 }, { id: early });
  for (const n of [1, 2, 3]) await t.sendEvent(early, "item", n, { idempotencyKey: `early-${n}` });
  expectThat(result, "events sent before the wait", "I1", JSON.stringify(await t.result(early)) === "[1,2,3]", "not delivered once each, in order");

  // During another turn: the event arrives while a step of the turn is running.
  const during = target.id("slow");
  await t.start(slow, undefined, { id: during });
  await t.sendEvent(during, "item", "mid-turn", { idempotencyKey: "mid" });
  expectThat(result, "an event sent during a turn", "I1", (await t.result(during)) === "mid-turn", "not delivered");

  // After a dropped wait: a race's wait lost to a timer must not swallow the event sent afterwards.
  const after = target.id("dropped");
  await t.start(dropped, undefined, { id: after });
  await t.advanceTime("2m");
  await t.sendEvent(after, "item", "late", { idempotencyKey: "late" });
  const droppedValue = await t.result(after);
  expectThat(result, "an event sent after its wait was dropped", "I1", JSON.stringify(droppedValue) === '{"raced":1,"then":"late"}',
    `result ${JSON.stringify(droppedValue)}`);
  expectThat(result, "an event sent after its wait was dropped", "I2", count(await t.history(after), "EventReceived") === 1, "recorded twice");

  // During continueAsNew: readings sent at once are spread over several runs, none lost or repeated.
  const agg = target.id("meter");
  await t.start(meter, { total: 0, readings: 0 }, { id: agg });
  const readings = [3, 5, 7, 11, 13, 17, 19];
  for (const [i, kwh] of readings.entries()) await t.sendEvent(agg, "reading", { kwh }, { idempotencyKey: `r-${i}` });
  await t.sendEvent(agg, "reading", { kwh: -1 }, { idempotencyKey: "r-end" });
  const total = (await t.result(agg)) as { total: number; readings: number };
  expectThat(result, "events sent during continueAsNew", "I1",
    total.total === readings.reduce((a, b) => a + b, 0) && total.readings === readings.length, `result ${JSON.stringify(total)}`);
  result.executions += 4;
}

const slow = workflow("slow", async function* () {
  yield* step("slow", () => new Promise((resolve) => setTimeout(resolve, 20)));
  return yield* waitForEvent<string>("item");
});

const dropped = workflow("dropped-wait", async function* () {
  const first = yield* race([waitForEvent("item"), sleep("1m")]);
  const then = yield* waitForEvent<string>("item");
  return { raced: first.index, then };
});

const meter = workflow(
  "meter",
  { events: { reading: z.object({ kwh: z.number() }) } },
  async function* (input: { total: number; readings: number }, ctx) {
    let { total, readings } = input;
    for (let i = 0; i < 3; i++) {
      const { kwh } = yield* ctx.waitForEvent("reading");
      if (kwh < 0) return { total, readings };
      total += kwh;
      readings++;
    }
    return yield* continueAsNew({ total, readings });
  },
);
