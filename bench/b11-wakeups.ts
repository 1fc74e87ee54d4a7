// B11: wake-ups. (a) Throughput of one resumeDue call on DynamoDB Local: 2,000 executions, each suspended on a timer
// that is now due, are woken and each finishes with one short step; figure: wake-ups per second (target >= 200/s on
// the 2-core bench machine), at the default concurrency (10) and a higher one. (b) Timer lateness in the Lambda
// example on the SQS scheduleWakeup path, in virtual time (b11-lateness.ts): target p99 <= 2 s.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createTable, DynamoDBStore } from "../adapters/dynamodb/index.js";
import { localClient, startDynamoDBLocal } from "../examples/dynamodb-local/local-server.js";
import { createEngine, MemoryStore, silentLogger, sleep, step, workflow } from "../src/index.js";
import type { HistoryStore } from "../src/store/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { wakeupCeiling } from "./b11-ceiling.js";
import { measureLateness } from "./b11-lateness.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, inPool, now } from "./util.js";

// The AWS SDK warns once that its 2027 releases need Node 22; not news in a benchmark report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const DUE = 2_000;
const TARGET_PER_SECOND = 200;
const TARGET_P99_MS = 2_000;
/** Executions started at once while seeding. */
const SEED_CONCURRENCY = 32;

/** Suspended on a one-minute timer; after waking, one short step, and done. */
const napper = workflow("bench-b11-nap", async function* (input: unknown) {
  yield* sleep("1m");
  return yield* step("wake", () => (input as number) + 1);
});

/** `DUE` executions on a fresh table, each suspended on its timer; the clock is then past every timer. */
async function seed(store: HistoryStore, clock: VirtualClock, label: string): Promise<void> {
  const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger, cacheSize: 0 });
  await inPool(
    Array.from({ length: DUE }, (_, i) => i),
    SEED_CONCURRENCY,
    async (i) => {
      const id = `${label}-${i}`;
      await engine.start(napper, i, { id });
      const turn = await engine.resume(id);
      expectEqual(turn.status, "suspended", `B11 seeded ${id}`);
    },
  );
  clock.set(clock.now() + 61_000);
}

/** One resumeDue call over the due executions, from a fresh engine (as a fresh Lambda container would): wake-ups/s. */
async function drainOnce(endpoint: string, tableName: string, concurrency: number, label: string): Promise<{ perSecond: number; seconds: number; pages: number }> {
  const client = localClient(endpoint);
  try {
    const clock = new VirtualClock();
    const store = new DynamoDBStore({ client, tableName });
    await seed(store, clock, label);
    let pages = 0;
    const counted = Object.create(store) as DynamoDBStore;
    counted.listDue = (at, options) => {
      pages++;
      return store.listDue(at, options);
    };
    const engine = createEngine({ store: counted, workflows: [napper], clock, mode: "external", logger: silentLogger });
    const started = now();
    const result = await engine.resumeDue({ concurrency });
    const seconds = (now() - started) / 1000;
    expectEqual(result.resumed, DUE, `B11 resumed at concurrency ${concurrency}`);
    expectEqual(result.failed.length, 0, "B11 failed turns");
    expectEqual((await store.listDue(clock.now(), { limit: 10 })).length, 0, "B11 due after the drain");
    expectEqual(await engine.result(`${label}-${DUE - 1}`), DUE, "B11 last result");
    return { perSecond: DUE / seconds, seconds, pages };
  } finally {
    client.destroy();
  }
}

/** The same drain on a MemoryStore: the engine's own ceiling, without DynamoDB Local. */
async function drainInMemory(concurrency: number): Promise<number> {
  const clock = new VirtualClock();
  const store = new MemoryStore();
  await seed(store, clock, "memory");
  const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger });
  const started = now();
  const result = await engine.resumeDue({ concurrency });
  const seconds = (now() - started) / 1000;
  expectEqual(result.resumed, DUE, "B11 resumed on MemoryStore");
  return DUE / seconds;
}

function atLeast(value: number, target: number): Verdict {
  return Number.isFinite(value) && value >= target ? "PASS" : "MISS";
}

