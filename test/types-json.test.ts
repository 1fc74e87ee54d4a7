// Compile-time contract of rule 7 (types never lie), checked by `npm run typecheck` (tsc) and run by vitest: values
// that cross a yield are typed as the JSON the body receives, what the codec refuses does not compile, and a body
// returns what its output schema accepts. Payloads and results typed by the workflow named: types-typed-calls.test.ts.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { Jsonify, RunHandle } from "spindle";
import { callback, child, createEngine, MemoryStore, step, workflow } from "spindle";

interface Order {
  id: string;
  lines: { sku: string; quantity: number }[];
  note?: string;
}

class Money {
  constructor(readonly cents: number) {}
  toJSON(): { cents: number; currency: "EUR" } {
    return { cents: this.cents, currency: "EUR" };
  }
}

describe("values that cross a yield are typed as the JSON the body receives", () => {
  it("types a step's result as its JSON: a Date is a string", () => {
    workflow("dates", async function* () {
      const d = yield* step("d", () => new Date());
      expectTypeOf(d).toEqualTypeOf<string>();
      // @ts-expect-error the body receives the Date's ISO string, not a Date
      const wrong: Date = yield* step("again", () => new Date());
      const nested = yield* step("nested", async () => ({ at: new Date(), dates: [new Date()], price: new Money(5) }));
      expectTypeOf(nested).toEqualTypeOf<{ at: string; dates: string[]; price: { cents: number; currency: "EUR" } }>();
      return [d, wrong];
    });
  });

  it("drops undefined properties, writes undefined array elements as null, and keeps plain data under its own name", () => {
    workflow("shapes", async function* () {
      const sparse = yield* step("sparse", () => ({ a: "x" as string | undefined, gone: undefined, n: 1 }));
      expectTypeOf(sparse).toEqualTypeOf<{ a?: string; n: number }>();
      const holes = yield* step("holes", () => ["a", undefined]);
      expectTypeOf(holes).toEqualTypeOf<(string | null)[]>();
      const order = yield* step("order", (): Order => ({ id: "o-1", lines: [] }));
      expectTypeOf(order).toEqualTypeOf<Order>();
      expectTypeOf(yield* step("nothing", async () => {})).toEqualTypeOf<void>();
      expectTypeOf(yield* step("opaque", (): unknown => 1)).toEqualTypeOf<unknown>();
      expectTypeOf<Jsonify<{ at: Date; tags: Set<string> }>>().toEqualTypeOf<{ at: string; tags: never }>();
    });
  });

  it("refuses at compile time a step result the codec refuses at run time", () => {
    workflow("refused", async function* () {
      // @ts-expect-error a Map is not JSON data
      yield* step("map", () => new Map([["a", 1]]));
      // @ts-expect-error a Set is not JSON data
      yield* step("set", async () => ({ seen: new Set(["a"]) }));
      // @ts-expect-error a BigInt is not JSON data
      yield* step("big", () => 10n);
      // @ts-expect-error a function is not JSON data (a class instance with methods neither)
      yield* step("fn", () => ({ id: "a", format: () => "a" }));
      // @ts-expect-error callback's send runs as a step: its result is recorded too
      yield* callback("approval", () => new Map());
    });
  });

  it("types a step's schema output as its JSON", () => {
    workflow("schema", async function* () {
      const when = yield* step("when", () => "2026-01-01", { schema: z.coerce.date() });
      expectTypeOf(when).toEqualTypeOf<string>();
    });
  });

  it("types the input an input schema gives the body as JSON, and refuses an annotation JSON would not give", () => {
    workflow("input", { input: z.object({ at: z.coerce.date() }) }, async function* (input) {
      expectTypeOf(input).toEqualTypeOf<{ at: string }>();
    });
    // @ts-expect-error the body receives the input as JSON: a string, not a Date
    workflow("annotated", async function* (input: { at: Date }) {
      return input.at.getTime();
    });
  });

  it("types a child's result, an event payload and a callback value declared by the workflow as JSON", () => {
    const dated = workflow("dated", async function* () {
      return { at: new Date() };
    });
    const parent = workflow(
      "parent",
      { events: { due: z.object({ at: z.coerce.date() }) }, callbacks: { decision: z.object({ approved: z.boolean() }) } },
      async function* (_input, ctx) {
        expectTypeOf(yield* child(dated, undefined)).toEqualTypeOf<{ at: string }>();
        expectTypeOf(yield* ctx.waitForEvent("due")).toEqualTypeOf<{ at: string }>();
        expectTypeOf(yield* ctx.callback("decision", () => undefined)).toEqualTypeOf<{ approved: boolean }>();
        // @ts-expect-error a callback the workflow does not declare
        yield* ctx.callback("other", () => undefined);
      },
    );
    const engine = createEngine({ store: new MemoryStore(), workflows: [dated, parent], mode: "external" });
    expectTypeOf(engine.start(dated, undefined)).resolves.toEqualTypeOf<RunHandle<{ at: string }>>();
  });

  it("refuses a body result that is not JSON data", () => {
    // @ts-expect-error a Map is not JSON data
    workflow("map-result", async function* () {
      return new Map<string, number>();
    });
  });
});

describe("a body returns what its output schema accepts", () => {
  it("refuses a body whose result does not match the output schema", () => {
    const output = z.object({ status: z.enum(["shipped", "expired"]) });
    // @ts-expect-error "lost" is not a status the output schema accepts
    workflow("mismatch", { output }, async function* () {
      return { status: "lost" };
    });
    // A generic call does not keep a returned literal's type: `as const` (or `satisfies`) does.
    const matching = workflow("matching", { output }, async function* () {
      return { status: "shipped" as const };
    });
    expectTypeOf<Awaited<ReturnType<RunHandle<{ status: "shipped" | "expired" }>["result"]>>>().toEqualTypeOf<
      NonNullable<typeof matching.types>["output"]
    >();
  });

  it("checks the schema's input and types the result by its output", () => {
    const counted = workflow("counted", { output: z.object({ n: z.coerce.number() }) }, async function* () {
      return { n: "3" as unknown };
    });
    expectTypeOf<NonNullable<typeof counted.types>["output"]>().toEqualTypeOf<{ n: number }>();
  });
});
