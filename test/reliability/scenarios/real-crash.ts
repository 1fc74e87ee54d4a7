// Scenario: real crashes. Child node processes (crash/child.ts, bundled once) run the crash workflows on one
// DynamoDB Local table, and this process kills them with SIGKILL at seeded random moments after they start working:
// no finally, no flush, a connection cut mid-request. Before each worker starts, a few new executions are started
// (so kills keep landing on work in progress); `parallel` workers live at once. After the last kill a fresh process,
// never killed, finishes every execution (resumeDue in a loop, waiting out the dead processes' leases). Then
// crash/verify.ts checks the results, the histories and the effect ledger the processes kept in their log files.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, silentLogger } from "spindle";
import { createTable, DynamoDBStore } from "spindle/dynamodb";
import { localClient } from "../../../examples/dynamodb-local/local-server.js";
// The test kit's seeded generator is not public; the reliability suite already reaches into src for its hooks.
import { seededRandom } from "../../../src/testing/seeded.js";
import { buildChild } from "../crash/bundle.js";
import { verifyCrashRun } from "../crash/verify.js";
import type { CrashKind } from "../crash/workflows.js";
import { CRASH_KINDS, CRASH_WORKFLOWS, workflowOf } from "../crash/workflows.js";
import type { ScenarioResult } from "../report.js";
import { newResult } from "../report.js";

/** Options of the real-crash scenario. */
export interface RealCrashOptions {
  /** DynamoDB Local's endpoint. */
  endpoint: string;
  /** Processes to kill. */
  kills: number;
  seed: number;
  /** Workers alive at once. Default 2. */
  parallel?: number;
  /** Executions started before each worker. Default 3. */
  perWorker?: number;
  /**
   * A worker is killed this long after it said it is ready, uniformly in [min, max] ms (widened while kills find no
   * step started). Default [0, 700].
   */
  killAfterMs?: readonly [number, number];
  /** How long the finisher may take. Default 180 s. */
  finishTimeoutMs?: number;
}

/** A started child process and what it said. */
interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
}

