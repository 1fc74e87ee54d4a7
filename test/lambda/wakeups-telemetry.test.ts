// The Lambda handler's near wake-ups and telemetry, against DynamoDB Local, through handler invocations: scheduleWakeup
// is asked for a timer sooner than the tick period (and not for a later one), its failures and hangs are logged and
// counted without failing the invocation, a delivered wake-up message finishes the execution; the built-in log lines
// carry Powertools' keys and honour the level; metrics are named as the stack's alarms and dashboard expect.
import { afterAll, describe, expect, it, vi } from "vitest";
import { createEngine, silentLogger, sleep, step, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler, emfMetrics } from "spindle/lambda";
import type { HttpResponse, LambdaHandlerOptions, LambdaMetrics, Wakeup } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { fileTable, freshTable } from "../dynamodb/helpers.js";
import { httpRequest, invocationContext, scheduleTick, sqsBatch } from "../../examples/lambda-dynamodb/aws-events.js";
import { wakeupMessage } from "../../examples/lambda-dynamodb/app.js";

const files = fileTable("lambda-wakeups");
afterAll(() => {
  vi.unstubAllEnvs();
});

/** Sleeps `input.ms`, then one short step. */
const nap = workflow("nap", async function* (input: unknown) {
  yield* sleep((input as { ms: number }).ms);
  return yield* step("after", () => "awake");
});

/** A container on the file's table, or on `table` (a test that ticks gets its own: a tick takes whatever is due). */
function container(clock: VirtualClock, options: LambdaHandlerOptions = {}, table = files.name()) {
  const client = files.client();
  const engine = createEngine({ store: new DynamoDBStore({ client, tableName: table }), workflows: [nap], clock, mode: "external", logger: silentLogger });
  const lines: Record<string, unknown>[] = [];
  const handler = createLambdaHandler(engine, { log: (line) => lines.push(line), ...options });
  return { engine, handler, lines };
}

const start = (id: string, ms: number) => httpRequest("POST", "/executions", { workflow: "nap", id, input: { ms } });

/** A metrics sink that records what it is given. */
function recordingMetrics(): LambdaMetrics & { added: [string, string, number][]; published: number } {
  const sink = {
    added: [] as [string, string, number][],
    published: 0,
    addMetric(name: string, unit: string, value: number) {
      sink.added.push([name, unit, value]);
    },
    publishStoredMetrics() {
      sink.published++;
    },
  };
  return sink;
}

