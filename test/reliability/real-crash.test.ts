// CI sample of the real-crash scenario: child node processes running workflows on DynamoDB Local, killed with SIGKILL
// 20 times at seeded random moments, then a fresh process finishes every execution; every result right, no history
// forked, nothing left leased, no step run beyond what the kills explain, no at-most-once step run twice
// (`npm run reliability` kills 120). And the checker itself: it finds a step run twice by a process nobody killed, and
// a step run after its completion was written.
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { createEngine, MemoryStore, silentLogger } from "spindle";
import { loggingStore, logWriter } from "./crash/log.js";
import { verifyCrashRun } from "./crash/verify.js";
import { CRASH_WORKFLOWS, onEffect, workflowOf } from "./crash/workflows.js";
import { realCrash } from "./scenarios/real-crash.js";

describe("processes killed with SIGKILL at random moments", () => {
  it("leave every execution to finish with the right result, nothing forked or leased, no step beyond the contract", async () => {
    const result = await realCrash({ endpoint: inject("dynamodbEndpoint"), kills: 20, seed: 20261 });
    expect(result.violations).toEqual([]);
    expect(result.figures.kills).toBe(20);
    // Some kills land inside a step (how many depends on the machine's load: 2 of 20 on a loaded 2-core run).
    expect(result.figures["killed processes that had started a step"]).toBeGreaterThan(0);
  }, 300_000);
});

describe("the real-crash checker", () => {
  /** A crash-chain execution run in this process on a MemoryStore, logged as a child process logs it (as pid 1). */
  async function cleanRun() {
    const dir = mkdtempSync(join(tmpdir(), "spindle-crash-check-"));
    const fd = openSync(join(dir, "1.log"), "a");
    const write = logWriter(fd, 1);
    onEffect((context, step) => write({ t: "effect", key: context.idempotencyKey, attempt: context.attempt, step }));
    const store = loggingStore(new MemoryStore(), write);
    const engine = createEngine({ store, workflows: CRASH_WORKFLOWS, mode: "external", logger: silentLogger });
    const executions = [{ id: "check-chain", kind: "crash-chain" as const, n: 2 }];
    for (const { id, kind, n } of executions) {
      await engine.start(workflowOf(kind), { n } as never, { id });
      while ((await store.get(id))!.status !== "completed") await engine.resume(id);
    }
    closeSync(fd);
    onEffect(() => {});
    return { store, logDir: dir, executions, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  /** Adds an effect line of step add-1, attempt 1, from process `pid` at time `at`. */
  async function extraRun(run: Awaited<ReturnType<typeof cleanRun>>, pid: number, at: number) {
    const page = (await run.store.load("check-chain"))!;
    const step = page.events.find((event) => (event as { name?: string }).name === "add-1") as { opId: string };
    const key = `check-chain:${page.record.runId}:${step.opId}`;
    appendFileSync(join(run.logDir, `${pid}.log`), `${JSON.stringify({ t: "effect", key, attempt: 1, step: "add-1", pid, at })}\n`);
  }

  it("passes a clean run, and finds a step attempt run again by a process nobody killed or after its completion", async () => {
    const run = await cleanRun();
    try {
      const clean = await verifyCrashRun({ ...run, killed: new Set() });
      expect(clean.violations).toEqual([]);
      await extraRun(run, 2, 0);
      const twice = await verifyCrashRun({ ...run, killed: new Set() });
      expect(twice.violations.join("\n")).toMatch(/'add-1' attempt 1 ran 2 times/);
      // The same extra run is allowed when its process was killed before recording it...
      expect((await verifyCrashRun({ ...run, killed: new Set([2]) })).violations).toEqual([]);
      // ...but not when it started after the completion was written.
      await extraRun(run, 3, Date.now() + 60_000);
      const late = await verifyCrashRun({ ...run, killed: new Set([2, 3]) });
      expect(late.violations.join("\n")).toMatch(/ran after its completion was written/);
    } finally {
      run.cleanup();
    }
  });
});
