// `spindle check` on MemoryStore through a config module (test/check/fixtures/spindle.config.ts, whose build each
// test sets): exit 0 when every open execution replays, 1 on a divergence named with its first differing operation
// and both sides, --json, --workflow, --status, --from a folder written by `spindle export`, the patch report, the
// progress bar (only on a terminal, never with --json), and the refusals (no workflows, a bad status).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { AnyWorkflow } from "spindle";
import { createEngine, patched, silentLogger, step, waitForEvent, workflow } from "spindle";
import type { CheckReport } from "spindle/testing";
import { runCli } from "../../src/cli/run.js";
import { build, store } from "../check/fixtures/spindle.config.js";
import { cli } from "./helpers.js";
import { notifyBefore, notifyPatched } from "../check/fixtures/notify.js";

const CONFIG = fileURLToPath(new URL("../check/fixtures/spindle.config.ts", import.meta.url));

/** `spindle check <argv>` with the fixture config and `workflows` as the build. */
function check(workflows: AnyWorkflow[], ...argv: string[]) {
  build.workflows = workflows;
  return cli(["check", ...argv, "--config", CONFIG]);
}

const shipping = (second: string) =>
  workflow("shipping", async function* () {
    yield* step("pack", () => "packed");
    yield* step(second, () => second);
    yield* waitForEvent("picked-up");
    return "shipped";
  });
const recorded = shipping("label");
const renamed = shipping("print-label");

const engine = createEngine({ store, workflows: [recorded], mode: "external", logger: silentLogger });

beforeAll(async () => {
  for (const id of ["ship-1", "ship-done"]) {
    await engine.start(recorded, undefined, { id });
    await engine.resume(id);
  }
  await engine.sendEvent("ship-done", "picked-up", null);
  await engine.resume("ship-done");
});

describe("spindle check against the store", () => {
  it("exits 0 when every open execution replays on the build", async () => {
    const run = await check([recorded], "--workflow", "shipping");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`OK: all 1 history from the store (${CONFIG}) replay on this build.\n`);
    expect(run.stderr).toBe("");
  });

  it("exits 1 naming the execution, its first differing operation and both sides", async () => {
    const run = await check([renamed], "--workflow", "shipping");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      [
        "DIVERGED  ship-1 (shipping) at operation #1",
        "  recorded: step 'label'",
        "  now:      step 'print-label'",
        "",
        `FAILED: 1 diverged, 0 replayed, of 1 history from the store (${CONFIG}). Deploying this build would break the executions named above.`,
        "",
      ].join("\n"),
    );
  });

  it("prints the report as JSON with --json", async () => {
    const run = await check([renamed], "--workflow", "shipping", "--json");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report).toMatchObject({ ok: false, checked: 1, diverged: 1, source: `store (${CONFIG})` });
    expect(report.executions).toEqual([
      {
        executionId: "ship-1",
        workflow: "shipping",
        status: "diverged",
        opId: "1",
        expected: { kind: "step", name: "label", text: "step 'label'" },
        found: { kind: "step", name: "print-label", text: "step 'print-label'" },
        message: expect.stringContaining("is not deterministic at operation #1"),
      },
    ]);
  });

  it("checks closed executions asked for with --status, and refuses a status that does not exist", async () => {
    const run = await check([renamed], "--workflow", "shipping", "--status", "completed", "--json");
    expect(JSON.parse(run.stdout)).toMatchObject({ checked: 1, executions: [{ executionId: "ship-done", status: "diverged" }] });
    const bad = await check([renamed], "--status", "asleep");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^spindle check: --status "asleep" is not a status\. Statuses: running, suspended, stuck, /);
  });

  it("fails the gate for an open execution whose workflow the build no longer has", async () => {
    const run = await check([workflow("other", async function* () {})], "--workflow", "shipping");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ERROR {5}ship-1 \(shipping\): WORKFLOW_NOT_FOUND: the new build has no workflow 'shipping' \(it has 'other'\)/);
  });

  it("refuses --workflow naming no workflow of the build and no execution (a typo), exit 2", async () => {
    const run = await check([recorded], "--workflow", "shiping");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "spindle check: --workflow shiping: the config's build has no workflow of that name (it has 'shipping'), and the store holds no execution of it. Check the name. (USAGE)\n",
    );
  });

  it("refuses --from that is not a folder, naming --from, exit 2", async () => {
    const missing = await check([recorded], "--from", "no/such/folder");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^spindle check: --from no\/such\/folder: no such folder \(looked for .*no\/such\/folder\)\. .*\(USAGE\)\n$/);
    const file = await check([recorded], "--from", CONFIG);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/^spindle check: --from .*spindle\.config\.ts: .* is a file, not a folder\. .*\(USAGE\)\n$/);
  });

  it("refuses to run without workflows in the config, exit 4", async () => {
    const run = await check([]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^spindle check: check replays your workflow code, and none is configured: .*\(NO_WORKFLOWS\)\n$/);
  });
});

