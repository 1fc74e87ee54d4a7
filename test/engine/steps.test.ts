// step(): runs once, retries with durable backoff, timeouts, at-most-once semantics, result schemas, and errors
// that reach the workflow identically on the first run and on replay.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { StepContext } from "spindle";
import {
  createEngine,
  MemoryStore,
  PayloadTooLargeError,
  sleep,
  silentLogger,
  step,
  StepFailedError,
  StepTimeoutError,
  TerminalError,
  workflow,
} from "spindle";
import { createTestEngine } from "spindle/testing";
import { CrashingStore, completionsPerStep, SimulatedCrash } from "../helpers.js";

describe("step", () => {
  it("runs each step once even when every turn replays the history from the start", async () => {
    let calls = 0;
    const wf = workflow("once", async function* () {
      const a = yield* step("a", () => ++calls);
      yield* sleep("1h");
      const b = yield* step("b", () => ++calls);
      yield* sleep("1h");
      return [a, b];
    });
    const t = createTestEngine({ workflows: [wf], cacheSize: 0 });
    const run = await t.start(wf, undefined, { id: "once-1" });
    expect(await run.result()).toEqual([1, 2]);
    expect(calls).toBe(2);
    expect([...completionsPerStep(await t.history("once-1")).values()]).toEqual([1, 1]);
  });

  it("gives the step its attempt number, a stable idempotency key and an abort signal", async () => {
    const seen: { attempt: number; key: string; aborted: boolean }[] = [];
    const wf = workflow("context", async function* () {
      return yield* step(
        "flaky",
        ({ attempt, idempotencyKey, signal }: StepContext) => {
          seen.push({ attempt, key: idempotencyKey, aborted: signal.aborted });
          if (attempt < 3) throw new Error("not yet");
          return "ok";
        },
        { retry: { maxAttempts: 3, initialInterval: "1s" } },
      );
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined, { id: "ctx-1" })).result()).toBe("ok");
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    expect(seen[0]!.key).toContain("ctx-1");
    expect(seen.every((s) => !s.aborted)).toBe(true);
  });

  it("waits between attempts on durable timers with exponential backoff capped at maxInterval", async () => {
    const attemptsAt: number[] = [];
    const wf = workflow("backoff", async function* () {
      return yield* step(
        "flaky",
        ({ attempt }) => {
          attemptsAt.push(t.clock.now());
          if (attempt < 4) throw new Error(`failure ${attempt}`);
          return attempt;
        },
        { retry: { maxAttempts: 5, initialInterval: "1s", backoffCoefficient: 3, maxInterval: "5s" } },
      );
    });
    const t = createTestEngine({ workflows: [wf] });
    const run = await t.start(wf, undefined, { id: "backoff-1" });
    await t.idle();
    const waiting = await t.describe("backoff-1");
    expect(waiting.status).toBe("suspended");
    expect(waiting.waitingFor).toMatchObject([{ kind: "retry", name: "flaky" }]);
    expect(waiting.wakeAt!.getTime()).toBe(attemptsAt[0]! + 1000);
    expect(await run.result()).toBe(4);
    const gaps = attemptsAt.slice(1).map((at, i) => at - attemptsAt[i]!);
    expect(gaps).toEqual([1000, 3000, 5000]);
    const failures = (await t.history("backoff-1")).filter((e) => e.type === "StepFailed");
    expect(failures).toHaveLength(3);
  });

  it("stops retrying at a TerminalError and at a nonRetryable error name", async () => {
    let calls = 0;
    class PaymentDeclined extends Error {
      override name = "PaymentDeclined";
    }
    const wf = workflow("terminal", async function* (input: unknown) {
      try {
        yield* step(
          "charge",
          () => {
            calls++;
            throw input === "terminal" ? new TerminalError("card blocked") : new PaymentDeclined("declined");
          },
          { retry: { maxAttempts: 5, nonRetryable: ["PaymentDeclined"] } },
        );
      } catch (error) {
        if (!(error instanceof StepFailedError)) throw error;
        return { attempts: error.attempts, cause: error.cause.name };
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, "terminal")).result()).toEqual({ attempts: 1, cause: "TerminalError" });
    expect(await (await t.start(wf, "declined")).result()).toEqual({ attempts: 1, cause: "PaymentDeclined" });
    expect(calls).toBe(2);
  });

  it("hands the workflow the same StepFailedError on the first run and on replay", async () => {
    class Declined extends Error {
      override name = "Declined";
      code = "E_DECLINED";
      balance = 7;
    }
    const caught: StepFailedError[] = [];
    const wf = workflow("same-error", async function* () {
      try {
        yield* step("charge", () => {
          throw new Declined("insufficient funds");
        }, { retry: { maxAttempts: 2, initialInterval: 10 } });
      } catch (error) {
        caught.push(error as StepFailedError);
      }
      yield* sleep("1h");
      return "done";
    });
    // It counts the body's runs: the test engine's cold-replay check would add its own.
    const t = createTestEngine({ workflows: [wf], cacheSize: 0, checkReplay: false });
    await (await t.start(wf, undefined, { id: "same-1" })).result();
    expect(caught).toHaveLength(2); // the first run, then the replay after the sleep
    const [first, replayed] = caught as [StepFailedError, StepFailedError];
    expect(first).toBeInstanceOf(StepFailedError);
    expect(replayed).toBeInstanceOf(StepFailedError);
    expect(replayed.message).toBe(first.message);
    expect(replayed.attempts).toBe(2);
    for (const field of ["name", "message", "code", "balance", "stack"] as const) {
      expect(replayed.cause[field]).toEqual(first.cause[field]);
    }
    expect(first.cause).toMatchObject({ name: "Declined", message: "insufficient funds", code: "E_DECLINED", balance: 7 });
  });

  it("aborts an attempt past its timeout with StepTimeoutError, and retries it", async () => {
    let attempts = 0;
    const wf = workflow("slow", async function* () {
      return yield* step(
        "fetch",
        ({ signal, attempt }) => {
          attempts = attempt;
          if (attempt === 2) return "fast enough";
          return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
        },
        { timeout: "10s", retry: { maxAttempts: 2, initialInterval: "1s" } },
      );
    });
    const t = createTestEngine({ workflows: [wf] });
    const run = await t.start(wf, undefined, { id: "slow-1" });
    expect(await run.result()).toBe("fast enough");
    expect(attempts).toBe(2);
    const failed = (await t.history("slow-1")).find((e) => e.type === "StepFailed");
    expect(failed).toMatchObject({ error: { name: "StepTimeoutError" } });
    expect((failed as { at: number }).at - (await t.history("slow-1"))[0]!.at).toBe(10_000);
  });

  it("fails the step with StepTimeoutError as its cause when the last attempt times out", async () => {
    const wf = workflow("hang", async function* () {
      try {
        yield* step("hang", () => new Promise(() => {}), { timeout: "5s", retry: { maxAttempts: 1 } });
      } catch (error) {
        return (error as StepFailedError).cause instanceof StepTimeoutError;
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined)).result()).toBe(true);
  });

  it("validates and transforms a step result with its schema; a mismatch fails the attempt", async () => {
    const wf = workflow("schema", async function* () {
      const n = yield* step("count", () => "42", { schema: z.coerce.number() });
      try {
        yield* step("bad", () => ({ wrong: true }), { schema: z.object({ id: z.string() }), retry: { maxAttempts: 2, initialInterval: 1 } });
      } catch (error) {
        return { n, cause: (error as StepFailedError).cause.name, attempts: (error as StepFailedError).attempts };
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined)).result()).toEqual({ n: 42, cause: "ValidationError", attempts: 2 });
  });

  it("fails at once, without retries, when a result is not JSON data or is too large", async () => {
    let calls = 0;
    const wf = workflow("bad-values", async function* () {
      const causes: string[] = [];
      for (const make of [() => new Map(), () => "x".repeat(2000)]) {
        try {
          // @ts-expect-error a Map is refused at compile time too; this pins the refusal at run time (plain JS, casts)
          yield* step(`value-${causes.length}`, () => {
            calls++;
            return make();
          });
        } catch (error) {
          causes.push((error as StepFailedError).cause.name);
        }
      }
      return causes;
    });
    const t = createTestEngine({ workflows: [wf], store: new MemoryStore({ maxValueBytes: 1000 }) });
    expect(await (await t.start(wf, undefined)).result()).toEqual(["SerializationError", PayloadTooLargeError.name]);
    expect(calls).toBe(2);
  });
});

