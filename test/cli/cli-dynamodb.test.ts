// Every command against DynamoDB Local through flags (--table, --endpoint, --region; credentials from the CLI's
// environment), on a table of this file's own. The workflow code comes from the fixture config (--config): flags
// replace its MemoryStore, its workflows stay. An application engine on the same table checks the effects.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createEngine, METRIC, silentLogger } from "spindle";
import type { Engine, ExecutionDescription, HistoryEvent } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { formatTimeline, replayHistory } from "spindle/testing";
import { freshTable, makeClient } from "../dynamodb/helpers.js";
import { approval, charge, flaky, order, store as memoryStore, tokens } from "./fixtures/spindle.config.js";
import { cli, FIXTURE_CONFIG } from "./helpers.js";

const ENV = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };
let table = "";
let engine: Engine;

/** `spindle <argv>` on this file's table, with the fixture's workflows. */
function onTable(...argv: string[]) {
  return cli([...argv, "--table", table, "--endpoint", inject("dynamodbEndpoint"), "--region", "us-east-1", "--config", FIXTURE_CONFIG], { env: ENV });
}

async function waitingOrder(id: string): Promise<void> {
  await engine.start(order, { orderId: id }, { id });
  await engine.resume(id);
}

beforeAll(async () => {
  table = await freshTable("cli");
  const store = new DynamoDBStore({ client: makeClient(), tableName: table });
  engine = createEngine({ store, workflows: [order, approval, flaky], mode: "external", logger: silentLogger });
  await waitingOrder("ddb-order-1");
  await waitingOrder("ddb-order-2");
  await engine.sendEvent("ddb-order-2", "paid", { ref: "r-2" });
  await engine.resume("ddb-order-2"); // completed
  await engine.start(flaky, undefined, { id: "ddb-flaky" });
  await engine.resume("ddb-flaky"); // failed
  // A MemoryStore execution the flags must hide.
  const memory = createEngine({ store: memoryStore, workflows: [order], mode: "external", logger: silentLogger });
  await memory.start(order, { orderId: "memory-only" }, { id: "memory-only" });
});

describe("reading a DynamoDB table through flags", () => {
  it("list shows the table's executions (not the config's MemoryStore), with the summary", async () => {
    const run = await onTable("list", "--json");
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as { executions: ExecutionDescription[]; summary: Record<string, number> };
    expect(output.executions.map((execution) => execution.id).sort()).toEqual(["ddb-flaky", "ddb-order-1", "ddb-order-2"]);
    expect(output.summary).toEqual({ [METRIC.stuck]: 0, [METRIC.dueBacklog]: 0, capped: false });
    const filtered = JSON.parse((await onTable("list", "--workflow", "order", "--status", "completed", "--json")).stdout);
    expect(filtered.executions.map((execution: ExecutionDescription) => execution.id)).toEqual(["ddb-order-2"]);
    const text = await onTable("list");
    expect(text.stdout).toMatch(/^ddb-order-1\s+order\s+suspended\s/m);
  });

  it("list's more: line names the table's flags, so pasted it pages the same table; a foreign --cursor is exit 2", async () => {
    const first = await onTable("list", "--limit", "2");
    const more = first.stdout.split("\n").find((line) => line.startsWith("more: "));
    expect(more).toContain(`--table ${table} --region us-east-1 --endpoint ${inject("dynamodbEndpoint")}`);
    const pasted = await cli(more!.slice("more: spindle ".length).split(" "), { env: ENV });
    expect(pasted.code, pasted.stderr).toBe(0);
    expect(pasted.stdout).toMatch(/^ddb-order-1\s/m);
    const garbage = await onTable("list", "--cursor", "garbage");
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/^spindle list: --cursor "garbage": not a cursor this store gave\..*\(USAGE\)\n$/);
  });

  it("describe, history, timeline and export read the execution", async () => {
    expect(JSON.parse((await onTable("describe", "ddb-order-2", "--json")).stdout)).toMatchObject({ status: "completed", result: { status: "paid", ref: "r-2" } });
    const events = await engine.history("ddb-order-2");
    expect(JSON.parse((await onTable("history", "ddb-order-2", "--json")).stdout)).toEqual(events);
    expect((await onTable("timeline", "ddb-order-2")).stdout).toBe(`${formatTimeline(events)}\n`);
    const exported = JSON.parse((await onTable("export", "ddb-order-2")).stdout) as HistoryEvent[];
    expect(exported).toEqual(events);
    expect((await replayHistory(order, exported)).outcome).toBe("completed");
    expect((await onTable("describe", "memory-only")).code).toBe(3);
  });
});