describe("scheduleWakeup", () => {
  it("is asked for a timer sooner than the tick period, with its due time; the delivered message finishes the execution", async () => {
    const clock = new VirtualClock();
    const asked: Wakeup[] = [];
    const { engine, handler } = container(clock, { scheduleWakeup: (wakeup) => void asked.push(wakeup) });
    const startedAt = clock.now();
    const response = (await handler(start("near-1", 30_000), invocationContext(clock))) as HttpResponse;
    expect(JSON.parse(response.body)).toMatchObject({ status: "suspended" });
    expect(asked).toEqual([{ executionId: "near-1", at: startedAt + 30_000, delayMs: 30_000 }]);

    // The example's SQS message: the resume queue's shape, delayed to the due time (rounded up to whole seconds).
    const message = wakeupMessage("https://sqs.eu-west-1.amazonaws.com/123456789012/resume", asked[0]!);
    expect(message).toEqual({ QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/resume", MessageBody: '{"executionId":"near-1"}', DelaySeconds: 30 });
    clock.set(startedAt + message.DelaySeconds * 1000);
    expect(await handler(sqsBatch([message.MessageBody], clock.now()), invocationContext(clock))).toEqual({ batchItemFailures: [] });
    expect(await engine.result("near-1")).toBe("awake");
    expect(asked).toHaveLength(1); // a finished execution asks for nothing
  });

  it("is not asked for a timer at or past the tick period; a shorter tickPeriod moves the line", async () => {
    const clock = new VirtualClock();
    const asked: Wakeup[] = [];
    const { handler } = container(clock, { scheduleWakeup: (wakeup) => void asked.push(wakeup) });
    await handler(start("far-1", 60_000), invocationContext(clock));
    await handler(start("far-2", 5 * 60_000), invocationContext(clock));
    expect(asked).toEqual([]);
    const short = container(clock, { scheduleWakeup: (wakeup) => void asked.push(wakeup), tickPeriod: "20s" });
    await short.handler(start("far-3", 30_000), invocationContext(clock));
    expect(asked).toEqual([]);
  });

  it("logs and counts a failing or hanging scheduleWakeup and still answers; the tick wakes the execution", async () => {
    const clock = new VirtualClock();
    const metrics = recordingMetrics();
    const table = await freshTable("lambda-wakeups-fail");
    const failing = container(clock, { metrics, scheduleWakeup: () => Promise.reject(new Error("SQS is down")) }, table);
    const answered = (await failing.handler(start("fail-1", 20_000), invocationContext(clock))) as HttpResponse;
    expect(answered.statusCode).toBe(202);
    expect(failing.lines.find((line) => line.level === "WARN")).toMatchObject({ executionId: "fail-1", error: { message: "SQS is down" } });
    expect(metrics.added).toContainEqual(["WakeupScheduleFailed", "Count", 1]);

    const hanging = container(clock, { metrics, wakeupTimeout: "30ms", scheduleWakeup: () => new Promise(() => {}) }, table);
    const started = (await hanging.handler(start("hang-1", 20_000), invocationContext(clock))) as HttpResponse;
    expect(started.statusCode).toBe(202);
    expect(hanging.lines.find((line) => line.level === "WARN")).toMatchObject({ executionId: "hang-1", error: { message: expect.stringContaining("did not answer within 30 ms") } });

    clock.set(clock.now() + 21_000);
    expect(await failing.handler(scheduleTick(clock.now()), invocationContext(clock))).toMatchObject({ ok: true, resumed: 2 });
    expect(await failing.engine.result("hang-1")).toBe("awake");
  });
});

describe("telemetry", () => {
  it("writes Powertools' keys on every line: cold start on the first invocation only, function, version, trace id", async () => {
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "orders-fn");
    vi.stubEnv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    vi.stubEnv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    vi.stubEnv("POWERTOOLS_SERVICE_NAME", "orders");
    const clock = new VirtualClock();
    const { handler, lines } = container(clock);
    await handler(start("line-1", 120_000), { ...invocationContext(clock), awsRequestId: "req-1" });
    await handler(start("line-2", 120_000), { ...invocationContext(clock), awsRequestId: "req-2", functionVersion: "7" });
    const turns = lines.filter((line) => line.message === "turn");
    expect(turns[0]).toMatchObject({
      level: "INFO",
      service: "orders",
      cold_start: true,
      function_name: "orders-fn",
      function_version: "$LATEST",
      function_request_id: "req-1",
      xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
      executionId: "line-1",
      outcome: "suspended",
    });
    expect(typeof turns[0]!.timestamp).toBe("string");
    expect(turns[1]).toMatchObject({ cold_start: false, function_request_id: "req-2", function_version: "7" });
    vi.unstubAllEnvs();
  });

  it("keeps only lines at or above the level: the option, else AWS_LAMBDA_LOG_LEVEL or POWERTOOLS_LOG_LEVEL", async () => {
    const clock = new VirtualClock();
    const quiet = container(clock, { logLevel: "WARN" });
    await quiet.handler(start("level-1", 120_000), invocationContext(clock));
    await quiet.handler(httpRequest("GET", "/executions/missing"), invocationContext(clock));
    expect(quiet.lines.map((line) => line.level)).toEqual(["WARN"]);

    vi.stubEnv("AWS_LAMBDA_LOG_LEVEL", "ERROR");
    const lambdaLevel = container(clock);
    await lambdaLevel.handler(httpRequest("GET", "/executions/missing"), invocationContext(clock));
    expect(lambdaLevel.lines).toEqual([]);
    vi.unstubAllEnvs();

    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "debug");
    const chatty = container(clock, { scheduleWakeup: () => {} });
    await chatty.handler(start("level-2", 20_000), invocationContext(clock));
    expect(chatty.lines.map((line) => line.message)).toContain("wake-up scheduled");
    vi.unstubAllEnvs();
    expect(() => container(clock, { logLevel: "LOUD" as never })).toThrow(/log level 'LOUD'/);
  });

  it("counts turns by outcome, the wake-up lag and the backlog a tick left, and publishes at the end of each invocation", async () => {
    const clock = new VirtualClock();
    const metrics = recordingMetrics();
    const { handler } = container(clock, { metrics }, await freshTable("lambda-metrics"));
    await handler(start("metric-1", 60_000), invocationContext(clock));
    await handler(start("metric-2", 60_000), invocationContext(clock));
    // A new execution is due at once: its first turn takes it with no lag.
    expect(metrics.added).toEqual([
      ["TurnSuspended", "Count", 1],
      ["WakeupLag", "Milliseconds", 0],
      ["TurnSuspended", "Count", 1],
      ["WakeupLag", "Milliseconds", 0],
    ]);
    expect(metrics.published).toBe(2);
    metrics.added.length = 0;
    clock.set(clock.now() + 60_000 + 4_000);
    await handler(scheduleTick(clock.now()), invocationContext(clock));
    const names = metrics.added.map(([name]) => name);
    expect(metrics.added).toContainEqual(["TurnCompleted", "Count", 2]);
    expect(metrics.added).toContainEqual(["DueBacklog", "Count", 0]);
    const lags = metrics.added.filter(([name]) => name === "WakeupLag");
    expect(lags.map(([, unit, value]) => [unit, value])).toEqual([
      ["Milliseconds", 4_000],
      ["Milliseconds", 4_000],
    ]);
    expect(names.every((name) => ["TurnCompleted", "WakeupLag", "DueBacklog"].includes(name))).toBe(true);
  });

  it("counts StuckExecutions for the failed turn that leaves an execution stuck, and not for later turns on it", async () => {
    const clock = new VirtualClock();
    const table = await freshTable("lambda-stuck");
    const client = files.client();
    const store = new DynamoDBStore({ client, tableName: table });
    const before = createEngine({ store, workflows: [nap], clock, mode: "external", logger: silentLogger });
    await before.start(nap, { ms: 1_000 }, { id: "poison-1" });
    // A deploy that no longer has the workflow: every turn of poison-1 fails; the first failure makes it stuck.
    const other = workflow("other", async function* () {});
    const engine = createEngine({ store, workflows: [other], clock, mode: "external", logger: silentLogger, maxTurnFailures: 1 });
    const metrics = recordingMetrics();
    const handler = createLambdaHandler(engine, { log: false, metrics });
    await handler(scheduleTick(clock.now()), invocationContext(clock));
    expect(metrics.added).toContainEqual(["StuckExecutions", "Count", 1]);
    expect(metrics.added).toContainEqual(["TurnFailed", "Count", 1]);
    expect((await engine.describe("poison-1")).status).toBe("stuck");
    metrics.added.length = 0;
    await handler({ action: "resume", executionId: "poison-1" }, invocationContext(clock));
    expect(metrics.added.map(([name]) => name)).not.toContain("StuckExecutions");
  });

  it("emfMetrics writes CloudWatch EMF lines: namespace Spindle, dimension service, values by metric", async () => {
    const clock = new VirtualClock();
    const written: string[] = [];
    const metrics = emfMetrics({ service: "orders", write: (line) => written.push(line), now: () => 1_700_000_000_000 });
    const { handler } = container(clock, { metrics }, await freshTable("lambda-emf"));
    await handler(start("emf-1", 1_000), invocationContext(clock, 0)); // no time at all: the turn stops at once
    clock.set(clock.now() + 2_000);
    await handler(scheduleTick(clock.now()), invocationContext(clock));
    const documents = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    const tick = documents.at(-1)!;
    expect(tick).toMatchObject({
      _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: "Spindle", Dimensions: [["service"]] }] },
      service: "orders",
      DueBacklog: 0,
    });
    const declared = (tick._aws as { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics[0]!.Metrics;
    for (const { Name } of declared) expect(tick).toHaveProperty(Name);
    expect(declared).toContainEqual({ Name: "DueBacklog", Unit: "Count" });
  });
});
