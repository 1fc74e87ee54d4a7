// An engine under a test's fake timers: at epoch 0 (where ulid's own factory fails with a TypeError on its first id)
// and before it, executions get ids and run; turns past the first 16 still start (slots.ts takes setImmediate from
// node:timers, which fake timers leave alone).
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEngine, MemoryStore, silentLogger, step, workflow } from "spindle";

const echo = workflow("echo", async function* (input: { n: number }) {
  return yield* step("echo", () => input.n);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("an engine under fake timers", () => {
  for (const now of [0, -86_400_000]) {
    it(`starts and runs executions with the clock at ${now} ms`, async () => {
      vi.useFakeTimers({ now, toFake: ["Date", "setTimeout", "setInterval", "setImmediate"] });
      const engine = createEngine({ store: new MemoryStore(), workflows: [echo], logger: silentLogger });
      const runs = await Promise.all(Array.from({ length: 40 }, (_, n) => engine.start(echo, { n })));
      expect(new Set(runs.map((run) => run.id)).size).toBe(40);
      expect(runs.every((run) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(run.id))).toBe(true);
      expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 40 }, (_, n) => n));
      await engine.close();
    });
  }
});
