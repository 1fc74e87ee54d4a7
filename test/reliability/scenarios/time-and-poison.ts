// Scenarios: the clock and poison steps. Resumes early, late, repeated, and with the clock moved back never fire a
// timer before its time nor twice. Steps that always throw, throw non-Errors, or hang past their timeout record each
// attempt, honour the retry policy and end in a typed StepFailedError.
import type { Clock, HistoryEvent } from "spindle";
import { createEngine, silentLogger, sleep, StepFailedError, StepTimeoutError, step, workflow } from "spindle";
import { createTestEngine } from "spindle/testing";
import { loadAll } from "../invariants.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { expectThat } from "./check.js";

/** A clock the scenario sets by hand, backwards too; external mode sets no timers. */
class HandClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  setTimer(): () => void {
    return () => {};
  }
}

const napper = workflow("napper", async function* () {
  yield* sleep("nap", "1h");
  return yield* step("after", () => "woke");
});

const HOUR = 3_600_000;

/** Resumes at offsets (ms from the start) and checks the timer fires once, never before its time. */
export async function clockSkew(target: StoreTarget, options: { schedules: number }): Promise<ScenarioResult> {
  const result = newResult("early, late and backward resumes", target.name, `${options.schedules} resume schedules`);
  for (let schedule = 0; schedule < options.schedules; schedule++) {
    const store = target.make();
    const start = Date.parse("2026-03-01T00:00:00Z");
    const clock = new HandClock(start);
    const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger });
    const id = target.id("napper");
    await engine.start(napper, undefined, { id });
    // Offsets: early, back before the start, exactly due, repeated, late, and back again after firing.
    const offsets = [HOUR / 2, -3 * HOUR, HOUR - 1, -HOUR, HOUR + schedule * 997, HOUR + schedule * 997, 5 * HOUR, 0, -HOUR];
    for (const offset of offsets) {
      clock.time = start + offset;
      await engine.resume(id);
      const events = (await loadAll(store, id)).events as HistoryEvent[];
      const fired = events.filter((event) => event.type === "TimerFired");
      const scheduled = events.find((event) => event.type === "TimerScheduled");
      const fireAt = scheduled?.type === "TimerScheduled" ? scheduled.fireAt : Infinity;
      const where = `schedule ${schedule}, resume at ${offset / HOUR} h`;
      expectThat(result, where, "I2", fired.length <= 1, `the timer fired ${fired.length} times`);
      expectThat(result, where, "I1", fired.length === 0 || fired[0]!.at >= fireAt, `fired at ${fired[0]?.at}, due ${fireAt}`);
      expectThat(result, where, "I1", fired.length === 0 || offset >= HOUR - 1 || events.some((e) => e.type === "ExecutionCompleted"),
        "fired on an early resume");
      bump(result, "resumes");
    }
    const record = (await store.get(id))!;
    expectThat(result, `schedule ${schedule}`, "I4", record.status === "completed", `ended ${record.status}`);
    result.executions++;
  }
  return result;
}

/** Poison steps: each kind of bad step, with the attempts it must use. */
export async function poisonSteps(target: StoreTarget): Promise<ScenarioResult> {
  const result = newResult("poison steps", target.name, "one execution per kind");
  const kinds: [string, () => unknown, { maxAttempts: number; timeout?: string }, string][] = [
    ["always throws", () => { throw new Error("boom"); }, { maxAttempts: 4 }, "Error"],
    ["throws a string", () => { throw "just a string"; }, { maxAttempts: 3 }, "*"],
    ["throws undefined", () => { throw undefined; }, { maxAttempts: 2 }, "*"],
    ["throws a plain object", () => { throw { code: 42 }; }, { maxAttempts: 2 }, "*"],
    ["hangs past its timeout", () => new Promise(() => {}), { maxAttempts: 3, timeout: "5s" }, StepTimeoutError.name],
  ];
  for (const [label, fn, policy, causeName] of kinds) {
    let attempts = 0;
    const poison = workflow("poison", async function* () {
      try {
        yield* step("poison", (context) => { attempts++; void context; return fn(); }, {
          retry: { maxAttempts: policy.maxAttempts, initialInterval: "1s" },
          ...(policy.timeout ? { timeout: policy.timeout } : {}),
        });
        return { failed: false };
      } catch (error) {
        return error instanceof StepFailedError
          ? { failed: true, attempts: error.attempts, cause: error.cause.name, isError: error.cause instanceof Error }
          : { failed: true, untyped: String(error) };
      }
    });
    const t = createTestEngine({ workflows: [poison], store: target.make() });
    const id = target.id("poison");
    const run = await t.start(poison, undefined, { id });
    const outcome = (await run.result()) as Record<string, unknown>;
    const history = await t.history(id);
    const failedEvents = history.filter((event) => event.type === "StepFailed").length;
    expectThat(result, label, "I4", outcome.failed === true && outcome.isError === true && (causeName === "*" || outcome.cause === causeName),
      `outcome ${JSON.stringify(outcome)}`);
    expectThat(result, label, "I5", outcome.attempts === policy.maxAttempts && attempts === policy.maxAttempts && failedEvents === policy.maxAttempts,
      `${attempts} runs, ${failedEvents} recorded failures, ${String(outcome.attempts)} reported, for ${policy.maxAttempts} attempts`);
    result.executions++;
    bump(result, "poison attempts recorded", failedEvents);
  }
  return result;
}
