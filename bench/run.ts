// `npm run bench` runs every benchmark; `npm run bench -- B1 B3` runs only those. Prints a header (Node, CPU) and one
// table per benchmark with each figure's target and a PASS/MISS column. Exits 0 when targets are missed (they are
// reported); exits 1 only when a benchmark could not run at all. With `--json`, stdout carries only JSON lines, one
// object per measured row ({ id, benchmark, name, figures, target, result }); the header and tables go to stderr.
import os from "node:os";
import { benchSteps } from "./b1-steps.js";
import { benchReplay } from "./b2-replay.js";
import { benchTestEngine } from "./b3-test-engine.js";
import { benchFanOut } from "./b4-fanout.js";
import { benchAll } from "./b5-all.js";
import { benchMap } from "./b6-map.js";
import { benchChildren } from "./b7-children.js";
import { benchDynamoSteps } from "./b8-dynamodb-steps.js";
import { benchDynamoWorkflow } from "./b8b-dynamodb-workflow.js";
import { benchDynamoResume } from "./b9-dynamodb-resume.js";
import { benchLambdaImport } from "./b10-lambda-import.js";
import { benchWakeups } from "./b11-wakeups.js";
import { benchDag } from "./b12-dag.js";
import { benchScheduleCatchup } from "./b12-schedules.js";
import { benchBacklog } from "./b13-backlog.js";
import type { BenchReport } from "./table.js";
import { printReport, toJsonRows } from "./table.js";
import { gc, now } from "./util.js";

const BENCHMARKS: Record<string, () => Promise<BenchReport>> = {
  B1: benchSteps,
  B2: benchReplay,
  B3: benchTestEngine,
  B4: benchFanOut,
  B5: benchAll,
  B6: benchMap,
  B7: benchChildren,
  B8: benchDynamoSteps,
  B8B: benchDynamoWorkflow,
  B9: benchDynamoResume,
  B10: benchLambdaImport,
  B11: benchWakeups,
  B12D: benchDag,
  B12S: benchScheduleCatchup,
  B13: benchBacklog,
};

/** Set with --json: prints a report's rows as JSON lines on stdout. */
let emitJson: ((report: BenchReport) => void) | undefined;
/** Set with --json: prints a benchmark that could not run as a JSON line. */
let emitFailure: ((id: string, message: string) => void) | undefined;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  if (json) {
    // Nothing but JSON lines on stdout: everything printed with console.log (the tables, the header) goes to stderr.
    const writeLine = (line: string) => process.stdout.write(line + "\n");
    console.log = (...parts: unknown[]) => console.error(...parts);
    emitJson = (report) => {
      for (const row of toJsonRows(report)) writeLine(JSON.stringify(row));
    };
    emitFailure = (id, message) => writeLine(JSON.stringify({ id, name: "could not run", error: message, result: "MISS" }));
  }
  const wanted = args.filter((arg) => arg !== "--json").map((arg) => arg.toUpperCase());
  const unknown = wanted.filter((id) => !(id in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Available: ${Object.keys(BENCHMARKS).join(", ")}.`);
    process.exitCode = 2;
    return;
  }
  const selected = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
  const cpus = os.cpus();
  console.log("Spindle benchmarks");
  console.log(`  node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}`);
  console.log(`  cpu  ${cpus[0]?.model.trim() ?? "unknown"} x ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM`);
  console.log(`  load ${os.loadavg().map((load) => load.toFixed(2)).join(" ")} (1/5/15 min; other processes on this machine skew the figures)`);
  console.log(`  gc   ${gc ? "exposed (heap settled before measuring)" : "not available (heap figures are rough)"}`);
  console.log(`  run  ${selected.join(", ")}  (${new Date().toISOString()})`);

  const tally = { PASS: 0, MISS: 0 };
  const started = now();
  for (const id of selected) {
    try {
      const report = await BENCHMARKS[id]!();
      printReport(report);
      emitJson?.(report);
      for (const verdict of report.verdicts) if (verdict !== "-") tally[verdict]++;
    } catch (error) {
      console.error(`\n${id} could not run: ${(error as Error)?.stack ?? String(error)}`);
      emitFailure?.(id, (error as Error)?.message ?? String(error));
      process.exitCode = 1;
    }
  }
  console.log(`\n${tally.PASS} PASS, ${tally.MISS} MISS in ${((now() - started) / 1000).toFixed(1)} s`);
}

await main();
