// The read commands against MemoryStore through a config module: list (filters, pages, the METRIC-named summary),
// describe, history, timeline and export (whose output replayHistory reads back). runCli imports the fixture config
// in-process, as the test does: both reach the same MemoryStore.
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, METRIC, silentLogger, step, workflow } from "spindle";
import type { ExecutionDescription, HistoryEvent } from "spindle";
import { METRIC as LAMBDA_METRIC } from "spindle/lambda";
import { formatTimeline, replayHistory } from "spindle/testing";
import { loadConfig } from "../../src/cli/config.js";
import { approval, flaky, order, store } from "./fixtures/spindle.config.js";
import { cli, FIXTURE_CONFIG, fixtureEngine, withConfig } from "./helpers.js";

const engine = fixtureEngine();

/** The same workflow name with another first step: replaying an `order` history with it is a NonDeterminismError. */
const orderV2 = workflow("order", async function* () {
  return yield* step("reserve-v2", () => "reserved");
});

beforeAll(async () => {
  for (const n of [1, 2, 3]) {
    await engine.start(order, { orderId: `o-${n}` }, { id: `read-order-${n}` });
    await engine.resume(`read-order-${n}`);
  }
  await engine.sendEvent("read-order-3", "paid", { ref: "r-3" });
  await engine.resume("read-order-3"); // completed
  await engine.start(flaky, undefined, { id: "read-flaky" });
  await engine.resume("read-flaky"); // failed: card declined
  await engine.start(approval, { requestId: "q-1" }, { id: "read-approval" }); // running, never turned: due now
  // A bad deploy that turned once with maxTurnFailures 1: read-order-2 is stuck.
  await engine.sendEvent("read-order-2", "paid", { ref: "r-2" });
  const bad = createEngine({ store, workflows: [orderV2], mode: "external", logger: silentLogger, maxTurnFailures: 1 });
  await expect(bad.resume("read-order-2")).rejects.toThrow(/not deterministic|NonDeterminism/i);
});

describe("the config module", () => {
  it("is the module the test imports: the CLI's store is the fixture's MemoryStore instance", async () => {
    const loaded = await loadConfig({ config: FIXTURE_CONFIG }, { cwd: "/", env: {} });
    expect(loaded.store).toBe(store);
    expect(loaded.workflows).toEqual([order, approval, flaky]);
    expect(loaded.source).toBe(FIXTURE_CONFIG);
  });

  it("is found from the working directory up when --config is not given", async () => {
    const run = await cli(["describe", "read-order-1", "--json"]); // cwd: test/cli/fixtures
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).id).toBe("read-order-1");
  });
});

describe("spindle list", () => {
  it("prints a table, newest first, and the summary under the metric names", async () => {
    const run = await withConfig("list");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+STATUS\s+UPDATED\s+WAKES\s+NOTE$/);
    const ids = lines.slice(1, -1).map((line) => line.split(/\s+/)[0]);
    expect(new Set(ids)).toEqual(new Set(["read-order-1", "read-order-2", "read-order-3", "read-flaky", "read-approval"]));
    expect(lines.find((line) => line.startsWith("read-order-1"))).toMatch(/order\s+suspended\s+.*waits for event 'paid'/);
    expect(lines.find((line) => line.startsWith("read-flaky"))).toMatch(/failed.*StepFailedError \(TerminalError: card declined\)$/);
    expect(lines.find((line) => line.startsWith("read-order-2"))).toMatch(/stuck.*1 failed turn: /);
    expect(lines.at(-1)).toBe(`${METRIC.stuck} 1  ${METRIC.dueBacklog} 1`);
  });

  it("--json prints the executions, the cursor and the summary keyed by the same names as spindle/lambda's METRIC", async () => {
    expect(LAMBDA_METRIC).toBe(METRIC);
    const run = await withConfig("list", "--json");
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as { executions: ExecutionDescription[]; summary: Record<string, unknown> };
    expect(output.summary).toEqual({ [LAMBDA_METRIC.stuck]: 1, [LAMBDA_METRIC.dueBacklog]: 1, capped: false });
    expect(output.executions.map((execution) => execution.id).sort()).toEqual(
      ["read-approval", "read-flaky", "read-order-1", "read-order-2", "read-order-3"],
    );
    expect(output.executions.find((execution) => execution.id === "read-approval")).toMatchObject({ status: "running", workflow: "approval" });
  });

  it("filters by workflow and status (repeated or comma-separated)", async () => {
    const byWorkflow = JSON.parse((await withConfig("list", "--workflow", "order", "--json")).stdout);
    expect(byWorkflow.executions.map((execution: ExecutionDescription) => execution.id).sort()).toEqual(["read-order-1", "read-order-2", "read-order-3"]);
    for (const argv of [["--status", "failed", "--status", "stuck"], ["--status", "failed,stuck"], ["-s", "failed", "-s", "stuck"]]) {
      const output = JSON.parse((await withConfig("list", ...argv, "--json")).stdout);
      expect(output.executions.map((execution: ExecutionDescription) => execution.id).sort()).toEqual(["read-flaky", "read-order-2"]);
    }
  });

  it("refuses a cursor the store did not give: exit 2 naming --cursor, nothing listed", async () => {
    for (const cursor of ["garbage", "zzz", ""]) {
      const run = await withConfig("list", "--cursor", cursor);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^spindle list: --cursor "[a-z]*": not a cursor this store gave\. Pass the one a 'more:' line .*\(USAGE\)\n$/);
    }
  });

  it("pages with --limit and --cursor, and says how to get the next page", async () => {
    const first = await withConfig("list", "--limit", "2");
    const more = first.stdout.split("\n").find((line) => line.startsWith("more:"));
    // The store's flags too: pasted, the line pages the same store.
    expect(more).toMatch(new RegExp(`^more: spindle list --limit 2 --config ${FIXTURE_CONFIG.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} --cursor \\S+$`));
    const pasted = await cli(more!.slice("more: spindle ".length).split(" "));
    expect(pasted.code, pasted.stderr).toBe(0);
    expect(pasted.stdout).not.toContain(first.stdout.split("\n")[1]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = JSON.parse((await withConfig("list", "--limit", "2", "--json", ...(cursor ? ["--cursor", cursor] : []))).stdout);
      expect(page.executions.length).toBeLessThanOrEqual(2);
      seen.push(...page.executions.map((execution: ExecutionDescription) => execution.id));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen.sort()).toEqual(["read-approval", "read-flaky", "read-order-1", "read-order-2", "read-order-3"]);
  });

  it("refuses a status, a limit or an option it does not know, with exit 2 and one line", async () => {
    for (const [argv, message] of [
      [["--status", "sleeping"], /--status sleeping: not a status\. Use one of running, suspended, stuck/],
      [["--limit", "0"], /--limit 0: give a whole number from 1 to 1000/],
      [["--limit", "ten"], /--limit ten/],
      [["--colour"], /unknown option '--colour'.*\. See spindle list --help/],
    ] as const) {
      const run = await withConfig("list", ...argv);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });
});