export async function benchWakeups(): Promise<BenchReport> {
  const server = await startDynamoDBLocal();
  try {
    const rows: string[][] = [];
    const verdicts: Verdict[] = [];
    for (const concurrency of [10, 32]) {
      const tableName = `bench-b11-c${concurrency}`;
      const admin = localClient(server.endpoint);
      await createTable(admin, tableName);
      admin.destroy();
      const { perSecond, seconds, pages } = await drainOnce(server.endpoint, tableName, concurrency, `c${concurrency}`);
      const target = concurrency === 10 ? `>= ${TARGET_PER_SECOND}/s` : "-";
      rows.push([`(a) resumeDue, ${num(DUE)} due, concurrency ${concurrency}`, `${num(perSecond, 0)}/s`, `${num(seconds, 2)} s, ${pages} pages`, target]);
      verdicts.push(concurrency === 10 ? atLeast(perSecond, TARGET_PER_SECOND) : "-");
    }
    const ceilingClient = localClient(server.endpoint);
    const ceiling = await wakeupCeiling(ceilingClient, "bench-b11-c10", DUE, 10).finally(() => ceilingClient.destroy());
    rows.push([`(a) reference: DynamoDB Local alone, a wake-up's 3 requests, concurrency 10`, `${num(ceiling, 0)}/s`, "no Spindle", "-"]);
    verdicts.push("-");
    const memory = await drainInMemory(10);
    rows.push([`(a) reference: the same on MemoryStore, concurrency 10`, `${num(memory, 0)}/s`, "no DynamoDB", "-"]);
    verdicts.push("-");
    const lateness = await measureLateness();
    rows.push([`(b) SQS path, ${num(lateness.sqs.count)} timers of 11-59 s, p50`, `${num(lateness.sqs.p50 / 1000, 2)} s`, `max ${num(lateness.sqs.max / 1000, 2)} s`, "-"]);
    verdicts.push("-");
    rows.push([`(b) SQS path, p99`, `${num(lateness.sqs.p99 / 1000, 2)} s`, `${lateness.messages} messages`, `<= ${TARGET_P99_MS / 1000} s`]);
    verdicts.push(atMost(lateness.sqs.p99, TARGET_P99_MS));
    rows.push([`(b) tick path, ${num(lateness.tick.count)} timers of 61-300 s, p50 / p99`, `${num(lateness.tick.p50 / 1000, 1)} s / ${num(lateness.tick.p99 / 1000, 1)} s`, `${lateness.ticks} ticks`, "-"]);
    verdicts.push("-");
    return {
      id: "B11",
      title: "wake-ups: resumeDue throughput on DynamoDB Local; timer lateness on the Lambda example's SQS path (virtual time)",
      headers: ["figure", "value", "detail", "target"],
      rows,
      verdicts,
      notes: [
        `(a) ${num(DUE)} executions suspended on a 1-minute timer (seeded ${SEED_CONCURRENCY} at a time), the clock moved past them, then one resumeDue() from a fresh engine (no warm cache): wall time until every one has finished its step`,
        "(a) each wake-up is a cold turn: load the history, run one step, write the end; pages of 100 due ids read ahead while turns run",
        "(a) a wake-up sends a Query (the load), a conditional PutItem (the lease) and a transaction (step, end, record): DynamoDB Local alone serves that many at the rate shown, which bounds the drain on this machine; AWS serves each execution's partition separately",
        `(b) the example's handler options and SQS message (app.ts wakeupMessage); MemoryStore, a virtual clock, and an in-process queue that delivers each message at send time + DelaySeconds; ${lateness.executions} executions started over HTTP at random times`,
        "(b) lateness = when the turn took the timer − its due time; SQS rounds the delay up to whole seconds, so the path is up to 1 s late by design; receive and processing latency (tens of ms on AWS) is not in virtual time",
        "(b) timers of a minute or more are left to the rate(1 minute) tick: up to 60 s late (information only)",
      ],
    };
  } finally {
    await server.stop();
  }
}
