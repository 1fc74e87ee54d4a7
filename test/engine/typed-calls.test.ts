// The typed forms of sendEvent, completeCallback, result and handle (the workflow named first) behave as the untyped
// ones, and refuse, storing nothing, a workflow object that is not the registered definition, an execution of another
// workflow, and a callback token of another callback. The test engine's forms: test/testing/typed-calls.test.ts.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CallbackNotFoundError,
  createEngine,
  MemoryStore,
  silentLogger,
  ValidationError,
  workflow,
  WorkflowNotFoundError,
} from "spindle";
import type { HistoryEvent } from "spindle";
import { VirtualClock } from "spindle/testing";

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
  { callbacks: { decision: z.object({ approved: z.boolean() }), review: z.string() } },
  async function* (_input, ctx) {
    const decision = yield* ctx.callback("decision", () => undefined);
    return decision.approved;
  },
);

/** The same definition under the same name, but not the object the engine was given. */
const impostor = workflow("typed-order", { events: { paid: z.object({ ref: z.string() }) } }, async function* () {});

function setup() {
  const store = new MemoryStore();
  const engine = createEngine({ store, workflows: [order, approval], clock: new VirtualClock(), mode: "external", logger: silentLogger });
  return { store, engine };
}

const tokenOf = (events: HistoryEvent[]) => (events.find((event) => event.type === "CallbackCreated") as { token: string }).token;

describe("typed engine calls", () => {
  it("sends an event, and returns the result and a handle, as the untyped forms do", async () => {
    const { engine } = setup();
    await engine.start(order, undefined, { id: "o-1" });
    await engine.resume("o-1");
    expect(await engine.sendEvent(order, "o-1", "paid", { ref: "r-1" }, { idempotencyKey: "k" })).toEqual({ duplicate: false });
    expect(await engine.sendEvent(order, "o-1", "paid", { ref: "r-1" }, { idempotencyKey: "k" })).toEqual({ duplicate: true });
    await engine.resume("o-1");
    expect(await engine.result(order, "o-1")).toEqual({ ref: "r-1" });
    const handle = await engine.handle(order, "o-1");
    expect(handle).toMatchObject({ id: "o-1", workflow: "typed-order", created: false });
    expect(await handle.result()).toEqual({ ref: "r-1" });
  });

  it("validates the typed event's payload against the declared schema at run time too", async () => {
    const { engine } = setup();
    await engine.start(order, undefined, { id: "o-2" });
    const payload = { ref: 7 } as unknown as { ref: string }; // as from plain JavaScript
    await expect(engine.sendEvent(order, "o-2", "paid", payload)).rejects.toBeInstanceOf(ValidationError);
    expect((await engine.describe("o-2")).status).toBe("running");
  });

  it("refuses a workflow object other than the registered definition, and stores nothing", async () => {
    const { engine, store } = setup();
    await engine.start(order, undefined, { id: "o-3" });
    const before = (await store.get("o-3"))!.inboxSeq;
    await expect(engine.sendEvent(impostor, "o-3", "paid", { ref: "r" })).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(engine.result(impostor, "o-3")).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(engine.handle(impostor, "o-3")).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await store.get("o-3"))!.inboxSeq).toBe(before);
  });

  it("refuses an execution of another workflow, and stores nothing", async () => {
    const { engine, store } = setup();
    await engine.start(approval, undefined, { id: "a-1" });
    const before = (await store.get("a-1"))!.inboxSeq;
    const sent = engine.sendEvent(order, "a-1", "paid", { ref: "r" });
    await expect(sent).rejects.toBeInstanceOf(ValidationError);
    await expect(sent).rejects.toThrow(/runs workflow 'typed-approval', not 'typed-order'/);
    await expect(engine.result(order, "a-1")).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.handle(order, "a-1")).rejects.toBeInstanceOf(ValidationError);
    expect((await store.get("a-1"))!.inboxSeq).toBe(before);
  });

  it("completes a named callback; a token of another callback or workflow is refused and stays valid", async () => {
    const { engine } = setup();
    await engine.start(approval, undefined, { id: "a-2" });
    await engine.resume("a-2");
    const token = tokenOf(await engine.history("a-2"));
    const review = engine.completeCallback(approval, token, "review", "fine");
    await expect(review).rejects.toBeInstanceOf(ValidationError);
    await expect(review).rejects.toThrow(/callback 'decision''s/);
    await expect(engine.completeCallback(order, token, "decision" as never)).rejects.toBeInstanceOf(ValidationError);
    expect(await engine.completeCallback(approval, token, "decision", { approved: true })).toEqual({ executionId: "a-2" });
    await engine.resume("a-2");
    expect(await engine.result(approval, "a-2")).toBe(true);
  });

  it("answers a token that is not a live one with CallbackNotFoundError, saying nothing of the execution", async () => {
    const { engine } = setup();
    await engine.start(approval, undefined, { id: "a-3" });
    await engine.resume("a-3");
    const token = tokenOf(await engine.history("a-3"));
    const parts = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as string[];
    parts[3] = "00000000-0000-4000-8000-000000000000";
    const forged = Buffer.from(JSON.stringify(parts), "utf8").toString("base64url");
    await expect(engine.completeCallback(order, forged, "decision" as never)).rejects.toBeInstanceOf(CallbackNotFoundError);
    await expect(engine.completeCallback(approval, "not-a-token", "decision", { approved: true })).rejects.toBeInstanceOf(
      CallbackNotFoundError,
    );
  });
});