describe("spindle check --from a folder of exports", () => {
  it("checks what spindle export wrote, naming the file", async () => {
    const folder = await mkdtemp(join(tmpdir(), "spindle-cli-check-"));
    try {
      build.workflows = [recorded];
      for (const id of ["ship-1", "ship-done"]) {
        const exported = await cli(["export", id, "--config", CONFIG]);
        expect(exported.code, exported.stderr).toBe(0);
        await writeFile(join(folder, `${id}.json`), exported.stdout);
      }
      const passing = await check([recorded], "--from", folder);
      expect(passing.code, passing.stdout).toBe(0);
      expect(passing.stdout).toBe(`OK: all 2 histories from the folder ${folder} replay on this build.\n`);
      const failing = await check([renamed], "--from", folder, "--json");
      expect(failing.code).toBe(1);
      const report = JSON.parse(failing.stdout) as CheckReport;
      expect(report.executions.map((result) => [result.file, result.status])).toEqual([
        ["ship-1.json", "diverged"],
        ["ship-done.json", "diverged"],
      ]);
      const mixed = await check([recorded], "--from", folder, "--status", "failed");
      expect(mixed.code).toBe(2);
      // A config with workflows and no store is enough over a folder (a CI job with no table).
      build.workflows = [recorded];
      const workflowsOnly = fileURLToPath(new URL("../check/fixtures/workflows-only.config.ts", import.meta.url));
      const alone = await cli(["check", "--from", folder, "--config", workflowsOnly]);
      expect(alone.code, alone.stderr).toBe(0);
      expect(alone.stdout).toBe(`OK: all 2 histories from the folder ${folder} replay on this build.\n`);
      // The store is still needed without --from, and the message says so.
      const noStore = await cli(["check", "--config", workflowsOnly]);
      expect(noStore.code).toBe(4);
      expect(noStore.stderr).toContain("exports no store");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("the patch report", () => {
  const before = notifyBefore;
  const after = notifyPatched;

  it("lists the executions still on a patch's old branch, then says the old branch is safe to remove", async () => {
    const old = createEngine({ store, workflows: [before], mode: "external", logger: silentLogger });
    await old.start(before, undefined, { id: "notify-old" });
    await old.resume("notify-old");
    const keep = await check([after], "--workflow", "notify");
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain("patched() ids:\n  sms  1 execution still runs the old branch (notify-old; 0 on the new one): keep it\n");
    const current = createEngine({ store, workflows: [after], mode: "external", logger: silentLogger });
    await current.sendEvent("notify-old", "go", null);
    await current.resume("notify-old");
    await current.start(after, undefined, { id: "notify-new" });
    await current.resume("notify-new");
    const safe = await check([after], "--workflow", "notify");
    expect(safe.stdout).toContain("  sms  no execution runs the old branch (1 on the new one): safe to remove the old branch (deprecatePatch)\n");
  });
});

describe("the progress bar", () => {
  const bulk = workflow("bulk", async function* () {
    yield* waitForEvent("go");
  });

  beforeAll(async () => {
    const bulkEngine = createEngine({ store, workflows: [bulk], mode: "external", logger: silentLogger });
    for (let index = 0; index < 30; index++) {
      await bulkEngine.start(bulk, undefined, { id: `bulk-${index}` });
      await bulkEngine.resume(`bulk-${index}`);
    }
  });

  async function run(isTTY: boolean, ...argv: string[]) {
    build.workflows = [bulk];
    let stdout = "";
    let stderr = "";
    const code = await runCli(["check", "--workflow", "bulk", "--config", CONFIG, ...argv], {
      stdout: { write: (text: string) => void (stdout += text) },
      stderr: { write: (text: string) => void (stderr += text), isTTY, columns: 60 },
      env: {},
    });
    return { code, stdout, stderr };
  }

  it("draws on a terminal's stderr as executions are checked, and clears itself before the report", async () => {
    const { code, stdout, stderr } = await run(true);
    expect(code).toBe(0);
    // 60 columns leave a 36-character bar: the first execution fills one 36th of it.
    expect(stderr).toMatch(/^\rchecking \[#-{35}\] {2}1\/30 {3}3%\r/);
    expect(stderr).toContain(`\rchecking [${"#".repeat(36)}] 30/30 100%`);
    expect(stderr.endsWith("\r\u001b[2K")).toBe(true);
    expect(stdout).toBe("OK: all 30 histories from the store (" + CONFIG + ") replay on this build.\n");
  });

  it("stays silent when stderr is not a terminal, and with --json", async () => {
    expect((await run(false)).stderr).toBe("");
    const json = await run(true, "--json");
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, checked: 30 });
  });
});
