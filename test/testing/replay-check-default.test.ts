// createTestEngine's cold-replay check (checkReplay, on by default): a body that branches on Math.random(),
// Date.now() or module state outside a step fails its unit test with NonDeterminismError, although its warm turns
// never replay; checkReplay: false lets it pass; deterministic workflows of every shape pass with the check on.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  all,
  callback,
  child,
  continueAsNew,
  map,
  NonDeterminismError,
  race,
  random,
  sleep,
  step,
  waitForEvent,
  workflow,
} from "spindle";
import { createTestEngine } from "spindle/testing";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Math.random() answering 0.9, 0.1, 0.9, ... so a branch on it goes one way live and the other on the next call. */
function alternatingRandom(): void {
  let calls = 0;
  vi.spyOn(Math, "random").mockImplementation(() => (calls++ % 2 === 0 ? 0.9 : 0.1));
}

const coinFlip = workflow("coin-flip", async function* () {
  const side = Math.random() >= 0.5 ? "heads" : "tails";
  yield* step(side, () => side);
  yield* sleep("1h");
  return side;
});

describe("the test engine's cold-replay check", () => {
  it("fails a body that branches on Math.random() outside a step with NonDeterminismError", async () => {
    alternatingRandom();
    const t = createTestEngine({ workflows: [coinFlip] });
    const run = await t.start(coinFlip, undefined, { id: "flip-1" });
    const failure = await run.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NonDeterminismError);
    expect((failure as NonDeterminismError).executionId).toBe("flip-1");
    expect((failure as Error).message).toMatch(/checkReplay: false/);
    expect((failure as Error).cause).toBeInstanceOf(NonDeterminismError);
  });

  it("fails a body that branches on Date.now() outside a step with NonDeterminismError", async () => {
    // Wall time stands at 11:30 until the report step runs, which takes an hour: the live turn reads a morning time
    // and the replay an afternoon one. (Other code reads Date.now() too, so the spy must not count reads.)
    let wall = Date.UTC(2026, 0, 1, 11, 30);
    vi.spyOn(Date, "now").mockImplementation(() => wall);
    const timed = workflow("wall-clock-branch", async function* () {
      const morning = new Date(Date.now()).getUTCHours() < 12;
      yield* step(morning ? "morning-report" : "afternoon-report", () => {
        wall += 3_600_000;
        return morning;
      });
      return morning;
    });
    const t = createTestEngine({ workflows: [timed] });
    const run = await t.start(timed, undefined, { id: "clock-1" });
    await expect(run.result()).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("fails a body that counts its runs in module state and branches on the count", async () => {
    let bodyRuns = 0;
    const counted = workflow("module-counter", async function* () {
      bodyRuns++;
      if (bodyRuns === 1) yield* step("first-time", () => 1);
      yield* sleep("1m");
      return bodyRuns;
    });
    const t = createTestEngine({ workflows: [counted] });
    const run = await t.start(counted, undefined, { id: "count-1" });
    await expect(run.result()).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("lets the same Math.random() branch pass with checkReplay: false, because warm turns never replay", async () => {
    alternatingRandom();
    const t = createTestEngine({ workflows: [coinFlip], checkReplay: false });
    const run = await t.start(coinFlip, undefined, { id: "flip-2" });
    expect(await run.result()).toBe("heads");
  });

  it("fails advanceTime once with the divergence when the test never awaits a result", async () => {
    alternatingRandom();
    const t = createTestEngine({ workflows: [coinFlip] });
    await t.start(coinFlip, undefined, { id: "flip-3" });
    await expect(t.advanceTime("2h")).rejects.toBeInstanceOf(NonDeterminismError);
    await expect(t.advanceTime("1h")).resolves.toBeUndefined();
    expect((await t.describe("flip-3")).status).toBe("completed");
  });

  it("fails the parent's result when a child's body is nondeterministic", async () => {
    alternatingRandom();
    const parent = workflow("flip-parent", async function* () {
      return yield* child(coinFlip, undefined, { id: "flip-kid" });
    });
    const t = createTestEngine({ workflows: [parent, coinFlip] });
    const run = await t.start(parent, undefined, { id: "flip-parent-1" });
    const failure = await run.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NonDeterminismError);
    expect((failure as NonDeterminismError).executionId).toBe("flip-kid");
  });

  it("fails a run that ends with continueAsNew in its first turn when that run is nondeterministic", async () => {
    alternatingRandom();
    // The first run is one turn (its step runs inline), and the store keeps only the second run afterwards.
    const looping = workflow("flip-loop", async function* (input: { run: number }) {
      if (input.run === 2) return "done";
      const side = Math.random() >= 0.5 ? "heads" : "tails";
      yield* step(side, () => side);
      return yield* continueAsNew({ run: 2 });
    });
    const t = createTestEngine({ workflows: [looping] });
    const run = await t.start(looping, { run: 1 }, { id: "flip-loop-1" });
    await expect(run.result()).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("passes a deterministic workflow with steps, sleeps, events, groups, a callback, a child and continueAsNew", async () => {
    // Math.random() still alternates: the check must not be what makes a deterministic body fail.
    alternatingRandom();
    const tokens: string[] = [];
    const kid = workflow("kid", async function* (input: { n: number }) {
      yield* sleep("5m");
      return yield* step("double", () => input.n * 2);
    });
    const composed = workflow("composed", async function* (input: { round: number; total: number }) {
      const jitter = yield* random();
      const [a, b] = yield* all([step("a", () => 1), step("b", () => 2)]);
      const quick = yield* race([sleep("1m"), waitForEvent("never", { timeout: "2h" })]);
      const squares = yield* map([1, 2, 3], (n) => step(`square-${n}`, () => n * n));
      yield* sleep("1h");
      const paid = (yield* waitForEvent("paid", { timeout: "1d" })) as { amount: number };
      const approved = (yield* callback("approve", (token) => void tokens.push(token), { timeout: "1d" })) as boolean;
      const doubled = yield* child(kid, { n: paid.amount }, { id: `kid-${input.round}` });
      const total = input.total + a + b + quick.index + squares.reduce((x, y) => x + y, 0) + doubled + (approved ? 1 : 0);
      if (jitter < 0 || input.round >= 2) return total;
      return yield* continueAsNew({ round: input.round + 1, total });
    });
    const t = createTestEngine({ workflows: [composed, kid] });
    const run = await t.start(composed, { round: 1, total: 0 }, { id: "composed-1" });
    for (const round of [1, 2]) {
      await t.advanceTime("2h");
      await t.sendEvent("composed-1", "paid", { amount: round * 10 });
      await t.idle();
      await t.completeCallback(tokens.at(-1)!, true);
      await t.idle();
      expect(tokens).toHaveLength(round);
    }
    // Each round: 3 + 0 + 14 + 2 * amount + 1.
    expect(await run.result()).toBe(18 + 20 + 18 + 40);
    expect((await t.describe("composed-1")).status).toBe("completed");
  });
});
