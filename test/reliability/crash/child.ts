// A child process of the real-crash run (bundled once per run by bundle.ts, started with plain `node`). It runs the
// crash workflows on DynamoDB Local in external mode, calling resumeDue in a loop, and appends to its own log file
// (log.ts):
//   {"t":"effect", ...}    a step's side effect, before its work (the effect ledger)
//   {"t":"accepted", ...}  events the store accepted from this process, after the write returned
//   {"t":"failed", ...}    a turn resumeDue reported as failed, with its error
//   {"t":"ready", ...}     set up and warmed up: the parent's kill window starts
// A worker runs until the parent kills it. The finisher (never killed) runs until every execution listed in its ids
// file has ended, then prints "finished" and exits.
// Environment: SPINDLE_CRASH_ENDPOINT, SPINDLE_CRASH_TABLE, SPINDLE_CRASH_LOG_DIR, SPINDLE_CRASH_ROLE
// ("worker" | "finisher"), SPINDLE_CRASH_IDS (finisher: a file with one execution id a line), SPINDLE_CRASH_LEASE.
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createEngine, silentLogger } from "spindle";
import type { HistoryStore } from "spindle/store";
import { CLOSED_STATUSES } from "spindle/store";
import { DynamoDBStore } from "spindle/dynamodb";
import { loggingStore, logWriter } from "./log.js";
import { CRASH_WORKFLOWS, onEffect } from "./workflows.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const log = openSync(join(env("SPINDLE_CRASH_LOG_DIR"), `${process.pid}.log`), "a");
const write = logWriter(log);

async function main(): Promise<void> {
  const client = new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    endpoint: env("SPINDLE_CRASH_ENDPOINT"),
    maxAttempts: 3,
  });
  const store = loggingStore(new DynamoDBStore({ client, tableName: env("SPINDLE_CRASH_TABLE") }), write);
  onEffect((context, step) => write({ t: "effect", key: context.idempotencyKey, attempt: context.attempt, step }));
  const engine = createEngine({
    store,
    workflows: CRASH_WORKFLOWS,
    mode: "external",
    logger: silentLogger,
    staleTurnTimeout: process.env.SPINDLE_CRASH_LEASE ?? "2s",
  });
  const finisher = env("SPINDLE_CRASH_ROLE") === "finisher";
  const ids = finisher ? readFileSync(env("SPINDLE_CRASH_IDS"), "utf8").split("\n").filter(Boolean) : [];
  // One read before saying ready: the SDK's first request (connection, credentials) takes a few hundred ms, and the
  // kill window should fall on work, not on that.
  await store.get("crash-warm-up");
  write({ t: "ready", role: finisher ? "finisher" : "worker" });
  process.stdout.write("ready\n");
  for (;;) {
    const due = await engine.resumeDue({ limit: 20, concurrency: 4 });
    for (const failure of due.failed) {
      const error = failure.error as { name?: string; message?: string };
      write({ t: "failed", exec: failure.id, name: error?.name, message: String(error?.message).slice(0, 300) });
    }
    if (finisher && due.resumed === 0 && (await allEnded(store, ids))) break;
    if (due.resumed === 0) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  closeSync(log);
  client.destroy();
  process.stdout.write("finished\n");
}

const ended = new Set<string>();
async function allEnded(store: HistoryStore, ids: readonly string[]): Promise<boolean> {
  for (const id of ids) {
    if (ended.has(id)) continue;
    const record = await store.get(id);
    if (!record || !CLOSED_STATUSES.has(record.status)) return false;
    ended.add(id);
  }
  return true;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