/** Kills workers `kills` times, lets a fresh process finish, and checks everything. */
export async function realCrash(options: RealCrashOptions): Promise<ScenarioResult> {
  const result = newResult("real crash: SIGKILLed processes", "DynamoDBStore", `seed ${options.seed}`);
  result.note =
    `Child node processes (an esbuild bundle of test/reliability/crash/child.ts) run ${CRASH_KINDS.length} kinds of workflow ` +
    "(sequential steps, a parallel group, a retried step, a durable sleep, a child workflow, an event sent before the wait, " +
    "an at-most-once payout) on one DynamoDB Local table, with resumeDue in a loop; the parent starts a few executions " +
    "before each worker and kills it with SIGKILL at a seeded random moment after it is ready. A fresh process then " +
    "finishes every execution. Checked: each execution (and child) completed with the result its input gives; every " +
    "history passes checkHistory and holds every event any process saw accepted, at its place (no fork, no lost " +
    "write); nothing is left leased; in the effect ledger (every step logs its idempotency key and attempt before its " +
    "work), no process ran an attempt twice, an attempt ran at most once more than recorded for each killed process " +
    "that ran it, none started after its completion was written, the at-most-once step never ran twice; no turn failed " +
    "with anything but a lost race.";
  const began = Date.now();
  const bundle = await buildChild();
  const client = localClient(options.endpoint, { maxAttempts: 3 });
  const tableName = `reliability-crash-${process.pid}-${Date.now().toString(36)}`;
  await createTable(client, tableName);
  const store = new DynamoDBStore({ client, tableName });
  // The parent only starts executions and sends their events; it never runs a turn.
  const engine = createEngine({ store, workflows: CRASH_WORKFLOWS, mode: "external", logger: silentLogger });
  const logDir = mkdtempSync(join(tmpdir(), "spindle-crash-log-"));
  const executions: { id: string; kind: CrashKind; n: number }[] = [];
  const killed = new Set<number>();
  const kinds = seededRandom(options.seed);
  const parallel = options.parallel ?? 2;
  const [minKill, maxKill] = options.killAfterMs ?? [0, 700];
  const childEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", SPINDLE_CRASH_ENDPOINT: options.endpoint, SPINDLE_CRASH_TABLE: tableName, SPINDLE_CRASH_LOG_DIR: logDir };
  const launch = (role: "worker" | "finisher", extra: Record<string, string> = {}) => startChild(bundle.file, { ...childEnv, SPINDLE_CRASH_ROLE: role, ...extra });

  let numbered = 0;
  const startSome = async (count: number) => {
    for (let i = 0; i < count; i++) {
      // Kind and number are taken together, before any await: the two slots start executions concurrently.
      const kind = CRASH_KINDS[Math.floor(kinds() * CRASH_KINDS.length)]!;
      const n = ++numbered;
      const id = `crash-${options.seed}-${n}`;
      await engine.start(workflowOf(kind), { n } as never, { id });
      if (kind === "crash-event") await engine.sendEvent(id, "go", { n }, { idempotencyKey: `go-${id}` });
      executions.push({ id, kind, n });
    }
  };

  let planned = 0;
  let widest = 1;
  const slot = async (index: number) => {
    const delays = seededRandom(options.seed * 1000 + index);
    // On a loaded machine a worker may need longer than the window to reach its first step: a kill that found no step
    // started widens the window (up to 8 times), one that found steps narrows it back.
    let scale = 1;
    while (planned < options.kills) {
      planned++;
      await startSome(options.perWorker ?? 3);
      const worker = launch("worker");
      await worker.ready;
      await pause((minKill + delays() * (maxKill - minKill)) * scale);
      worker.process.kill("SIGKILL");
      await worker.exited;
      killed.add(worker.process.pid!);
      const stepped = readFileSync(join(logDir, `${worker.process.pid}.log`), "utf8").includes('"t":"effect"');
      scale = stepped ? Math.max(1, scale / 1.25) : Math.min(8, scale * 1.5);
      widest = Math.max(widest, scale);
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, (_, index) => slot(index)));
    const killedAt = Date.now();
    const idsFile = join(logDir, "ids.txt");
    writeFileSync(idsFile, executions.map((e) => e.id).join("\n"));
    // The ids file sits next to the logs; it is not a log.
    const finisher = launch("finisher", { SPINDLE_CRASH_IDS: idsFile });
    const timeout = options.finishTimeoutMs ?? 180_000;
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([finisher.exited, new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeout)))]);
    clearTimeout(timer);
    if (code === "timeout") {
      finisher.process.kill("SIGKILL");
      result.violations.push(`the finisher did not finish every execution within ${timeout / 1000} s`);
    } else if (code !== 0) {
      result.violations.push(`the finisher exited with ${code}: ${finisher.output().slice(-500)}`);
    }
    result.figures["finisher time (s)"] = Number(((Date.now() - killedAt) / 1000).toFixed(1));
    rmSync(idsFile);
    const findings = await verifyCrashRun({ store, logDir, executions, killed });
    result.violations.push(...findings.violations);
    result.figures = { kills: killed.size, "executions started": executions.length, ...findings.figures, ...result.figures };
    result.executions = findings.figures["executions (children included)"] ?? executions.length;
    result.faults = killed.size;
  } finally {
    rmSync(logDir, { recursive: true, force: true });
    bundle.remove();
    client.destroy();
  }
  result.seeds = `seed ${options.seed}, ${killed.size} kills`;
  result.figures["kill moment after the worker is ready (ms)"] = `${minKill}..${maxKill}${widest > 1 ? `, widened up to ×${widest.toFixed(1)} under load` : ""}`;
  result.figures["workers alive at once"] = parallel;
  result.figures["run time (s)"] = Number(((Date.now() - began) / 1000).toFixed(1));
  return result;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startChild(bundle: string, env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [bundle], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let markReady!: () => void;
  let fail!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  ready.catch(() => {}); // the finisher's readiness is not awaited: its exit code tells
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4000);
    if (output.includes("ready\n")) markReady();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      fail(new Error(`a crash child exited (${code}) before it was ready: ${output.slice(-500)}`));
      resolve(code);
    }),
  );
  return { process: child, ready, exited, output: () => output };
}
