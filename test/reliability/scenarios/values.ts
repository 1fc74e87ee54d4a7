// Scenario: bad values at every boundary. Schema-invalid inputs, outputs, events and callback values are refused
// with ValidationError and nothing stored; values of 399 KB fit, 400 KB and 4 MB (and multibyte text past the
// limit in bytes) fail with a non-retried PayloadTooLargeError; functions, cycles and BigInt fail with a non-retried
// SerializationError. The store's limit is the one the engine enforces (`store.limits.maxValueBytes`).
import { z } from "zod";
import type { HistoryStore } from "spindle/store";
import { callback, PayloadTooLargeError, SerializationError, StepFailedError, step, ValidationError, waitForEvent, workflow } from "spindle";
import { createTestEngine } from "spindle/testing";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { caught, expectThat, named } from "./check.js";

const KB = 1024;

/** Step results by label: what the step returns, and whether it must fit. */
function producedValues(limit: number): [string, () => unknown, "fits" | "too large" | "not JSON"][] {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  return [
    // JSON adds the two quotes: 399 KB of text encodes to exactly the default limit.
    ["399 KB", () => "x".repeat(399 * KB - 2), 399 * KB <= limit ? "fits" : "too large"],
    ["400 KB", () => "x".repeat(400 * KB), "too large"],
    ["4 MB", () => "x".repeat(4 * KB * KB), "too large"],
    ["multibyte text under the limit", () => "€ü".repeat(Math.floor((limit - 2) / 5)), "fits"],
    ["multibyte text past the limit in bytes, not in characters", () => "€".repeat(Math.floor(limit / 2)), "too large"],
    ["a function", () => () => 1, "not JSON"],
    ["a cycle", () => cycle, "not JSON"],
    ["a BigInt", () => 10n, "not JSON"],
  ];
}

const producer = (make: () => unknown) =>
  workflow("producer", async function* () {
    try {
      const value = yield* step("produce", make);
      return { ok: true, json: JSON.stringify(value) === JSON.stringify(make()) };
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      return { ok: false, cause: error.cause.name, attempts: error.attempts };
    }
  });

const strict = workflow(
  "strict",
  {
    input: z.object({ n: z.number().int() }),
    output: z.object({ doubled: z.number() }),
    events: { go: z.object({ by: z.string() }) },
    callbacks: { approve: z.object({ ok: z.boolean() }) },
  },
  async function* (input, ctx) {
    yield* ctx.waitForEvent("go");
    yield* callback("approve", () => undefined);
    // An odd input breaks the output schema on purpose.
    return (input.n % 2 === 0 ? { doubled: input.n * 2 } : { doubled: "odd" }) as { doubled: number };
  },
);

/** Runs every bad value on the target. */
export async function values(target: StoreTarget): Promise<ScenarioResult> {
  const result = newResult("schema-invalid, oversized and non-JSON values", target.name, "one execution per case");
  await producedValueCases(target, result);
  await schemaCases(target, result);
  await startAndEventSizes(target, result);
  return result;
}

async function producedValueCases(target: StoreTarget, result: ScenarioResult): Promise<void> {
  const limit = target.make().limits.maxValueBytes;
  for (const [label, make, expected] of producedValues(limit)) {
    const wf = producer(make);
    const t = createTestEngine({ workflows: [wf], store: target.make() });
    const run = await t.start(wf, undefined, { id: target.id("producer") });
    const outcome = (await run.result().catch((error: unknown) => ({ thrown: named(error) }))) as Record<string, unknown>;
    result.executions++;
    const where = `step returning ${label}`;
    if (expected === "fits") {
      expectThat(result, where, "I1", outcome.ok === true && outcome.json === true, `expected the value back intact, got ${JSON.stringify(outcome)}`);
    } else {
      const cause = expected === "too large" ? PayloadTooLargeError.name : SerializationError.name;
      expectThat(result, where, "I4", outcome.ok === false && outcome.cause === cause, `expected ${cause}, got ${JSON.stringify(outcome)}`);
      expectThat(result, where, "I5", outcome.attempts === 1, `retried: ${String(outcome.attempts)} attempts`);
      bump(result, expected === "too large" ? "oversized values refused, never retried" : "non-JSON values refused, never retried");
    }
  }
}

