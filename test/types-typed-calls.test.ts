// Compile-time contract of rule 7 (types never lie), checked by `npm run typecheck` (tsc) and run by vitest: event
// and callback payloads are typed from the declarations of the workflow the caller names, and so are results, on the
// engine and on the test engine. The untyped string-id forms stay as they were.
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { RunHandle } from "spindle";
import { createEngine, MemoryStore, workflow } from "spindle";
import { createTestEngine } from "spindle/testing";

describe("payloads and results are typed from the workflow the caller names", () => {
  const order = workflow(
    "order",
    {
      input: z.object({ orderId: z.string() }),
      output: z.object({ ref: z.string() }),
      events: { paid: z.object({ ref: z.string() }), ping: z.undefined() },
      callbacks: { decision: z.object({ approved: z.boolean() }) },
    },
    async function* (_input, ctx) {
      return yield* ctx.waitForEvent("paid");
    },
  );
  const engine = createEngine({ store: new MemoryStore(), workflows: [order], mode: "external" });
  const t = createTestEngine({ workflows: [order] });
  // Compiled, never called: the calls would need executions (test/engine/typed-calls.test.ts runs them).
  const compiledOnly = (calls: () => Promise<void>) => expectTypeOf(calls).toBeFunction();

  it("types sendEvent's name and payload from the workflow's events", () => {
    compiledOnly(async () => {
      await engine.sendEvent(order, "o-1", "paid", { ref: "r-1" }, { idempotencyKey: "k" });
      await engine.sendEvent(order, "o-1", "ping");
      // @ts-expect-error the payload of 'paid' is { ref: string }
      await engine.sendEvent(order, "o-1", "paid", { ref: 1 });
      // @ts-expect-error 'paid' needs a payload
      await engine.sendEvent(order, "o-1", "paid");
      // @ts-expect-error order declares no event 'refunded'
      await engine.sendEvent(order, "o-1", "refunded", {});
      await engine.sendEvent("o-1", "anything", { ref: 1 }); // the untyped form is unchanged
      await t.sendEvent(order, "o-1", "paid", { ref: "r-1" });
      // @ts-expect-error the test engine types it the same way
      await t.sendEvent(order, "o-1", "paid", { reference: "r-1" });
    });
  });

  it("types completeCallback's value from the workflow's callbacks", () => {
    compiledOnly(async () => {
      await engine.completeCallback(order, "token", "decision", { approved: true });
      // @ts-expect-error the value of 'decision' is { approved: boolean }
      await engine.completeCallback(order, "token", "decision", { approved: "yes" });
      // @ts-expect-error order declares no callback 'review'
      await engine.completeCallback(order, "token", "review", {});
      await engine.completeCallback("token", { approved: "yes" }); // the untyped form is unchanged
      await t.completeCallback(order, "token", "decision", { approved: false });
      // @ts-expect-error the test engine types it the same way
      await t.completeCallback(order, "token", "decision", {});
    });
  });

  it("types result and handle from the workflow", () => {
    compiledOnly(async () => {
      expectTypeOf(await engine.result(order, "o-1")).toEqualTypeOf<{ ref: string }>();
      expectTypeOf(await engine.handle(order, "o-1")).toEqualTypeOf<RunHandle<{ ref: string }>>();
      expectTypeOf(await engine.result("o-1")).toEqualTypeOf<unknown>();
      expectTypeOf(await t.result(order, "o-1")).toEqualTypeOf<{ ref: string }>();
      expectTypeOf(await t.result("o-1")).toEqualTypeOf<unknown>();
      expectTypeOf(await (await t.start(order, { orderId: "o-1" })).result()).toEqualTypeOf<{ ref: string }>();
    });
  });
});