describe("spindle describe", () => {
  it("prints the execution's fields, and --json the engine's description", async () => {
    const text = await withConfig("describe", "read-order-1");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^id\s+read-order-1$/m);
    expect(text.stdout).toMatch(/^status\s+suspended$/m);
    expect(text.stdout).toMatch(/^input\s+\{"orderId":"o-1"\}$/m);
    expect(text.stdout).toMatch(/^waiting for\s+event 'paid' \[1\]$/m);
    const json = await withConfig("describe", "read-order-3", "--json");
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(await engine.describe("read-order-3"))));
    expect(JSON.parse(json.stdout).result).toEqual({ status: "paid", ref: "r-3" });
  });

  it("shows a failure, and a stuck execution's failed turns", async () => {
    const failed = (await withConfig("describe", "read-flaky")).stdout;
    expect(failed).toMatch(/^error\s+StepFailedError: .*card declined.*\(STEP_FAILED\)$/m);
    expect(failed).toMatch(/^cause\s+TerminalError: card declined \(TERMINAL\)$/m);
    expect((await withConfig("describe", "read-order-2")).stdout).toMatch(/^failed turns\s+1: .*\(NON_DETERMINISM\)$/m);
  });

  it("exits 3 for an execution that does not exist, with one line naming it", async () => {
    const run = await withConfig("describe", "no-such-execution");
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^spindle describe: .*'no-such-execution'.* \(EXECUTION_NOT_FOUND\)\n$/);
  });
});

describe("spindle history and timeline", () => {
  it("history prints one row per event; --json the events", async () => {
    const events = await engine.history("read-order-3");
    const run = await withConfig("history", "read-order-3");
    const rows = run.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^SEQ\s+AT\s+OP\s+EVENT\s+KIND\s+NAME$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[3])).toEqual(events.map((event) => event.type));
    expect(JSON.parse((await withConfig("history", "read-order-3", "--json")).stdout)).toEqual(events);
  });

  it("timeline prints formatTimeline's picture of the history", async () => {
    const run = await withConfig("timeline", "read-order-3");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${formatTimeline(await engine.history("read-order-3"))}\n`);
  });
});

describe("spindle export", () => {
  it("prints the events as the JSON array replayHistory reads back to the same outcome", async () => {
    const run = await withConfig("export", "read-order-3");
    expect(run.code).toBe(0);
    const exported = JSON.parse(run.stdout) as HistoryEvent[];
    expect(exported).toEqual(await engine.history("read-order-3"));
    expect(await replayHistory(order, exported)).toMatchObject({ executionId: "read-order-3", events: exported.length, outcome: "completed" });
    // A suspended execution's export replays too, and today's changed code is caught on it.
    const open = JSON.parse((await withConfig("export", "read-order-1")).stdout) as HistoryEvent[];
    expect((await replayHistory(order, open)).outcome).toBe("waiting");
    await expect(replayHistory(orderV2, open)).rejects.toThrow(/reserve/);
  });

  it("has the shape of the golden histories: two-space JSON, one event object per element", async () => {
    const run = await withConfig("export", "read-order-1");
    expect(run.stdout).toBe(`${JSON.stringify(await engine.history("read-order-1"), null, 2)}\n`);
    expect(run.stdout.startsWith('[\n  {\n    "type": "ExecutionStarted",')).toBe(true);
  });
});