async function schemaCases(target: StoreTarget, result: ScenarioResult): Promise<void> {
  const store = target.make();
  const t = createTestEngine({ workflows: [strict], store });
  const refused = async (where: string, run: () => Promise<unknown>, stored: () => Promise<boolean>) => {
    const error = await caught(run);
    expectThat(result, where, "I4", error instanceof ValidationError, `threw ${named(error)}, not ValidationError`);
    expectThat(result, where, "I3", !(await stored()), "something was stored");
    bump(result, "schema-invalid values refused with nothing stored");
  };
  const badId = target.id("strict-bad");
  await refused("invalid input", () => t.start(strict, { n: 1.5 }, { id: badId }), async () => (await store.get(badId)) !== undefined);

  const id = target.id("strict");
  await t.start(strict, { n: 3 }, { id });
  await t.idle();
  const inboxSeq = async () => (await store.get(id))!.inboxSeq;
  const seqBefore = await inboxSeq();
  await refused("invalid event payload", () => t.sendEvent(id, "go", { by: 7 }), async () => (await inboxSeq()) !== seqBefore);
  await refused("undeclared event", () => t.sendEvent(id, "gone", { by: "x" }), async () => (await inboxSeq()) !== seqBefore);
  await t.sendEvent(id, "go", { by: "ops" });
  await t.idle();
  const token = (await t.history(id)).find((event) => event.type === "CallbackCreated");
  const seqAtCallback = await inboxSeq();
  const tokenText = token?.type === "CallbackCreated" ? token.token : "missing";
  await refused("invalid callback value", () => t.completeCallback(tokenText, { ok: "yes" }), async () => (await inboxSeq()) !== seqAtCallback);
  // The token stays valid after a refused value; the odd input then fails the output schema.
  await t.completeCallback(tokenText, { ok: true });
  const error = await caught(() => t.result(id));
  const record = (await store.get(id))!;
  expectThat(result, "invalid output", "I4", error instanceof ValidationError && record.status === "failed",
    `the run ended ${record.status} with ${named(error)}, not failed with ValidationError`);
  result.executions += 2;
}

async function startAndEventSizes(target: StoreTarget, result: ScenarioResult): Promise<void> {
  const store: HistoryStore = target.make();
  const waiter = workflow("waiter", async function* (_input: unknown) {
    return yield* waitForEvent<string>("big");
  });
  const t = createTestEngine({ workflows: [waiter], store });
  const huge = "y".repeat(store.limits.maxValueBytes + 1);
  const startId = target.id("waiter-huge");
  const startError = await caught(() => t.start(waiter, huge, { id: startId }));
  expectThat(result, "oversized input", "I4", startError instanceof PayloadTooLargeError, `threw ${named(startError)}`);
  expectThat(result, "oversized input", "I3", (await store.get(startId)) === undefined, "an execution was stored");
  const bigIntError = await caught(() => t.start(waiter, { n: 1n }, { id: target.id("waiter-bigint") }));
  expectThat(result, "BigInt input", "I4", bigIntError instanceof SerializationError || bigIntError instanceof ValidationError,
    `threw ${named(bigIntError)}`);
  const id = target.id("waiter");
  await t.start(waiter, null, { id });
  await t.idle();
  const before = (await store.get(id))!.inboxSeq;
  const eventError = await caught(() => t.sendEvent(id, "big", huge));
  expectThat(result, "oversized event", "I4", eventError instanceof PayloadTooLargeError, `threw ${named(eventError)}`);
  expectThat(result, "oversized event", "I3", (await store.get(id))!.inboxSeq === before, "the event was stored");
  result.executions += 2;
}
