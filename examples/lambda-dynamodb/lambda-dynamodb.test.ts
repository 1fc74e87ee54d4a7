// Pins the lambda-dynamodb example against the DynamoDB Local of the test setup: the scenario's outcomes through
// handler invocations only (HTTP API, schedule ticks, SQS, a direct call), the deployed entry point handler.ts
// built from its environment, and the DynamoDB cost figures the README quotes. The workflow is security-approval's,
// whose golden history its own test replays; here the history DynamoDB holds is replayed against today's code.
import { afterAll, describe, expect, it, vi } from "vitest";
import type { HttpResponse } from "../../adapters/lambda/index.js";
import { replayHistory } from "../../src/testing/index.js";
import { freshTable, makeClient } from "../../test/dynamodb/helpers.js";
import { inject } from "vitest";
import { accessRequestWorkflow, createAccessServices } from "../security-approval/security-approval.workflow.js";
import { httpRequest } from "./aws-events.js";
import { measureCost } from "./cost.js";
import { runScenario } from "./scenario.js";

const clients = [makeClient(), makeClient()];
afterAll(() => {
  for (const client of clients) client.destroy();
  vi.unstubAllEnvs();
});

describe("lambda-dynamodb: the access desk through handler invocations", async () => {
  const tableName = await freshTable("lambda-example");
  const outcome = await runScenario({ client: clients[0]!, tableName, narrate: false });
  const http = outcome.invocations.filter((invocation) => invocation.source === "http");
  const body = (index: number) => JSON.parse((http[index]!.response as HttpResponse).body) as Record<string, unknown>;

  it("grants by policy, grants on the security team's word, and rejects on the manager's after escalation", () => {
    expect(outcome.executions["access-201"]).toMatchObject({ status: "completed", result: { decision: "granted", decidedBy: "policy" } });
    expect(outcome.executions["access-202"]).toMatchObject({ status: "completed", result: { decision: "granted", decidedBy: "sam (security)" } });
    expect(outcome.executions["access-203"]).toMatchObject({ status: "completed", result: { decision: "rejected", decidedBy: "maria" } });
    expect(outcome.reviews).toEqual([
      { queue: "security", requestId: "access-202" },
      { queue: "security", requestId: "access-203" },
      { queue: "manager", requestId: "access-203" },
    ]);
    expect(outcome.audit.filter((entry) => entry.requestId === "access-203").map((entry) => `${entry.at} ${entry.event}`)).toEqual([
      "2026-03-02T09:10:30.000Z risk-assessed",
      "2026-03-03T09:11:00.000Z escalated",
      "2026-03-03T11:00:00.000Z rejected",
    ]);
  });

  it("answers the HTTP requests as http.ts documents: 202 with a Location, idempotent start, 400 for a bad decision", () => {
    expect(http[0]!.response).toMatchObject({ statusCode: 202, headers: { location: "/executions/access-201" } });
    expect(body(0)).toMatchObject({ executionId: "access-201", created: true, status: "completed" });
    expect(body(1)).toMatchObject({ executionId: "access-202", created: true, status: "suspended" });
    expect(body(2)).toMatchObject({ executionId: "access-202", created: false, status: "suspended" });
    const refused = http.find((invocation) => invocation.request.includes('"maybe"'))!;
    expect(refused.response).toMatchObject({ statusCode: 400 });
    expect(refused.usage.writeUnits).toBe(0); // nothing stored
  });

  it("wakes the escalation timer at the first tick after it is due, and skips the quiet ticks", () => {
    const { dueAt, ranAt } = outcome.escalation;
    expect(ranAt - dueAt).toBeGreaterThan(0);
    expect(ranAt - dueAt).toBeLessThanOrEqual(60_000);
    expect(ranAt % 60_000).toBe(0);
    const ticks = outcome.invocations.filter((invocation) => invocation.source === "schedule");
    expect(ticks.map((tick) => (tick.response as { resumed: number }).resumed)).toEqual([0, 1]);
    expect(ticks[0]!.usage.requests).toEqual({ Query: 16 }); // one Query per due-index shard
    expect(outcome.quietTicks).toBeGreaterThan(1_000);
  });

  it("hands back only the garbled SQS message, and answers the operator's direct describe", () => {
    const sqs = outcome.invocations.find((invocation) => invocation.source === "sqs")!;
    expect(sqs.response).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-1" }] });
    const direct = outcome.invocations.find((invocation) => invocation.source === "direct")!;
    expect(direct.response).toMatchObject({ ok: true, execution: { id: "access-203", status: "completed" } });
  });

  it("logs one JSON line per turn, and only each execution's first turn replays (the container stays warm)", () => {
    const turns = outcome.logLines.filter((line) => line.message === "turn");
    expect(turns.every((line) => typeof line.executionId === "string" && typeof line.durationMs === "number" && typeof line.function_request_id === "string")).toBe(true);
    const replayed = turns.filter((line) => line.replayed === true).map((line) => line.executionId);
    expect(replayed).toEqual(["access-201", "access-202", "access-203"]);
  });

  it("leaves a history in the table that today's workflow code replays to the same end", async () => {
    const requestWorkflow = accessRequestWorkflow(createAccessServices(() => new Date(0)));
    expect(await replayHistory(requestWorkflow, outcome.history)).toMatchObject({ outcome: "completed", events: outcome.history.length });
  });
});

