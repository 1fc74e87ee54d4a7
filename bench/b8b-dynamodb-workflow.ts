// B8b: a 100-step workflow, whole, on DynamoDBStore against DynamoDB Local (loopback): every request it sends, start
// and end included (create, lease, steps, end, the engine's record reads), and the write units DynamoDB bills for
// them (b8-meter.ts). Targets (issue 14), for the workflow run in one turn: ≤ 1 write request per step, ≤ 2.5 WRU
// per step. The other rows show what suspensions, cold turns and retention add; they carry no target.
import { DynamoDBStore } from "../adapters/dynamodb/index.js";
import { localClient } from "../examples/dynamodb-local/local-server.js";
import { createEngine, silentLogger, sleep, step, workflow } from "../src/index.js";
import { localTable, RequestCounter } from "./b8-meter.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, combine, num } from "./table.js";
import { expectEqual, median, now } from "./util.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const STEPS = 100;

/** `steps` steps; a 1 ms sleep (a suspension) after every `suspendEvery` steps. */
const stepsWorkflow = workflow("bench-b8b-steps", async function* (input: unknown) {
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
  reads: number;
  wru: number;
  rru: number;
  turns: number;
}

interface Scenario {
  label: string;
  suspendEvery: number;
  /** Drive turns with resume() on an engine without a warm generator cache: every turn loads the whole history. */
  cold: boolean;
  retentionMs?: number;
  /** Whether the targets apply to this row. */
  target: boolean;
}

const SCENARIOS: Scenario[] = [
  { label: "one turn", suspendEvery: 0, cold: false, target: true },
  { label: "one turn, retention on", suspendEvery: 0, cold: false, retentionMs: 7 * 24 * 3600_000, target: false },
  { label: "sleep every 10 steps", suspendEvery: 10, cold: false, target: false },
  { label: "resume() per turn, no generator cache", suspendEvery: 10, cold: true, target: false },
];

async function runScenario(endpoint: string, tableName: string, scenario: Scenario, runs: number): Promise<Figures[]> {
  const client = localClient(endpoint);
  const counter = new RequestCounter(client);
  const store = new DynamoDBStore({ client, tableName, ...(scenario.retentionMs ? { retentionMs: scenario.retentionMs } : {}) });
  const engine = createEngine({
    store: counter.meter(store),
    workflows: [stepsWorkflow],
    logger: silentLogger,
    ...(scenario.cold ? { mode: "external" as const, cacheSize: 0 } : {}),
  });
  const drive = async (id: string): Promise<number> => {
    const suspensions = scenario.suspendEvery > 0 ? Math.ceil(STEPS / scenario.suspendEvery) - 1 : 0;
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
    const handle = await engine.start(stepsWorkflow, { steps: STEPS, suspendEvery: scenario.suspendEvery });
    const turns = await drive(handle.id);
    expectEqual(await handle.result(), (STEPS * (STEPS - 1)) / 2, `B8b result (${scenario.label})`);
    const ms = now() - started;
    figures.push({
      ms,
      writes: counter.total(counter.writes),
      reads: counter.total(counter.reads),
      wru: counter.total(counter.wru),
      rru: counter.total(counter.rru),
      turns,
    });
  }
  await engine.close();
  client.destroy();
  return figures;
}

export async function benchDynamoWorkflow(): Promise<BenchReport> {
  const { server, tableName } = await localTable("b8b");
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const runs = 3;
      const all = await runScenario(server.endpoint, tableName, scenario, runs);
      const pick = (f: (x: Figures) => number) => median(all.map(f));
      const writesPerStep = pick((x) => x.writes) / STEPS;
      // Beyond the execution's creation and its end: the steps' own writes (and the lease, suspensions, stamps).
      const stepWrites = (pick((x) => x.writes) - 2) / STEPS;
      const wruPerStep = pick((x) => x.wru) / STEPS;
      rows.push([
        scenario.label,
        num(pick((x) => x.turns)),
        num(pick((x) => x.writes)),
        num(writesPerStep, 2),
        num(stepWrites, 2),
        scenario.target ? "<= 1" : "-",
        num(pick((x) => x.wru), 1),
        num(wruPerStep, 2),
        scenario.target ? "<= 2.5" : "-",
        num(pick((x) => x.reads)),
        num(pick((x) => x.rru), 1),
        num(pick((x) => x.ms) / STEPS, 2),
      ]);
      verdicts.push(scenario.target ? combine(atMost(stepWrites, 1), atMost(wruPerStep, 2.5)) : "-");
    }
  } finally {
    await server.stop();
  }
  return {
    id: "B8b",
    title: `A ${STEPS}-step workflow, whole, on DynamoDBStore (DynamoDB Local, loopback): requests and write units`,
    headers: ["scenario", "turns", "write req", "writes/step", "beyond start+end", "target", "WRU", "WRU/step", "target", "read req", "RRU", "ms/step"],
    rows,
    verdicts,
    notes: [
      "every request counted (create, lease, steps, suspensions, end, TTL stamps, the engine's loads and record reads), medians of 3 runs",
      "writes/step: all write requests / steps; beyond start+end: less the creation and the end (the target, as B8 counted it); WRU/step: all units, start and end included (the target)",
      "one turn: creation (1 transaction), the lease (1), 99 step puts, the end (1, with the last step's event): 102 writes; the lease is its own write because the turn takes it before its first step runs",
      "WRU: PutItem/UpdateItem/BatchWriteItem as DynamoDB Local reports them; a transaction as DynamoDB bills it, 2 per KB per item",
      "retention on: a closed execution's items are stamped with their TTL after the close",
      "ms/step: wall time from start() to the result / steps, including the 1 ms sleeps; DynamoDB Local is slower than DynamoDB",
    ],
  };
}
