// The test engine's typed forms of sendEvent, completeCallback and result (the workflow named first) behave as the
// untyped ones, and refuse a workflow the execution does not run, or an object that is not the registered definition,
// before the virtual clock moves.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError, workflow, WorkflowNotFoundError } from "spindle";
import type { HistoryEvent } from "spindle";
import { createTestEngine } from "spindle/testing";

const order = workflow(
  "typed-order",
  { events: { paid: z.object({ ref: z.string() }) }, output: z.object({ ref: z.string() }) },
  async function* (_input, ctx) {
    const paid = yield* ctx.waitForEvent("paid");
    return { ref: paid.ref };
  },
);

const approval = workflow(
  "typed-approval",
  { callbacks: { decision: z.object({ approved: z.boolean() }) } },
  async function* (_input, ctx) {
    const decision = yield* ctx.callback("decision", () => undefined);
    return decision.approved;
  },
);

/** The same definition under the same name, but not the object the engine was given. */
const impostor = workflow("typed-order", { events: { paid: z.object({ ref: z.string() }) } }, async function* () {});

const tokenOf = (events: HistoryEvent[]) => (events.find((event) => event.type === "CallbackCreated") as { token: string }).token;

describe("typed test engine calls", () => {
  it("sends, completes and awaits results by the named workflow", async () => {
    const t = createTestEngine({ workflows: [order, approval] });
    await t.start(order, undefined, { id: "o-1" });
    await t.sendEvent(order, "o-1", "paid", { ref: "r-9" });
    expect(await t.result(order, "o-1")).toEqual({ ref: "r-9" });
    await t.start(approval, undefined, { id: "a-1" });
    await t.idle();
    await t.completeCallback(approval, tokenOf(await t.history("a-1")), "decision", { approved: false });
    expect(await t.result(approval, "a-1")).toBe(false);
  });

  it("refuses a result by a workflow the execution does not run before moving time", async () => {
    const t = createTestEngine({ workflows: [order, approval] });
    await t.start(order, undefined, { id: "o-2" });
    const at = t.clock.now();
    await expect(t.result(approval, "o-2")).rejects.toBeInstanceOf(ValidationError);
    await expect(t.result(impostor, "o-2")).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(t.sendEvent(impostor, "o-2", "paid", { ref: "r" })).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(t.clock.now()).toBe(at);
  });
});
