// Compile-time contract, checked by `npm run typecheck` (tsc) and run by vitest: `yield*` gives typed results,
// schemas type inputs, outputs and events, and a bare `yield op` does not compile.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { RunHandle, Yieldable } from "spindle";
import { all, branch, createEngine, map, MemoryStore, now, race, random, sleep, step, uuid, waitForEvent, workflow } from "spindle";

describe("types", () => {
  it("types operation results, workflow input, output and events", () => {
    const typed = workflow(
      "typed",
      {
        input: z.object({ id: z.string(), n: z.coerce.number() }),
        events: { paid: z.object({ ref: z.string() }) },
      },
      async function* (input, ctx) {
        expectTypeOf(input).toEqualTypeOf<{ id: string; n: number }>();
        const price = yield* step("price", async () => ({ amount: 3 }));
        expectTypeOf(price).toEqualTypeOf<{ amount: number }>();
        const paid = yield* ctx.waitForEvent("paid");
        expectTypeOf(paid).toEqualTypeOf<{ ref: string }>();
        const loose = yield* waitForEvent("x", { schema: z.number() });
        expectTypeOf(loose).toEqualTypeOf<number>();
        expectTypeOf(yield* now()).toEqualTypeOf<Date>();
        expectTypeOf(yield* random()).toEqualTypeOf<number>();
        expectTypeOf(yield* uuid()).toEqualTypeOf<string>();
        expectTypeOf(sleep("1s")).toEqualTypeOf<Yieldable<void>>();
        // @ts-expect-error an event the workflow does not declare
        yield* ctx.waitForEvent("refunded");
        return { id: input.id, ref: paid.ref };
      },
    );
    const engine = createEngine({ store: new MemoryStore(), workflows: [typed], mode: "external" });
    expectTypeOf(engine.start(typed, { id: "a", n: "5" })).resolves.toEqualTypeOf<RunHandle<{ id: string; ref: string }>>();
    // @ts-expect-error the input must match the schema
    void engine.start(typed, { id: 1 }).catch(() => {});
  });

  it("types all, race and map results from operations built inline", () => {
    workflow("tuples", async function* () {
      const [stock, price] = yield* all([step("stock", () => ({ available: 3 })), branch(async function* () { return "x"; })]);
      expectTypeOf(stock).toEqualTypeOf<{ available: number }>();
      expectTypeOf(price).toEqualTypeOf<string>();
      const winner = yield* race([step("a", () => 1), step("b", () => "b")]);
      expectTypeOf(winner.value).toEqualTypeOf<number | string>();
      const sizes = yield* map([1, 2], (n) => step(`s${n}`, async () => n * 2));
      expectTypeOf(sizes).toEqualTypeOf<number[]>();
      const validated = yield* step("v", () => "42", { schema: z.coerce.number() });
      expectTypeOf(validated).toEqualTypeOf<number>();
    });
  });

  it("types a workflow's input from the body's annotation when its options declare no input schema", () => {
    const withEvents = workflow("annotated", { events: { go: z.string() } }, async function* (input: { id: string }, ctx) {
      return `${input.id}:${yield* ctx.waitForEvent("go")}`;
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [withEvents], mode: "external" });
    expectTypeOf(engine.start(withEvents, { id: "a" })).resolves.toEqualTypeOf<RunHandle<string>>();
  });

  it("refuses a bare yield of an operation", () => {
    // @ts-expect-error operations must be yielded with yield*: a body yielding the operation itself does not compile
    workflow("bare", async function* () {
      yield step("a", () => 1);
    });
  });

  it("types a schemaless workflow's input from the body's annotation", () => {
    const plain = workflow("plain", async function* (minutes: number) {
      return minutes * 2;
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [plain], mode: "external" });
    expectTypeOf(engine.start(plain, 3)).resolves.toEqualTypeOf<RunHandle<number>>();
  });
});
