// B9: resume of an execution with a 5,000-event history on DynamoDBStore (DynamoDB Local, loopback), cold: a new
// client, store and engine per run, so the turn loads the whole history and replays it. Figure: ms per resume, and
// the read requests it takes (target: 1 per started MB of history). Reference rows: a cold resume that runs the
// workflow to its end, and a warm resume (generator parked in the same engine, no replay).
import { localClient } from "../examples/dynamodb-local/local-server.js";
import { eventItem, itemSize } from "../adapters/dynamodb/codec.js";
import { DynamoDBStore } from "../adapters/dynamodb/index.js";
import { createEngine, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import { newExecution } from "../src/store/index.js";
import type { HistoryEvent } from "../src/index.js";
import { localTable, RequestCounter } from "./b8-dynamodb-steps.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, mb, num } from "./table.js";
import { expectEqual, median, min, now } from "./util.js";

const EVENTS = 5_000;
/** ExecutionStarted + the steps + WaitStarted = EVENTS. */
const STEPS = EVENTS - 2;

/** STEPS steps, each returning `pad` characters (or its index), then a wait for the event "go". */
const long = workflow("bench-b9-long", async function* (input: unknown, ctx) {
  const pad = (input as { pad: number }).pad;
  let count = 0;
  for (let i = 0; i < STEPS; i++) {
    yield* step("s" + i, () => (pad > 0 ? "x".repeat(pad) : i));
    count++;
  }
  const extra = (yield* ctx.waitForEvent("go")) as number;
  return count + extra;
});

/** Records the history with the real engine on a MemoryStore, then writes it to DynamoDB as DynamoDBStore would. */
async function seed(endpoint: string, tableName: string, id: string, pad: number): Promise<number> {
  const memory = new MemoryStore();
  const engine = createEngine({ store: memory, workflows: [long], logger: silentLogger });
  await engine.start(long, { pad }, { id });
  await engine.idle();
  const record = (await memory.get(id))!;
  const events = (await engine.history(id)) as HistoryEvent[];
  await engine.close();
  expectEqual(events.length, EVENTS, "B9 seeded history length");
  expectEqual(record.status, "suspended", "B9 seeded execution status");

  const client = localClient(endpoint);
  const store = new DynamoDBStore({ client, tableName });
  const started = events[0]!;
  const fresh = newExecution({ id, workflow: long.name, runId: record.runId, at: started.at, input: record.input });
  await store.create({ record: fresh.record, events: [started] });
  let version = 1;
  while (version < events.length) {
    const batch = events.slice(version, version + 99);
    const last = version + batch.length === events.length;
    await store.append(id, {
      runId: record.runId,
      expectedVersion: version,
      events: batch,
      consumeInbox: [],
      update: last
        ? { status: "suspended", waitingFor: record.waitingFor, wakeAt: record.wakeAt ?? null, inboxSeen: 0, updatedAt: record.updatedAt }
        : { status: "running", waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: record.updatedAt },
    });
    version += batch.length;
  }
  client.destroy();
  // The size DynamoDB counts (attribute names included), which decides its 1 MB pages.
  return events.reduce((sum, event) => sum + itemSize(eventItem(id, 0, event, "w".repeat(16))), 0);
}

interface Resume {
  ms: number;
  reads: number;
  writes: number;
}

/** One resume on a brand-new client, store and engine (nothing cached anywhere). */
async function coldResume(endpoint: string, tableName: string, id: string, event?: number): Promise<Resume> {
  const client = localClient(endpoint);
  const counter = new RequestCounter(client);
  const store = counter.meter(new DynamoDBStore({ client, tableName }));
  const engine = createEngine({ store, workflows: [long], logger: silentLogger, mode: "external", cacheSize: 0 });
  if (event !== undefined) await engine.sendEvent(id, "go", event);
  counter.reset();
  const started = now();
  const turn = await engine.resume(id);
  const ms = now() - started;
  expectEqual(turn.status, event === undefined ? "suspended" : "completed", "B9 status after the resume");
  const figures = { ms, reads: counter.total(counter.reads), writes: counter.total(counter.writes) };
  await engine.close();
  client.destroy();
  return figures;
}

/** Resumes in an engine that already holds the parked generator: a one-request load, no replay. */
async function warmResumes(endpoint: string, tableName: string, id: string, runs: number): Promise<Resume[]> {
  const client = localClient(endpoint);
  const counter = new RequestCounter(client);
  const store = counter.meter(new DynamoDBStore({ client, tableName }));
  const engine = createEngine({ store, workflows: [long], logger: silentLogger, mode: "external" });
  await engine.resume(id);
  const figures: Resume[] = [];
  for (let i = 0; i < runs; i++) {
    counter.reset();
    const started = now();
    await engine.resume(id);
    figures.push({ ms: now() - started, reads: counter.total(counter.reads), writes: counter.total(counter.writes) });
  }
  await engine.close();
  client.destroy();
  return figures;
}

export async function benchDynamoResume(): Promise<BenchReport> {
  const { server, tableName } = await localTable("b9");
  try {
    const rows: { cells: string[]; verdict: Verdict }[] = [];
    for (const { id, pad, label } of [
      { id: "b9-small", pad: 0, label: "small results" },
      { id: "b9-large", pad: 500, label: "500-char results" },
    ]) {
      const bytes = await seed(server.endpoint, tableName, id, pad);
      const pages = Math.max(1, Math.ceil(bytes / (1024 * 1024)));
      const runs = 7;
      await coldResume(server.endpoint, tableName, id); // warm-up: JIT and DynamoDB Local's caches
      const cold: Resume[] = [];
      for (let i = 0; i < runs; i++) cold.push(await coldResume(server.endpoint, tableName, id));
      const warm = await warmResumes(server.endpoint, tableName, id, runs);
      const finish = await coldResume(server.endpoint, tableName, id, 1);
      const row = (what: string, results: Resume[], target: boolean) => {
        const reads = median(results.map((r) => r.reads));
        rows.push({
          cells: [
            `${label}: ${what}`,
            num(EVENTS),
            mb(bytes),
            String(results.length),
            num(median(results.map((r) => r.ms)), 1),
            num(min(results.map((r) => r.ms)), 1),
            num(reads),
            target ? `<= ${pages}` : "-",
            num(median(results.map((r) => r.writes))),
          ],
          verdict: target ? atMost(reads, pages) : "-",
        });
      };
      row("cold resume, nothing new (load + replay)", cold, true);
      row("cold resume with an event, to completion", [finish], true);
      row("warm resume (parked generator, reference)", warm, false);
    }
    return {
      id: "B9",
      title: "resume of a 5,000-event history on DynamoDBStore (DynamoDB Local, loopback)",
      headers: ["history, resume", "events", "history (stored)", "runs", "median ms", "best ms", "read req", "target", "write req"],
      rows: rows.map((r) => r.cells),
      verdicts: rows.map((r) => r.verdict),
      notes: [
        "cold: a new DynamoDBClient, DynamoDBStore and engine (external mode, no generator cache) for each resume",
        "read req: requests of the resume itself; target 1 per started MB of history (one strongly consistent Query page each)",
        "the completing resume appends EventReceived + ExecutionCompleted in one transaction",
        "DynamoDB Local answers a 1 MB Query in ~100-300 ms on this machine; most of a cold resume is that wait",
      ],
    };
  } finally {
    await server.stop();
  }
}
