// An engine given no schedules carries none of their code (a schedule() result brings its runner: runtime.ts), and
// engine.schedules still answers: an empty list, and every named operation refused as the runner refuses an unknown
// name. A Lambda handler's bundle leaves the schedule tick out; one that uses schedule() carries it.
import { describe, expect, it } from "vitest";
import { createEngine, MemoryStore, schedule, silentLogger, step, ValidationError, workflow } from "spindle";
import type { Schedule } from "spindle";
import { bundleEntry, LAMBDA_HANDLER as HANDLER } from "../bundle.js";

const echo = workflow("echo", async function* () {
  return yield* step("echo", () => "hi");
});

/** Text only the schedule runner has (its in-process timer's failure report). */
const RUNNER_TEXT = "Schedules could not fire";

describe("an engine without schedules", () => {
  it("lists none and refuses each named operation with the unknown-name message", async () => {
    const engine = createEngine({ store: new MemoryStore(), workflows: [echo], logger: silentLogger });
    expect(await engine.schedules.list()).toEqual([]);
    const refusals: [string, () => Promise<unknown>][] = [
      ["describe", () => engine.schedules.describe("nightly")],
      ["pause", () => engine.schedules.pause("nightly")],
      ["unpause", () => engine.schedules.unpause("nightly")],
      ["trigger", () => engine.schedules.trigger("nightly")],
      ["backfill", () => engine.schedules.backfill("nightly", 0, 1)],
      ["delete", () => engine.schedules.delete("nightly")],
    ];
    for (const [operation, call] of refusals) {
      const error = await call().then(() => undefined, (caught: unknown) => caught);
      expect(error, operation).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toBe(
        `schedules.${operation}("nightly"): no such schedule. Pass it to createEngine({ schedules }); registered: none.`,
      );
    }
    // The engine runs its workflows as ever.
    expect(await (await engine.start(echo, {})).result()).toBe("hi");
    await engine.close();
  });

  it("gives the same message as an engine with schedules, which names them", async () => {
    const nightly = schedule("nightly", { cron: "@daily", workflow: echo });
    const engine = createEngine({ store: new MemoryStore(), workflows: [echo], schedules: [nightly], mode: "external", logger: silentLogger });
    await expect(engine.schedules.describe("hourly")).rejects.toThrow(
      'schedules.describe("hourly"): no such schedule. Pass it to createEngine({ schedules }); registered: nightly.',
    );
    expect((await engine.schedules.list()).map((info) => info.name)).toEqual(["nightly"]);
    await engine.close();
  });

  it("refuses a schedules entry that schedule() did not make, alone or beside real ones", () => {
    const nightly = schedule("nightly", { cron: "@daily", workflow: echo });
    const forged = { ...nightly, name: "forged", fireTimes: undefined } as unknown as Schedule;
    const plain = { name: "plain" } as unknown as Schedule;
    for (const schedules of [[plain], [nightly, forged], [forged]]) {
      expect(() => createEngine({ store: new MemoryStore(), workflows: [echo], schedules, mode: "external" })).toThrow(
        "createEngine({ schedules }): every entry must come from schedule(name, options).",
      );
    }
  });
});

describe("a Lambda handler's bundle and schedules", () => {
  it("a handler without schedules leaves the schedule runner out", async () => {
    const code = await bundleEntry(HANDLER);
    expect(code.includes("ExecutionStarted"), "the engine is in the bundle").toBe(true);
    expect(code.includes(RUNNER_TEXT), "the schedule runner is in the bundle").toBe(false);
  });

  it("the check can fail: a handler that defines a schedule carries the runner", async () => {
    const code = await bundleEntry(
      `${HANDLER}\nimport { schedule } from "spindle";\nexport const nightly = schedule("nightly", { cron: "@daily", workflow: hello });`,
    );
    expect(code.includes(RUNNER_TEXT), "the schedule runner is in the bundle").toBe(true);
  });
});