describe("step semantics after a crash", () => {
  async function crashDuringStep(semantics: "at-least-once" | "at-most-once") {
    let calls = 0;
    const wf = workflow(`pay-${semantics}`, async function* () {
      try {
        return yield* step("pay", () => ++calls, { semantics });
      } catch (error) {
        return (error as StepFailedError).cause.name;
      }
    });
    const store = new CrashingStore(new MemoryStore());
    const options = { store, workflows: [wf], mode: "external" as const, logger: silentLogger };
    const first = createEngine(options);
    await first.start(wf, undefined, { id: "pay-1" });
    // Calls: 0 create, 1 turn load, then (at-most-once) 2 append StepStarted, 3 append StepCompleted.
    store.crashAt = semantics === "at-most-once" ? 3 : 2;
    await expect(first.resume("pay-1")).rejects.toBeInstanceOf(SimulatedCrash);
    const second = createEngine(options); // a new process: nothing warm
    await second.resume("pay-1");
    return { calls, result: await second.result("pay-1"), history: await second.history("pay-1") };
  }

  it("reruns an interrupted at-least-once step", async () => {
    const { calls, result } = await crashDuringStep("at-least-once");
    expect(calls).toBe(2);
    expect(result).toBe(2);
  });

  it("never reruns an interrupted at-most-once step: it fails with StepInterruptedError", async () => {
    const { calls, result, history } = await crashDuringStep("at-most-once");
    expect(calls).toBe(1);
    expect(result).toBe("StepInterruptedError");
    expect(history.map((e) => e.type)).toEqual(["ExecutionStarted", "StepStarted", "StepFailed", "ExecutionCompleted"]);
  });
});