describe("lambda-dynamodb: handler.ts, the deployed entry point", () => {
  it("builds itself from TABLE_NAME and the AWS environment, starts a request over HTTP and takes the review's answer, with Powertools' logs and metrics", async () => {
    const tableName = await freshTable("lambda-entry");
    vi.stubEnv("TABLE_NAME", tableName);
    vi.stubEnv("RETENTION_DAYS", "30");
    vi.stubEnv("POWERTOOLS_SERVICE_NAME", "access-desk-test");
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "access-desk-fn");
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", inject("dynamodbEndpoint"));
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
    // Powertools writes its log lines and EMF metrics to stdout, one JSON document a line.
    const printed: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      printed.push(...String(chunk).split("\n").filter((line) => line.startsWith("{")));
      return true;
    });
    const { handler } = await import("./handler.js");
    const input = { requestId: "r-9", user: "dora", resource: "prod-db:admin", reason: "migration", contractor: false, manager: "maria" };
    const started = (await handler(httpRequest("POST", "/executions", { workflow: "security-approval", id: "r-9", input }), {
      getRemainingTimeInMillis: () => 60_000,
    })) as HttpResponse;
    expect(started.statusCode).toBe(202);
    expect(JSON.parse(started.body)).toMatchObject({ executionId: "r-9", created: true, status: "suspended" });

    const notice = printed.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.message === "review requested");
    expect(notice).toMatchObject({ queue: "security", requestId: "r-9" });
    const path = /^POST (\S+)/.exec(String(notice!.answer))![1]!;
    const answered = (await handler(httpRequest("POST", path, { approved: true, reviewer: "sam" }), { getRemainingTimeInMillis: () => 60_000 })) as HttpResponse;
    expect(answered.statusCode).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ executionId: "r-9", status: "completed" });
    const lines = printed.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.message === "turn" && line.outcome === "completed")).toMatchObject({ level: "INFO", service: "access-desk-test", executionId: "r-9" });
    // EMF: namespace Spindle, dimension service, a TurnCompleted count.
    const emf = lines.filter((line) => line._aws !== undefined && "TurnCompleted" in line);
    expect(emf[0]).toMatchObject({ service: "access-desk-test", TurnCompleted: 1 });
    expect(emf[0]!._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: "Spindle", Dimensions: [["service"]] }] });
    vi.restoreAllMocks();
  });
});

describe("lambda-dynamodb: what DynamoDB is asked, per unit of work", async () => {
  const report = await measureCost({ client: clients[1]!, tableName: await freshTable("lambda-cost"), steps: 20 });

  it("costs one conditional PutItem and no read per step inside a running turn (a lease renewal now and then), at most 2 WRU", () => {
    // 20 steps: 19 step puts, the last step's event goes with the end; one renewal of the lease in the turn.
    expect(report.perStep.requests).toBe(1);
    expect(report.perStep.byOperation.PutItem).toBeGreaterThanOrEqual(0.9);
    expect(report.perStep.byOperation.TransactWriteItems ?? 0).toBeLessThanOrEqual(0.1);
    expect(report.perStep.readUnits).toBe(0);
    expect(report.perStep.writeUnits - report.perStep.indexWriteUnits).toBeLessThanOrEqual(2);
  });

  it("reads a fixed number of times per event: three strongly consistent Queries, warm or cold (two before step puts left the record's version behind its run)", () => {
    expect(report.perEvent.byOperation.Query).toBe(3);
    expect(report.perEventCold.byOperation.Query).toBe(3);
    expect(report.startAndEnd.byOperation).toEqual({ Query: 1, TransactWriteItems: 2 });
  });

  it("costs one Query per due-index shard for a tick, plus the woken execution's turn", () => {
    expect(report.emptyTick.byOperation).toEqual({ Query: 16 });
    expect(report.emptyTick.writeUnits).toBe(0);
    expect(report.wakeUpTick.byOperation.Query).toBe(17);
  });
});
