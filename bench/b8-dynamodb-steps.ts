// B8: a 100-step workflow on DynamoDBStore against DynamoDB Local (loopback). Figures: write requests per completed
// step, read requests per turn, ms per step. Targets: at most 1 write request per completed step on average plus 1
// per suspension (beyond the execution's start and its completion, one write each); at most 1 read request per turn
// per started MB of history. Requests are counted by a client middleware, by command.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AsyncLocalStorage } from "node:async_hooks";
import { createTable, DynamoDBStore } from "../adapters/dynamodb/index.js";
import { localClient, startDynamoDBLocal } from "../examples/dynamodb-local/local-server.js";
import type { LocalServer } from "../examples/dynamodb-local/local-server.js";
import { createEngine, silentLogger, sleep, step, workflow } from "../src/index.js";
import type { HistoryStore } from "../src/store/index.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, combine, num } from "./table.js";
import { expectEqual, median, now } from "./util.js";

// The AWS SDK warns once that its 2027 releases need Node 22; not news in a benchmark report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const STEPS = 100;
const READS = new Set(["QueryCommand", "GetItemCommand", "BatchGetItemCommand", "ScanCommand"]);
const WRITES = new Set([
  "TransactWriteItemsCommand",
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "BatchWriteItemCommand",
]);

/**
 * Read and write requests a client sends, attributed to the store method that sent them (AsyncLocalStorage), so
 * that the engine's own record reads (get, for result() and settled turns) are told apart from the turns' loads.
 */
export class RequestCounter {
  readonly reads = new Map<string, number>();
  readonly writes = new Map<string, number>();
  private readonly context = new AsyncLocalStorage<string>();

  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const command = context.commandName ?? "";
        const method = this.context.getStore() ?? "other";
        const tally = READS.has(command) ? this.reads : WRITES.has(command) ? this.writes : undefined;
        tally?.set(method, (tally.get(method) ?? 0) + 1);
        return next(args);
      },
      { step: "initialize", name: "benchRequestCounter" },
    );
  }

  /** The store, with each call's requests attributed to its method. */
  meter(store: HistoryStore): HistoryStore {
    const run = <T>(method: string, call: () => Promise<T>) => this.context.run(method, call);
    return {
      limits: store.limits,
      create: (execution) => run("create", () => store.create(execution)),
      get: (id) => run("get", () => store.get(id)),
      load: (id, options) => run("load", () => store.load(id, options)),
      append: (id, request) => run("append", () => store.append(id, request)),
      writeInbox: (id, item) => run("writeInbox", () => store.writeInbox(id, item)),
      listDue: (at, options) => run("listDue", () => store.listDue(at, options)),
      list: (query) => run("list", () => store.list(query)),
    };
  }

  total(tally: Map<string, number>, method?: string): number {
    if (method !== undefined) return tally.get(method) ?? 0;
    let sum = 0;
    for (const count of tally.values()) sum += count;
    return sum;
  }

  reset(): void {
    this.reads.clear();
    this.writes.clear();
  }
}

/** DynamoDB Local with one fresh table. */
export async function localTable(label: string): Promise<{ server: LocalServer; tableName: string }> {
  const server = await startDynamoDBLocal();
  const tableName = `bench-${label}`;
  const client = localClient(server.endpoint);
  await createTable(client, tableName);
  client.destroy();
  return { server, tableName };
}

/** `steps` steps; a 1 ms sleep (a suspension) after every `suspendEvery` steps. */
const stepsWorkflow = workflow("bench-b8-steps", async function* (input: unknown) {
  const { steps, suspendEvery } = input as { steps: number; suspendEvery: number };
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    sum += yield* step("s" + i, () => i);
    if (suspendEvery > 0 && (i + 1) % suspendEvery === 0 && i + 1 < steps) yield* sleep(1);
  }
  return sum;
});

interface Figures {
  ms: number;
  writes: number;
  /** Read requests of the turns' loads. */
  reads: number;
  /** Read requests of the engine's get() calls (result(), settled turns). */
  gets: number;
  turns: number;
  suspensions: number;
}

interface Scenario {
  label: string;
  suspendEvery: number;
  /** Drive turns with resume() on an engine without a warm generator cache: every turn loads the whole history. */
  cold: boolean;
}