describe("changing executions on a DynamoDB table through flags", () => {
  it("send delivers an event (once per key), and resume runs the turn here", async () => {
    await waitingOrder("ddb-send");
    expect((await onTable("send", "ddb-send", "paid", '{"ref":"r-9"}', "--key", "k-1")).stdout).toBe("sent event 'paid' to ddb-send\n");
    expect(JSON.parse((await onTable("send", "ddb-send", "paid", '{"ref":"r-9"}', "--key", "k-1", "--json")).stdout).duplicate).toBe(true);
    expect((await onTable("send", "ddb-send", "paid", '{"ref":9}')).code).toBe(2);
    const resumed = await onTable("resume", "ddb-send", "--json");
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: "completed" });
    expect(await engine.result("ddb-send")).toEqual({ status: "paid", ref: "r-9" });
  });

  it("complete and fail settle callbacks by token", async () => {
    for (const id of ["ddb-approve-1", "ddb-approve-2"]) {
      await engine.start(approval, { requestId: id }, { id });
      await engine.resume(id);
    }
    expect((await onTable("complete", tokens.get("ddb-approve-1")!, '{"approved":true}')).code).toBe(0);
    expect((await onTable("fail", tokens.get("ddb-approve-2")!, "no", "--name", "Rejected")).code).toBe(0);
    await engine.resume("ddb-approve-1");
    await engine.resume("ddb-approve-2");
    expect(await engine.result("ddb-approve-1")).toBe(true);
    await expect(engine.result("ddb-approve-2")).rejects.toMatchObject({ name: "Rejected", message: "no" });
    expect((await onTable("complete", tokens.get("ddb-approve-1")!, '{"approved":true}')).code).toBe(3);
  });

  it("cancel and terminate", async () => {
    await waitingOrder("ddb-cancel");
    await waitingOrder("ddb-terminate");
    expect((await onTable("cancel", "ddb-cancel", "--reason", "changed mind")).code).toBe(0);
    expect((await engine.resume("ddb-cancel")).status).toBe("cancelled");
    expect(JSON.parse((await onTable("terminate", "ddb-terminate", "--json")).stdout)).toEqual({ executionId: "ddb-terminate", status: "terminated", terminated: true });
    expect((await onTable("cancel", "ddb-order-2")).code).toBe(1); // completed
  });

  it("redrive reruns a failed step once it is fixed", async () => {
    charge.fixed = true;
    try {
      const run = await onTable("redrive", "ddb-flaky", "--json");
      expect(JSON.parse(run.stdout)).toMatchObject({ redriven: true, from: "failed", rerun: { name: "charge" } });
      expect((await onTable("resume", "ddb-flaky")).stdout).toMatch(/^ddb-flaky is completed/);
      expect((await onTable("redrive", "ddb-flaky")).code).toBe(1);
    } finally {
      charge.fixed = false;
    }
  });
});

describe("a store that cannot be reached", () => {
  it("a table that does not exist: exit 4, one line naming the service's error and what to check", async () => {
    const run = await cli(["list", "--table", "no-such-table", "--endpoint", inject("dynamodbEndpoint"), "--region", "us-east-1"], { env: ENV });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^spindle list: .*the store could not be reached or used: check --table, --region, --endpoint and the AWS credentials\. \(ResourceNotFoundException\)\n$/);
  });

  it("an endpoint nobody listens on: exit 4", async () => {
    const run = await cli(["describe", "x", "--table", table, "--endpoint", "http://127.0.0.1:9", "--region", "us-east-1"], { env: ENV });
    expect(run.code).toBe(4);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/the store could not be reached or used/);
  });
});
