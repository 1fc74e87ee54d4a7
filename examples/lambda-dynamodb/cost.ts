// What a workflow costs in DynamoDB when it runs through the Lambda handler, measured on DynamoDB Local with the
// meter (requests by operation and the capacity units DynamoDB reports): the price of a step, of an execution's start
// and end, of an event delivered over HTTP, of a timer's wake-up tick, and of a tick that finds nothing. The README's
// figures come from here (`npm run example -- lambda-dynamodb` prints them; the test pins their shape).
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { z } from "zod";
import { DynamoDBStore } from "../../adapters/dynamodb/index.js";
import type { SpindleLambdaHandler } from "../../adapters/lambda/index.js";
import { createLambdaHandler } from "../../adapters/lambda/index.js";
import { createEngine, silentLogger, sleep, step, workflow } from "../../src/index.js";
import { VirtualClock } from "../../src/testing/index.js";
import { httpRequest, invocationContext, scheduleTick } from "./aws-events.js";
import type { Usage } from "./meter.js";
import { Meter, PRICE_PER_READ_UNIT, PRICE_PER_WRITE_UNIT, requestCount } from "./meter.js";

/** N steps in a row, each returning a small value. */
const chain = workflow("chain", { input: z.object({ steps: z.number().int().min(0) }) }, async function* (input) {
  for (let i = 0; i < input.steps; i++) yield* step(`step-${i}`, () => ({ i, note: "a small result" }));
  return input.steps;
});

/** Waits for `pings` events, one step after each. */
const inbox = workflow("inbox", { input: z.object({ pings: z.number().int().min(1) }) }, async function* (input, ctx) {
  for (let i = 0; i < input.pings; i++) {
    const ping = yield* ctx.waitForEvent("ping");
    yield* step(`handle-${i}`, () => ({ handled: ping }));
  }
  return input.pings;
});

/** A step, a 5 minute timer, a step. */
const nap = workflow("nap", async function* () {
  yield* step("before", () => "before");
  yield* sleep("5m");
  return yield* step("after", () => "after");
});

/** One measured figure: DynamoDB use per unit of work, and its on-demand price per million. */
export interface Figure {
  what: string;
  requests: number;
  byOperation: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  indexWriteUnits: number;
  /** Dollars per million of this unit of work at on-demand prices. */
  dollarsPerMillion: number;
}

/** The measurements. `steps` is the length of the chain measured for the per-step figure. */
export interface CostReport {
  steps: number;
  perStep: Figure;
  startAndEnd: Figure;
  perEvent: Figure;
  perEventCold: Figure;
  wakeUpTick: Figure;
  emptyTick: Figure;
}