async function runScenario(endpoint: string, tableName: string, scenario: Scenario, runs: number): Promise<Figures[]> {
  const client = localClient(endpoint);
  const counter = new RequestCounter(client);
  const store = counter.meter(new DynamoDBStore({ client, tableName }));
  const engine = createEngine({
    store,
    workflows: [stepsWorkflow],
    logger: silentLogger,
    ...(scenario.cold ? { mode: "external" as const, cacheSize: 0 } : {}),
  });
  const input = { steps: STEPS, suspendEvery: scenario.suspendEvery };
  const suspensions = scenario.suspendEvery > 0 ? Math.ceil(STEPS / scenario.suspendEvery) - 1 : 0;
  /** Runs an execution to its result; returns the turns it took. */
  const drive = async (id: string): Promise<number> => {
    if (!scenario.cold) return 1 + suspensions;
    for (let turns = 1; ; turns++) {
      const turn = await engine.resume(id);
      if (turn.status === "completed") return turns;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (turn.wakeAt ?? Date.now()) - Date.now())));
    }
  };
  const warmUp = await engine.start(stepsWorkflow, { steps: 2, suspendEvery: 0 }); // also catalogues the workflow
  await drive(warmUp.id);
  await warmUp.result();
  const figures: Figures[] = [];
  for (let run = 0; run < runs; run++) {
    counter.reset();
    const started = now();
    const handle = await engine.start(stepsWorkflow, input);
    const turns = await drive(handle.id);
    const result = await handle.result();
    const ms = now() - started;
    expectEqual(result, (STEPS * (STEPS - 1)) / 2, `B8 result (${scenario.label})`);
    figures.push({
      ms,
      writes: counter.total(counter.writes),
      reads: counter.total(counter.reads, "load"),
      gets: counter.total(counter.reads, "get"),
      turns,
      suspensions,
    });
  }
  await engine.close();
  client.destroy();
  return figures;
}

const SCENARIOS: Scenario[] = [
  { label: "in-process, no suspension", suspendEvery: 0, cold: false },
  { label: "in-process, sleep every 10 steps", suspendEvery: 10, cold: false },
  { label: "resume() per turn, no generator cache", suspendEvery: 10, cold: true },
];

export async function benchDynamoSteps(): Promise<BenchReport> {
  const { server, tableName } = await localTable("b8");
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const runs = 5;
      const all = await runScenario(server.endpoint, tableName, scenario, runs);
      const pick = (f: (x: Figures) => number) => median(all.map(f));
      const writes = pick((x) => x.writes);
      const reads = pick((x) => x.reads);
      const turns = pick((x) => x.turns);
      const gets = pick((x) => x.gets);
      const suspensions = all[0]!.suspensions;
      // Beyond the start (create) and the completion: one per completed step plus one per suspension at most.
      const perStep = (writes - 2 - suspensions) / STEPS;
      const readsPerTurn = reads / turns;
      rows.push([
        scenario.label,
        String(STEPS),
        String(suspensions),
        String(runs),
        num(writes),
        num(perStep, 2),
        "<= 1",
        num(reads),
        num(turns),
        num(readsPerTurn, 2),
        "<= 1",
        num(gets),
        num(pick((x) => x.ms) / STEPS, 2),
      ]);
      verdicts.push(combine(atMost(perStep, 1), atMost(readsPerTurn, 1)));
    }
  } finally {
    await server.stop();
  }
  return {
    id: "B8",
    title: "100-step workflow on DynamoDBStore (DynamoDB Local, loopback)",
    headers: [
      "scenario",
      "steps",
      "suspensions",
      "runs",
      "write req",
      "writes/step",
      "target",
      "load req",
      "turns",
      "reads/turn",
      "target",
      "get req",
      "ms/step",
    ],
    rows,
    verdicts,
    notes: [
      "writes/step = (write requests - 1 for the start - 1 for the completion - 1 per suspension) / steps; medians of the runs",
      "reads/turn = read requests of the turns' loads / turns; every history here is far below 1 MB, so the target is 1",
      "get req: the engine's own record reads (awaiting result(), settled turns), outside the turns; not counted above",
      "ms/step: wall time from start() to the result / steps, including the 1 ms sleeps; DynamoDB Local is slower than DynamoDB",
    ],
  };
}
