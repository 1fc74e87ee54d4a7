// B10: the cold start Spindle adds to a Lambda function. Bundles two Lambda entries with esbuild, minified for Node
// as `sam build` does: one that builds a handler (spindle + spindle/dynamodb + spindle/lambda, with zod and the AWS
// SDK), and a baseline that loads only zod and the AWS SDK's DynamoDB clients. Figures: the size of Spindle's own
// code (the full bundle with zod and the SDK left out) and the size the full bundle adds to the baseline; the time
// from process start to handler ready for both bundles in fresh Node processes (medians, runs interleaved); and,
// because two process-start medians differ by more than their noise on a shared machine, the time Spindle's own
// bundle takes to load and build its handler in a fresh process once zod and the SDK are loaded (what it adds).
// Targets: Spindle's own code adds <= 10 ms and <= 60 KB minified.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchReport } from "./table.js";
import { atMost, num } from "./table.js";
import { median } from "./util.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNS = 15;
const TARGET_MS = 10;
const TARGET_KB = 60;

/** A Lambda entry as a user writes it: client, store, engine and handler built at module scope. */
const FULL_ENTRY = `
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createEngine, step, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler } from "spindle/lambda";
const hello = workflow("hello", async function* () { return yield* step("greet", () => "hi"); });
const store = new DynamoDBStore({ client: new DynamoDBClient({ region: "eu-west-1" }), tableName: "spindle" });
export const handler = createLambdaHandler(createEngine({ store, workflows: [hello], mode: "external" }), { log: false });
console.log(JSON.stringify({ loadedMs: performance.now(), ok: typeof handler === "function" }));
`;

/** The same function without Spindle: zod and the DynamoDB clients, used so nothing is shaken out. */
const BASE_ENTRY = `
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
const schema = z.object({ action: z.string() });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "eu-west-1" }));
export const handler = async (event) => doc.send(new QueryCommand({ TableName: "t", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": schema.parse(event).action } }));
console.log(JSON.stringify({ loadedMs: performance.now(), ok: typeof handler === "function" }));
`;

export async function benchLambdaImport(): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), "spindle-b10-"));
  try {
    const full = await bundle(dir, "full", FULL_ENTRY, []);
    const base = await bundle(dir, "base", BASE_ENTRY, []);
    const own = await bundle(dir, "own", FULL_ENTRY, ["zod", "@aws-sdk/*"]);
    const times = { full: [] as number[], base: [] as number[], own: [] as number[], deps: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      times.base.push(loadTime([base.file]).loadedMs);
      times.full.push(loadTime([full.file]).loadedMs);
      const split = loadTime(["--deps-then", own.file]);
      times.deps.push(split.deps!);
      times.own.push(split.loadedMs);
    }
    const added = median(times.own);
    const ownKb = own.bytes / 1024;
    const addedKb = (full.bytes - base.bytes) / 1024;
    return {
      id: "B10",
      title: `cold import of a Lambda entry (esbuild bundle, minified, node20), ${RUNS} fresh processes each`,
      headers: ["figure", "value", "target", "verdict"],
      rows: [
        ["baseline bundle: zod + AWS SDK DynamoDB clients", `${num(base.bytes / 1024, 1)} KB`, "", "-"],
        ["full bundle: + spindle, spindle/dynamodb, spindle/lambda", `${num(full.bytes / 1024, 1)} KB`, "", "-"],
        ["Spindle's own code (zod and the SDK left out)", `${num(ownKb, 1)} KB`, `<= ${TARGET_KB} KB`, atMost(ownKb, TARGET_KB)],
        ["size the full bundle adds to the baseline", `${num(addedKb, 1)} KB`, `<= ${TARGET_KB} KB`, atMost(addedKb, TARGET_KB)],
        ["process start to handler ready, baseline (median)", `${num(median(times.base), 1)} ms`, "", "-"],
        ["process start to handler ready, full (median)", `${num(median(times.full), 1)} ms`, "", "-"],
        ["loading zod + the SDK clients alone (median)", `${num(median(times.deps), 1)} ms`, "", "-"],
        ["then Spindle's bundle to handler ready (median): what it adds", `${num(added, 1)} ms`, `<= ${TARGET_MS} ms`, atMost(added, TARGET_MS)],
      ],
      verdicts: ["-", "-", atMost(ownKb, TARGET_KB), atMost(addedKb, TARGET_KB), "-", "-", "-", atMost(added, TARGET_MS)],
      notes: [
        "Times are taken inside each process with performance.now(), so Node's own start is in the process-start figures.",
        `Process start to handler ready, fastest runs: baseline ${num(Math.min(...times.base), 1)} ms, full ${num(Math.min(...times.full), 1)} ms.`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bundle(dir: string, name: string, source: string, external: string[]): Promise<{ file: string; bytes: number }> {
  const entry = join(dir, `${name}-entry.mjs`);
  const file = join(dir, `${name}.cjs`);
  writeFileSync(entry, source);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external,
    // The package's public names, resolved to the sources as tsconfig's paths do.
    alias: {
      spindle: join(ROOT, "src/index.ts"),
      "spindle/store": join(ROOT, "src/store/index.ts"),
      "spindle/dynamodb": join(ROOT, "adapters/dynamodb/index.ts"),
      "spindle/lambda": join(ROOT, "adapters/lambda/index.ts"),
    },
    nodePaths: [join(ROOT, "node_modules")],
    logLevel: "error",
  });
  return { file, bytes: statSync(file).size };
}

/**
 * Loads zod and the SDK's DynamoDB clients (what Spindle's bundle leaves external), then the bundle, and prints the
 * ms each took: run by `loadTime(["--deps-then", file])` in a fresh process.
 */
const SPLIT_LOADER = `
const t0 = performance.now();
require("zod"); require("@aws-sdk/client-dynamodb"); require("@aws-sdk/lib-dynamodb");
const t1 = performance.now();
const out = []; const log = console.log; console.log = (line) => out.push(line);
require(process.argv[1]);
console.log = log;
const { ok } = JSON.parse(out.at(-1));
console.log(JSON.stringify({ deps: t1 - t0, loadedMs: performance.now() - t1, ok }));
`;

/** Runs a bundle in a fresh Node process: ms from process start to handler ready (or the split of the two loads). */
function loadTime(args: string[]): { loadedMs: number; deps?: number } {
  const argv = args[0] === "--deps-then" ? ["-e", SPLIT_LOADER, args[1]!] : args;
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NODE_PATH: join(ROOT, "node_modules") };
  const run = spawnSync(process.execPath, argv, { encoding: "utf8", env });
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  const parsed = JSON.parse(line || "{}") as { loadedMs?: number; deps?: number; ok?: boolean };
  if (run.status !== 0 || !parsed.ok || parsed.loadedMs === undefined) {
    throw new Error(`B10: ${args.join(" ")} did not load: ${run.stderr || run.stdout}`);
  }
  return parsed.deps === undefined ? { loadedMs: parsed.loadedMs } : { loadedMs: parsed.loadedMs, deps: parsed.deps };
}