/** Measures on `tableName` (which must exist and be empty of these executions) with a client of its own. */
export async function measureCost(options: { client: DynamoDBClient; tableName: string; steps?: number }): Promise<CostReport> {
  const steps = options.steps ?? 20;
  const clock = new VirtualClock(Date.parse("2026-03-02T09:00:00Z"));
  const meter = new Meter(options.client);
  const container = () => {
    const engine = createEngine({
      store: new DynamoDBStore({ client: options.client, tableName: options.tableName }),
      workflows: [chain, inbox, nap],
      mode: "external",
      clock,
      logger: silentLogger,
      staleTurnTimeout: "2m",
    });
    return { engine, handler: createLambdaHandler(engine, { log: false }) };
  };
  const warm = container();
  const measure = async (handler: SpindleLambdaHandler, event: unknown): Promise<Usage> => {
    const before = meter.snapshot();
    await handler(event, invocationContext(clock));
    return meter.since(before);
  };
  const suffix = clock.now().toString(36);

  // A step: the same workflow with 0 and with `steps` steps, both started (and run to the end) by one invocation.
  // A first execution goes before them: a container writes each workflow's name to the catalog once (a PutItem).
  await warm.handler({ action: "start", workflow: "chain", id: `chain-warm-up-${suffix}`, input: { steps: 0 } }, invocationContext(clock));
  const empty = await measure(warm.handler, { action: "start", workflow: "chain", id: `chain-0-${suffix}`, input: { steps: 0 } });
  const long = await measure(warm.handler, { action: "start", workflow: "chain", id: `chain-${steps}-${suffix}`, input: { steps } });

  // An event over HTTP to a warm container, then to a cold one (a new engine and store: nothing cached).
  const inboxId = `inbox-${suffix}`;
  await warm.handler({ action: "start", workflow: "inbox", id: inboxId, input: { pings: 4 } }, invocationContext(clock));
  const ping = (n: number) => httpRequest("POST", `/executions/${inboxId}/events/ping`, { n }, { "Idempotency-Key": `ping-${n}` }, clock.now());
  const warmEvents = [await measure(warm.handler, ping(1)), await measure(warm.handler, ping(2)), await measure(warm.handler, ping(3))];
  const cold = container();
  const coldEvent = await measure(cold.handler, ping(4));

  // A tick that wakes one execution whose timer is due, and one that finds nothing.
  await warm.handler({ action: "start", workflow: "nap", id: `nap-${suffix}` }, invocationContext(clock));
  clock.set(clock.now() + 5 * 60_000);
  const wakeUp = await measure(warm.handler, scheduleTick(clock.now()));
  const quiet = await measure(warm.handler, scheduleTick(clock.now()));

  await warm.engine.close();
  await cold.engine.close();
  return {
    steps,
    perStep: figure("a step (marginal, in a running turn)", difference(long, empty), steps),
    startAndEnd: figure("start and end of an execution (no steps)", empty, 1),
    perEvent: figure("an event over HTTP + the turn it wakes (one step), warm", sum(warmEvents), warmEvents.length),
    perEventCold: figure("the same, cold container (nothing cached)", coldEvent, 1),
    wakeUpTick: figure("a tick that wakes one timer (its turn runs a step and ends)", wakeUp, 1),
    emptyTick: figure("a tick that finds nothing due", quiet, 1),
  };
}

function figure(what: string, usage: Usage, per: number): Figure {
  const byOperation: Record<string, number> = {};
  for (const [operation, count] of Object.entries(usage.requests)) byOperation[operation] = count / per;
  const readUnits = usage.readUnits / per;
  const writeUnits = usage.writeUnits / per;
  const indexWriteUnits = usage.indexWriteUnits / per;
  return {
    what,
    requests: requestCount(usage) / per,
    byOperation,
    readUnits,
    writeUnits,
    indexWriteUnits,
    dollarsPerMillion: (readUnits * PRICE_PER_READ_UNIT + writeUnits * PRICE_PER_WRITE_UNIT) * 1_000_000,
  };
}

function difference(a: Usage, b: Usage): Usage {
  const requests: Record<string, number> = {};
  for (const operation of new Set([...Object.keys(a.requests), ...Object.keys(b.requests)])) {
    const delta = (a.requests[operation] ?? 0) - (b.requests[operation] ?? 0);
    if (delta !== 0) requests[operation] = delta;
  }
  return { requests, readUnits: a.readUnits - b.readUnits, writeUnits: a.writeUnits - b.writeUnits, indexWriteUnits: a.indexWriteUnits - b.indexWriteUnits };
}

function sum(usages: readonly Usage[]): Usage {
  const total: Usage = { requests: {}, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
  for (const usage of usages) {
    for (const [operation, count] of Object.entries(usage.requests)) total.requests[operation] = (total.requests[operation] ?? 0) + count;
    total.readUnits += usage.readUnits;
    total.writeUnits += usage.writeUnits;
    total.indexWriteUnits += usage.indexWriteUnits;
  }
  return total;
}

/** The report as a console table. */
export function formatCostReport(report: CostReport): string {
  const rows = [report.perStep, report.startAndEnd, report.perEvent, report.perEventCold, report.wakeUpTick, report.emptyTick];
  const width = Math.max(...rows.map((row) => row.what.length));
  const number = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
  const lines = rows.map((row) => {
    const operations = Object.entries(row.byOperation)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([operation, count]) => `${operation} ${number(count)}`)
      .join(", ");
    return `  ${row.what.padEnd(width)}  ${number(row.requests).padStart(5)} req  ${number(row.readUnits).padStart(5)} RRU  ${number(row.writeUnits).padStart(5)} WRU (${number(row.indexWriteUnits)} index)  $${row.dollarsPerMillion.toFixed(2).padStart(6)}/M  ${operations}`;
  });
  return [`  ${"per unit of work".padEnd(width)}  requests    reads    writes             on-demand  operations`, ...lines].join("\n");
}
