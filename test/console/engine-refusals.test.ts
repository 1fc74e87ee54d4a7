// The console answers an engine's refusal with that error's name, code and message and a 4xx status: a resume whose
// code no longer matches the history (409 NON_DETERMINISM), and a list cursor the store did not make (400
// VALIDATION, never the first page again).
import { afterEach, describe, expect, it } from "vitest";
import type { AnyWorkflow } from "../../src/index.js";
import { createEngine, MemoryStore, silentLogger, step, workflow } from "../../src/index.js";
import type { RunningConsole } from "../../src/console/index.js";
import { startConsole } from "../../src/console/index.js";

type Refusal = { error: { name: string; code: string; message: string } };

describe("console: an engine's refusal keeps its name, code and message", () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });

  async function consoleOver(store: MemoryStore, workflows: readonly AnyWorkflow[]): Promise<RunningConsole> {
    const running = await startConsole({ store, workflows, port: 0, allowActions: true });
    closing.push(() => running.close());
    return running;
  }

  it("answers a resume that hits a NonDeterminismError with 409 and the error, not 500", async () => {
    const store = new MemoryStore();
    const before = workflow("ledger", async function* (_input: { id: string }, ctx) {
      yield* step("reserve", () => ({ reserved: true }));
      return yield* ctx.waitForEvent("go", { timeout: "1h" });
    });
    const after = workflow("ledger", async function* (_input: { id: string }, ctx) {
      yield* step("reserve-v2", () => ({ reserved: true }));
      return yield* ctx.waitForEvent("go", { timeout: "1h" });
    });
    const app = createEngine({ store, workflows: [before], mode: "external", logger: silentLogger });
    closing.push(() => app.close());
    await app.start(before, { id: "l-1" }, { id: "ledger-1" });
    await app.resume("ledger-1");
    const length = (await app.history("ledger-1")).length;

    const running = await consoleOver(store, [after]);
    const answer = await fetch(`${running.url}api/executions/ledger-1/resume`, {
      method: "POST",
      headers: { "x-spindle-secret": running.secret, "content-type": "application/json" },
      body: "{}",
    });
    expect(answer.status).toBe(409);
    const refusal = ((await answer.json()) as Refusal).error;
    expect(refusal).toMatchObject({ name: "NonDeterminismError", code: "NON_DETERMINISM" });
    expect(refusal.message).toContain("reserve");
    expect((await app.history("ledger-1")).length).toBe(length);
  });

  it("answers a list cursor the store did not make with 400 and the store's ValidationError, filtered or not", async () => {
    const store = new MemoryStore();
    const note = workflow("note", async function* (input: { text: string }) {
      return yield* step("keep", () => input.text);
    });
    const app = createEngine({ store, workflows: [note], mode: "external", logger: silentLogger });
    closing.push(() => app.close());
    for (const id of ["note-1", "note-2", "note-3"]) await app.start(note, { text: id }, { id });
    const running = await consoleOver(store, [note]);
    const first = (await (await fetch(`${running.url}api/executions?limit=2`)).json()) as { executions: unknown[]; cursor?: string };
    expect(first.executions).toHaveLength(2);
    const next = await fetch(`${running.url}api/executions?limit=2&cursor=${encodeURIComponent(first.cursor!)}`);
    expect(((await next.json()) as { executions: { id: string }[] }).executions.map((execution) => execution.id)).toEqual(["note-1"]);
    for (const query of ["cursor=zzz", "limit=2&cursor=zzz", "customStatus=x&cursor=zzz", `cursor=${encodeURIComponent(`${first.cursor!}x`)}`]) {
      const answer = await fetch(`${running.url}api/executions?${query}`);
      expect(answer.status).toBe(400);
      const refusal = ((await answer.json()) as Refusal).error;
      expect(refusal).toMatchObject({ name: "ValidationError", code: "VALIDATION" });
      expect(refusal.message).toContain("cursor");
    }
  });
});
