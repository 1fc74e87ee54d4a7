// B8: a step inside a running turn on DynamoDBStore (DynamoDB Local, loopback), against the floor of one conditional
// PutItem of the same event, measured in the same process and run. Rounds alternate: a workflow of STEPS steps runs
// in one turn (its store appends timed one by one), then as many conditional PutItems of the same event items (copied
// under a fresh partition key) are sent with the same client. Figures: the median step append and the median put,
// their ratio, the wall time per step of the whole turn, and the write units each step append spends (from
// ReturnConsumedCapacity). Targets (issue 14): ≤ 1.5× the put, ≤ 2 WRU per small step.
import { PutCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { eventItem } from "../adapters/dynamodb/codec.js";
import { DynamoDBStore } from "../adapters/dynamodb/index.js";
import { localClient } from "../examples/dynamodb-local/local-server.js";
import type { HistoryEvent } from "../src/index.js";
import { createEngine, silentLogger, step, workflow } from "../src/index.js";
import type { HistoryStore } from "../src/store/index.js";
import { localTable, RequestCounter } from "./b8-meter.js";
import type { BenchReport } from "./table.js";
import { atMost, combine, num } from "./table.js";
import { expectEqual, median, now } from "./util.js";

export { localTable, RequestCounter } from "./b8-meter.js";

// The AWS SDK warns once that its 2027 releases need Node 22; not news in a benchmark report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const STEPS = 50;
const ROUNDS = 7;

const stepsWorkflow = workflow("bench-b8-steps", async function* (steps: number) {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* step("s" + i, () => ({ i, note: "a small step result" }.i));
  return sum;
});

/**
 * The store with each step append inside a turn (one StepCompleted, the execution running on) timed and its requests
 * attributed to "step"; everything else passes through.
 */
function timeSteps(store: DynamoDBStore, counter: RequestCounter, times: number[], spans: [number, number][]): HistoryStore {
  return {
    limits: store.limits,
    create: (execution) => store.create(execution),
    get: (id) => store.get(id),
    load: (id, options) => store.load(id, options),
    acquireLease: (id, request) => store.acquireLease(id, request),
    writeInbox: (id, item) => store.writeInbox(id, item),
    listDue: (at, options) => store.listDue(at, options),
    list: (query) => store.list(query),
    append: async (id, request) => {
      const inTurn = request.events.length === 1 && request.events[0]!.type === "StepCompleted" && request.update.status === "running";
      if (!inTurn) return store.append(id, request);
      const started = now();
      const record = await counter.as("step", () => store.append(id, request));
      const ended = now();
      times.push(ended - started);
      spans.push([started, ended]);
      return record;
    },
  };
}

export async function benchDynamoSteps(): Promise<BenchReport> {
  const { server, tableName } = await localTable("b8");
  try {
    const client = localClient(server.endpoint);
    const counter = new RequestCounter(client);
    const doc = DynamoDBDocumentClient.from(client);
    const dynamo = new DynamoDBStore({ client, tableName });
    const appendMs: number[] = [];
    const putMs: number[] = [];
    const turnMsPerStep: number[] = [];
    const spans: [number, number][] = [];
    let stepWru = 0;
    let stepAppends = 0;
    let putWru = 0;
    let puts = 0;
    const engine = createEngine({ store: counter.meter(timeSteps(dynamo, counter, appendMs, spans)), workflows: [stepsWorkflow], logger: silentLogger });
    const warm = await engine.start(stepsWorkflow, 3); // catalogues the workflow, warms the client's connections
    await warm.result();
    for (let round = 0; round < ROUNDS; round++) {
      counter.reset();
      const before = appendMs.length;
      spans.length = 0;
      const handle = await engine.start(stepsWorkflow, STEPS);
      expectEqual(await handle.result(), (STEPS * (STEPS - 1)) / 2, "B8 result");
      const appends = appendMs.length - before;
      // From the end of the first step append to the end of the last: each step's engine work and its append.
      turnMsPerStep.push((spans[spans.length - 1]![1] - spans[0]![1]) / (spans.length - 1));
      stepWru += counter.total(counter.wru, "step");
      stepAppends += appends;
      const history = await dynamo.load(handle.id);
      const events = history!.events.filter((event) => (event as { type: string }).type === "StepCompleted");
      if (events.length !== STEPS || appends < STEPS - 2) throw new Error(`B8: expected ${STEPS} step appends, timed ${appends}`);
      // The floor: the same event items, put under a fresh key with the same condition, with the same client.
      const floorId = `b8-floor-${round}-${Date.now()}`;
      counter.reset();
      for (const event of events) {
        const item = eventItem(floorId, 0, event as HistoryEvent, "floor-writer-token");
        const t = now();
        await counter.as("put", () =>
          doc.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: "attribute_not_exists(sk)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" })),
        );
        putMs.push(now() - t);
      }
      putWru += counter.total(counter.wru, "put");
      puts += counter.total(counter.writes, "put");
    }
    await engine.close();
    client.destroy();
    const append = median(appendMs);
    const put = median(putMs);
    const perStep = median(turnMsPerStep);
    const wruPerAppend = stepWru / stepAppends;
    const ratio = append / put;
    const wholeRatio = perStep / put;
    return {
      id: "B8",
      title: "A step inside a running turn on DynamoDBStore vs one conditional PutItem of the same event (DynamoDB Local)",
      headers: ["figure", "value", "floor (put)", "ratio", "target"],
      rows: [
        ["step append, median ms", num(append, 2), num(put, 2), num(ratio, 2) + "x", "<= 1.5x"],
        ["step in the turn, wall ms (engine work + append)", num(perStep, 2), num(put, 2), num(wholeRatio, 2) + "x", "<= 1.5x"],
        ["WRU per step append", num(wruPerAppend, 2), num(putWru / puts, 2), "-", "<= 2"],
      ],
      verdicts: [atMost(ratio, 1.5), atMost(wholeRatio, 1.5), combine(atMost(wruPerAppend, 2))],
      notes: [
        `${ROUNDS} rounds of a ${STEPS}-step workflow in one turn, each followed by ${STEPS} conditional PutItems of the same event items; medians over all`,
        "step append: the store's append of one StepCompleted inside the turn (a conditional PutItem of the event while the turn holds its lease)",
        "step in the turn: wall time from the end of the first step append to the end of the last, per step (the engine's work between appends included); the whole workflow, start and end included, is B8b",
        "WRU per step append: the units of the step appends' requests (retries and fallbacks included) over their count; PutItem as DynamoDB Local reports it, a transaction 2 per KB per item",
      ],
    };
  } finally {
    await server.stop();
  }
}
